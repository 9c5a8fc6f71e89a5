"""One base for every stage: it owns the loop over stages, the counts, the drop reasons, the
timing and the completion marker, so a stage module holds only its own work.

A stage subclasses `PipelineStep`, names the files it reads and writes, and implements
`process`; it calls `drop(reason, n)` for what it leaves out. `run_steps` runs the stages in
order and records each in `stats.json`. A stage whose inputs, settings, code and outputs are
all as they were when it last finished is skipped: it says so in an event and its saved stats
are reused (outputs are the files it wrote then, so they are still correct).
"""

import time
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from core.context import RunContext
from core.pipeline.files import PipelinePaths, write_json
from core.pipeline.fingerprint import code_digest, digest_of, paths_digest, settings_dict
from core.pipeline.stats import Marker, PipelineStats, StageStats
from core.pipeline.tracker import Tracker


class PipelineStep(ABC):
    """A stage of the dataset pipeline, with its own small frozen settings."""

    name: ClassVar[str]
    # The validate stage's result is its own record: no `<stage>.json`, no "done" event.
    own_record: ClassVar[bool] = False

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._dropped: Counter[str] = Counter()

    @abstractmethod
    def inputs(self, paths: PipelinePaths) -> list[Path]:
        """Files and folders whose content shapes the output (missing ones are allowed)."""

    @abstractmethod
    def outputs(self, paths: PipelinePaths) -> list[Path]:
        """Files and folders the stage writes."""

    def conditions(self, paths: PipelinePaths, stats: PipelineStats) -> Any:
        """Anything else the output depends on (a tool being installed, earlier counts)."""
        return None

    @abstractmethod
    def process(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> dict:
        """Do the stage's work; returns its counts."""

    def drop(self, reason: str, count: int = 1) -> None:
        """Record `count` items (files, pages) left out for `reason`."""
        if count:
            self._dropped[reason] += count

    def fingerprint(self, paths: PipelinePaths, stats: PipelineStats) -> str:
        return digest_of(
            {
                "stage": self.name,
                "code": code_digest(),
                "settings": settings_dict(self.settings),
                "inputs": paths_digest(self.inputs(paths)),
                "conditions": self.conditions(paths, stats),
            }
        )

    def run(self, paths: PipelinePaths, tracker: Tracker, stats: PipelineStats) -> StageStats:
        """The stage's stats: saved ones when nothing changed, fresh ones otherwise."""
        inputs = self.fingerprint(paths, stats)
        saved = stats.get(self.name)
        if saved and self._still_done(paths, saved, inputs):
            tracker.ctx.event(
                f"{self.name} skipped: inputs and settings unchanged since run "
                f"{saved.run_id} (saved counts reused)",
                data={"skipped": True, "counts": saved.counts},
            )
            tracker.advance(1, 1)
            return replace(saved, skipped=True)
        self._dropped = Counter()
        started = time.perf_counter()
        counts = self.process(paths, tracker, stats)
        return StageStats(
            counts=counts,
            dropped=dict(sorted(self._dropped.items())),
            seconds=round(time.perf_counter() - started, 3),
            run_id=tracker.ctx.run_id,
            marker=Marker(inputs, digest_of(paths_digest(self.outputs(paths)))),
        )

    def _still_done(self, paths: PipelinePaths, saved: StageStats, inputs: str) -> bool:
        """The saved run had these inputs, and its outputs are still what it wrote (a file
        deleted or edited since makes the stage run again)."""
        if saved.marker is None or saved.marker.inputs != inputs:
            return False
        return saved.marker.outputs == digest_of(paths_digest(self.outputs(paths)))


def run_steps(
    steps: list[PipelineStep], paths: PipelinePaths, ctx: RunContext
) -> tuple[dict[str, StageStats], dict[str, float]]:
    """Run `steps` in order; returns each one's stats and the seconds this job spent on it."""
    stats = PipelineStats(paths.interim_dir)
    done: dict[str, StageStats] = {}
    timings: dict[str, float] = {}
    for index, step in enumerate(steps):
        ctx.set_stage(step.name, f"stage {index + 1}/{len(steps)}: {step.name}")
        started = time.perf_counter()
        done[step.name] = step.run(paths, Tracker(ctx, index, len(steps)), stats)
        timings[step.name] = round(time.perf_counter() - started, 3)
        result = done[step.name]
        if not step.own_record:  # kept for readers of the files from before stats.json
            write_json(paths.interim(f"{step.name}.json"), result.counts)
        if result.skipped:
            continue
        stats.save(step.name, result)  # last: the completion marker follows the outputs
        if not step.own_record:
            ctx.event(f"{step.name} done in {timings[step.name]:.2f} s", data=result.counts)
    return done, timings
