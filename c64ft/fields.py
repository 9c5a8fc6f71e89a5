"""`--field value` pairs of `c64ft submit` and `c64ft run`, read by the kind's spec.

The spec's JSON schema (the one Swagger shows) says what each field takes: `--max-steps 2` is an
integer because `max_steps` is one, and a string field given `123` keeps the string. Booleans
take `--flag`, `--no-flag` and `--flag true|false`.
"""

import difflib
import json
from typing import Any

TRUE = {"true", "yes", "on", "1"}
FALSE = {"false", "no", "off", "0"}
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


class FieldSyntaxError(ValueError):
    """The command line does not fit the spec: an unknown flag, a missing or mistyped value."""


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def field_types(schema: dict[str, Any], defs: dict[str, Any]) -> set[str]:
    """The JSON types a field's schema admits: {"integer"}, {"string", "null"}, …"""
    if "$ref" in schema:
        return field_types(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    types: set[str] = set()
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []) + schema.get("allOf", []):
        types |= field_types(branch, defs)
    kind = schema.get("type")
    types |= set(kind) if isinstance(kind, list) else {kind} if kind else set()
    for value in [*schema.get("enum", []), *([schema["const"]] if "const" in schema else [])]:
        types.add(JSON_TYPES.get(type(value), "object"))
    if not types and "properties" in schema:
        types.add("object")
    return types


def _admits(value: Any, types: set[str]) -> bool:
    if isinstance(value, bool):
        return "boolean" in types
    if isinstance(value, int):
        return bool(types & {"integer", "number"})
    if isinstance(value, float):
        return "number" in types
    if isinstance(value, list):
        return "array" in types
    if isinstance(value, dict):
        return "object" in types
    return JSON_TYPES.get(type(value)) in types


def typed_value(name: str, raw: str, types: set[str]) -> Any:
    """`raw` as the field's type: JSON where the field admits what it parses to, else text."""
    if "boolean" in types and raw.lower() in TRUE | FALSE:
        return raw.lower() in TRUE
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw
    if _admits(parsed, types):
        return parsed
    if "string" in types:
        return raw
    expected = " or ".join(sorted(types - {"null"})) or "a value"
    raise FieldSyntaxError(f"{flag(name)} expects {expected}, got {raw!r}")


def unknown(name: str, known: list[str]) -> FieldSyntaxError:
    """The error of an unknown flag, naming the closest field."""
    close = difflib.get_close_matches(flag(name), [flag(k) for k in known], n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else ""
    return FieldSyntaxError(f"unknown field {flag(name)}{hint}")


def parse_fields(args: list[str], schema: dict[str, Any]) -> dict[str, Any]:
    """`--allow-cpu --matrix-size 512` → {"allow_cpu": True, "matrix_size": 512}, typed by
    `schema` (a spec's JSON schema). Dashes in names become underscores."""
    defs = schema.get("$defs", {})
    properties = {k: v for k, v in schema.get("properties", {}).items() if k != "kind"}
    fields: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise FieldSyntaxError(f"expected --field [value], got {arg!r}")
        name, equals, raw = arg[2:].partition("=")
        name = name.replace("-", "_")
        i += 1
        negated = name.startswith("no_") and name not in properties and name[3:] in properties
        target = name[3:] if negated else name
        if target not in properties:
            raise unknown(name, list(properties))
        types = field_types(properties[target], defs)
        if negated:
            if "boolean" not in types or equals:
                raise FieldSyntaxError(f"{flag(name)}: {flag(target)} is not a true/false field")
            fields[target] = False
            continue
        if not equals and i < len(args):
            is_bool_word = args[i].lower() in TRUE | FALSE
            if ("boolean" not in types or is_bool_word) and not args[i].startswith("--"):
                raw, equals = args[i], "="
                i += 1
        if equals:
            fields[target] = typed_value(target, raw, types)
        elif "boolean" in types:
            fields[target] = True
        else:
            raise FieldSyntaxError(f"{flag(target)} needs a value")
    return fields
