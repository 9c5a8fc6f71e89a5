"""What a job kind is: its spec, queue and runner, and the hooks the service calls on it.

A kind is one package under `core/kinds/` whose `__init__.py` defines `KIND`; the registry
(`core/kinds/__init__.py`) lists the packages. The API's request union and examples, the dry
run, the CLI, the queue routing and the workflow's steps are all read from there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NotRequired, get_args

from typing_extensions import TypedDict  # pydantic needs it on Python < 3.12

from core.fence import InputProblem
from core.routing import gpu_queue
from core.specs.base import SpecBase
from core.specs.paths import input_roots, resolve


class Check(TypedDict):
    name: str
    status: Literal["pass", "warn", "fail"]
    message: str
    data: NotRequired[dict[str, Any]]  # figures behind the message (a train job's plan)


# (spec, workspace, paths an earlier workflow step makes) -> what a submission must fix
Problems = Callable[[Any, Path, set[str]], list[InputProblem]]
# (spec, workspace, whether a problem was found, the paths earlier workflow steps write)
# -> what is worth knowing before it runs
Notes = Callable[[Any, Path, bool, set[str]], list[Check]]
# (spec, workspace, (worker hostname, GPU row) of each GPU the live workers of its queue reported,
# the plan check's data or None) -> whether it fits those GPUs and how long it would take
Fit = Callable[[Any, Path, list[tuple[str, dict[str, Any]]], dict[str, Any] | None], list[Check]]
# (this step's section, every section by kind, the kinds that run) -> None: fills linked defaults
Link = Callable[[Any, dict[str, Any], list[str]], None]
# (this step's section, whether it succeeded, its result) -> where its reports are, by name
Reports = Callable[[Any, bool, dict[str, Any] | None], dict[str, Any]]


@dataclass(frozen=True)
class Kind:
    spec: type[SpecBase]
    queue: str  # "workflow": no Celery queue, its steps run on theirs
    runner: str | None  # "module:function", imported by the worker on first use (torch)
    examples: dict[str, dict[str, Any]] = field(default_factory=dict)  # OpenAPI examples
    problems: Problems | None = None
    notes: Notes | None = None
    fit: Fit | None = None  # a gpu kind's memory and time checks against the live workers' GPUs
    step: bool = False  # a step of the workflow (in registry order)
    link: Link | None = None  # a step's defaults taken from the other steps' sections
    section_doc: str = ""  # how the workflow's section of this step links its defaults
    reports: Reports | None = None  # what a step adds to its workflow's `result.reports`

    @property
    def name(self) -> str:
        return get_args(self.spec.model_fields["kind"].annotation)[0]

    def queue_for(self, spec: SpecBase) -> str:
        """The queue of one job: a gpu kind's job that needs N devices (its spec's `gpus`)
        waits in `gpu.N`, which only workers owning at least N devices consume."""
        if self.queue != "gpu":
            return self.queue
        return gpu_queue(getattr(spec, "gpus", 1))


def _roots(spec: SpecBase, param: str) -> list[Path]:
    """Where `param` may lead besides the workspace: the input roots, for an input only."""
    return input_roots() if param in {name for name, _ in spec.inputs()} else []


def outside(spec: SpecBase, workspace: Path, params: list[str]) -> list[InputProblem]:
    """The path fields (among `params`, unset ones aside) that lead out of the workspace (an
    input: out of the workspace and the input roots)."""
    problems = []
    for param in params:
        if (value := getattr(spec, param)) is None:
            continue
        try:
            resolve(workspace, value, _roots(spec, param))
        except ValueError as exc:
            problems.append(InputProblem(param, str(exc)))
    return problems


def missing_files(
    spec: SpecBase,
    workspace: Path,
    needed: dict[str, str | None],
    skip: set[str],
    produced: set[str],
) -> list[InputProblem]:
    """The path fields in `needed` whose folder lacks its marker file (None: the path is the
    file itself); unset ones, those in `skip` (already refused) and those an earlier workflow
    step makes (`produced`) aside."""
    problems = []
    for param, marker in needed.items():
        value = getattr(spec, param)
        if value is None or param in skip or value in produced:
            continue
        path = resolve(workspace, value, _roots(spec, param))
        if not (path / marker if marker else path).is_file():
            what = f"has no {marker}" if marker else "is not a file"
            problems.append(InputProblem(param, f"{value} {what} in the workspace {workspace}"))
    return problems
