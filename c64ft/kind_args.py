"""The `KIND --field value …` part of `c64ft run` and `c64ft submit`: help, parsing, errors."""

import difflib
from typing import Any

import typer

from c64ft.fields import FieldSyntaxError, parse_fields
from c64ft.guide import drop_no_ops, map_guide_paths
from c64ft.spec_help import kind_help
from core.config import get_settings

HELP = {"--help", "-h"}


def kinds_list() -> str:
    from core.kinds import KINDS

    return "\n".join(
        f"  {name:<20} {kind.spec.model_fields['kind'].description or ''}"
        for name, kind in KINDS.items()
    )


def _kind(name: str | None, command: str) -> tuple[str, Any]:
    """The kind's name and spec (`gpu-smoke` is `gpu_smoke`); without one, or with an unknown
    one, say which exist and exit."""
    from core.kinds import KINDS

    known = (name or "").replace("-", "_")
    if known in KINDS:
        return known, KINDS[known].spec
    if name is None or name in HELP:
        typer.echo(f"Usage: c64ft {command} KIND [--field value …] [--help]\n\nKinds:")
        typer.echo(kinds_list())
        raise typer.Exit(0 if name in HELP else 2)
    close = difflib.get_close_matches(name, list(KINDS), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    typer.echo(f"unknown kind {name!r}{hint}\nKinds:\n{kinds_list()}", err=True)
    raise typer.Exit(2)


def kind_fields(kind: str | None, args: list[str], command: str, options: str = "") -> dict:
    """`{"kind": …, field: value, …}` from the command line, typed by the kind's spec.

    `--help` prints the kind's fields and exits 0; a flag the spec lacks exits 2 naming the
    closest field."""
    name, spec = _kind(kind if kind or not HELP & set(args) else "--help", command)
    if HELP & set(args):
        usage = f"c64ft {command} {name} [--field value …]"
        typer.echo(kind_help(spec, usage, options))
        raise typer.Exit(0)
    try:
        fields = parse_fields(drop_no_ops(args), spec.model_json_schema())
    except FieldSyntaxError as exc:
        typer.echo(f"{exc}\n(see: c64ft {command} {name} --help)", err=True)
        raise typer.Exit(2) from exc
    return {"kind": name, **map_guide_paths(fields, get_settings().workspace)}
