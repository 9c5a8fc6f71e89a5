"""`--field value` pairs of `c64ft submit` and `c64ft run`, turned into a spec dict."""

import json
from typing import Any


class FieldSyntaxError(ValueError):
    pass


def parse_value(raw: str) -> Any:
    """JSON where it parses (true, 3, 1.5, [11,22], {"a": "b"}), else the plain string."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_fields(args: list[str]) -> dict[str, Any]:
    """`--allow-cpu --matrix-size 512` → {"allow_cpu": True, "matrix_size": 512}.

    A flag with no value is true; dashes in names become underscores.
    """
    fields: dict[str, Any] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or len(arg) == 2:
            raise FieldSyntaxError(f"expected --field [value], got {arg!r}")
        name, equals, raw = arg[2:].partition("=")
        i += 1
        if not equals and i < len(args) and not args[i].startswith("--"):
            raw, equals = args[i], "="
            i += 1
        fields[name.replace("-", "_")] = parse_value(raw) if equals else True
    return fields
