"""What a workflow submission must pass: each step's checks, named `<step>.<field>`."""

from pathlib import Path

from core.config import get_settings
from core.fence import InputProblem, output_problems, steps_overlap
from core.kinds.workflow.spec import WorkflowBase


def problems(spec: WorkflowBase, workspace: Path, _produced: set[str]) -> list[InputProblem]:
    """Each step's problems; what an earlier step makes is not missing; no step writes over
    another step's output."""
    found: list[InputProblem] = []
    produced: set[str] = set()
    written: list[tuple[str, str]] = []
    for step in spec.step_specs():
        kind = spec.step_kinds[step.kind]
        mine = kind.problems(step, workspace, produced) if kind.problems else []
        mine += output_problems(step, workspace, get_settings())
        for param, value in step.outputs():
            if clash := steps_overlap(workspace, value, written):
                mine.append(InputProblem(param, f"output {value}: {clash}"))
        written += [(step.kind, value) for _param, value in step.outputs()]
        produced |= {value for _param, value in step.outputs()}
        found += [InputProblem(f"{step.kind}.{p.param}", p.message) for p in mine]
    return found
