"""`workflow`: the registered steps in order as child jobs (`core/jobs/workflow.py` runs them)."""

from core.kinds.base import Kind
from core.kinds.workflow import checks
from core.kinds.workflow.examples import EXAMPLES
from core.kinds.workflow.spec import workflow_spec

NAME = "workflow"  # the kind, and the `queue` of a job that no worker runs


def workflow_kind(steps: list[Kind]) -> Kind:
    """The workflow over these step kinds: no queue and no runner of its own."""
    return Kind(workflow_spec(steps), NAME, None, EXAMPLES, problems=checks.problems)
