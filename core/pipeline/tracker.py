"""Progress of one stage inside the whole job, and the cancel check at each step."""

from dataclasses import dataclass

from core.context import RunContext


@dataclass
class Tracker:
    ctx: RunContext
    index: int  # of this stage among the stages the job runs
    count: int  # stages the job runs

    def advance(self, done: int, total: int) -> None:
        """`done` of `total` items (pages, documents) of this stage are finished."""
        self.ctx.check_cancelled()
        within = done / total if total else 1.0
        self.ctx.progress((self.index + within) / self.count, step=done, total=total)
