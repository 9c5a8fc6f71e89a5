"""The registry of job kinds: one package per kind under `core/kinds/`, one line each here.

To add a kind, add its package (spec, runner, checks, examples; `KIND` in its `__init__.py`)
and its line in `STEP_KINDS` (a step of the workflow, in the seed's order) or `OTHER_KINDS`.
Kinds of your own load from the modules named in `C64FT_EXTRA_KINDS` (each defines `KIND`).
"""

import importlib
from typing import Annotated, Any, Union

from pydantic import Field

from core.config import get_settings
from core.kinds import build_datasets, export, gpu_smoke, train, validate_reasoning
from core.kinds.base import Kind
from core.kinds.workflow import workflow_kind
from core.kinds.workflow.spec import WorkflowBase

STEP_KINDS: list[Kind] = [
    gpu_smoke.KIND,
    build_datasets.KIND,
    train.KIND,
    export.KIND,
    validate_reasoning.KIND,
]
OTHER_KINDS: list[Kind] = []


def _registry() -> dict[str, Kind]:
    extra = [importlib.import_module(name).KIND for name in get_settings().extra_kinds]
    steps = [*STEP_KINDS, *(kind for kind in extra if kind.step)]
    others = [*OTHER_KINDS, *(kind for kind in extra if not kind.step)]
    return {kind.name: kind for kind in [*steps, workflow_kind(steps), *others]}


KINDS: dict[str, Kind] = _registry()
WorkflowSpec: type[WorkflowBase] = KINDS["workflow"].spec  # type: ignore[assignment]
# The body of POST /jobs: every kind's spec, told apart by `kind`.
JobSpec: Any = Annotated[
    Union[tuple(kind.spec for kind in KINDS.values())],  # noqa: UP007
    Field(discriminator="kind"),
]
