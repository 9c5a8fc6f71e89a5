"""`c64ft run KIND --field value …`: one job in this process, no service."""

from typing import Annotated

import typer
from pydantic import TypeAdapter, ValidationError

from c64ft.job_commands import print_json
from c64ft.kind_args import kind_fields
from core.config import get_settings


def run(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Argument(help="The job kind (c64ft kinds).")] = None,
) -> None:
    """Run one job in this process, no service: c64ft run KIND --field value …
    (c64ft run KIND --help lists the fields)."""
    from c64ft.console import ConsoleContext
    from core.errors import JobCancelled, JobFailure
    from core.kinds import KINDS, JobSpec
    from core.kinds.running import run_spec
    from core.preflight import input_problems
    from core.specs.base import SpecBase

    fields = kind_fields(kind, ctx.args, "run")
    try:
        spec: SpecBase = TypeAdapter(JobSpec).validate_python(fields)
    except ValidationError as exc:
        typer.echo(f"invalid spec:\n{exc}", err=True)
        raise typer.Exit(2) from exc
    if spec.webhooks:
        typer.echo("webhooks are sent by the service's workers: `c64ft submit` the job", err=True)
        raise typer.Exit(2)
    if problems := input_problems(spec):  # what the API would refuse with 422
        for problem in problems:
            typer.echo(f"invalid {problem.param}: {problem.message}", err=True)
        raise typer.Exit(2)
    if KINDS[spec.kind].runner is None:
        typer.echo(
            f"{spec.kind} runs its steps as jobs of the service: start it (`c64ft up`) and "
            f"`c64ft submit {spec.kind} …`, or try `c64ft demo`",
            err=True,
        )
        raise typer.Exit(2)
    console = ConsoleContext(workspace=get_settings().workspace)
    try:
        result = run_spec(spec, console)
    except JobFailure as exc:
        if exc.result is not None:  # e.g. the validation report of a dataset that failed it
            print_json(exc.result)
        typer.echo(f"failed: {exc.type}: {exc.message}\nhint: {exc.hint}", err=True)
        raise typer.Exit(1) from exc
    except (JobCancelled, KeyboardInterrupt) as exc:
        typer.echo("cancelled", err=True)
        raise typer.Exit(130) from exc
    print_json(result)
