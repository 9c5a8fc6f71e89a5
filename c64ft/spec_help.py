"""`c64ft run KIND --help`: every field of a kind, from its spec's JSON schema (as in Swagger)."""

import json
import textwrap
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from c64ft.fields import field_types, flag

WIDTH = 100
BOUNDS = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}


def type_name(schema: dict[str, Any], defs: dict[str, Any]) -> str:
    """`integer ≥ 1`, `dapt|sft|both`, `string | null`: what a field takes, in a few words."""
    branches = schema.get("anyOf", [schema])
    names = []
    for branch in branches:
        if "enum" in branch or "const" in branch:
            names.append("|".join(str(v) for v in branch.get("enum", [branch.get("const")])))
            continue
        words = " | ".join(sorted(field_types(branch, defs))) or "any"
        bounds = [f"{sign} {branch[key]}" for key, sign in BOUNDS.items() if key in branch]
        names.append(" ".join([words, *bounds]))
    return " | ".join(names)


def show_default(value: Any) -> str:
    """A default as it would be typed on the command line: text bare, the rest as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def default_of(spec: type[BaseModel], name: str) -> str:
    """`[default: …]`, or `[required]`; a default factory's value too (`metadata` is {})."""
    field = spec.model_fields[name]
    if field.is_required():
        return "[required]"
    value = to_jsonable_python(field.get_default(call_default_factory=True))
    return f"[default: {show_default(value)}]"


def kind_help(spec: type[BaseModel], usage: str, options: str = "") -> str:
    """The help text of one kind: usage, what it does, then one entry per field."""
    schema = spec.model_json_schema()
    defs = schema.get("$defs", {})
    properties = schema.get("properties", {})
    about = properties.get("kind", {}).get("description", "")
    lines = [
        f"Usage: {usage}",
        "",
        about,
        "",
        "Fields (booleans: --flag, --no-flag, --flag false):",
    ]
    for name, field in properties.items():
        if name == "kind":
            continue
        is_bool = "boolean" in field_types(field, defs)
        switch = f"{flag(name)} / --no-{flag(name)[2:]}" if is_bool else flag(name)
        value = "" if is_bool else f" <{type_name(field, defs)}>"
        lines.append(f"  {switch}{value}  {default_of(spec, name)}")
        description = field.get("description", "")
        lines += textwrap.wrap(
            description, WIDTH, initial_indent=" " * 6, subsequent_indent=" " * 6
        )
    if options:
        lines += ["", options]
    return "\n".join(lines)
