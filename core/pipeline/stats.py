"""The one record of what each stage did: `stats.json` in the interim folder.

Each stage's entry holds its counts, what it dropped and why, how long it took, which run made
it, and the completion marker (the fingerprint of its inputs and of its outputs) that lets a
re-run skip it. The validate stage reads the other stages' counts from here.
"""

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.pipeline.files import read_json, require, write_json

STATS = "stats.json"


@dataclass(frozen=True)
class Marker:
    """A stage finished on inputs with digest `inputs` and left outputs with digest `outputs`."""

    inputs: str
    outputs: str


@dataclass(frozen=True)
class StageStats:
    counts: dict[str, Any]  # what the stage reports (also `interim/<stage>.json`)
    dropped: dict[str, int] = field(default_factory=dict)  # reason -> items dropped
    seconds: float = 0.0  # of the run that made these counts
    run_id: str | None = None  # the job whose run made them
    marker: Marker | None = None
    skipped: bool = False  # this job reused them instead of running the stage

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "StageStats":
        marker = data.get("marker")
        return cls(
            counts=data["counts"],
            dropped=data.get("dropped", {}),
            seconds=data.get("seconds", 0.0),
            run_id=data.get("run_id"),
            marker=Marker(**marker) if marker else None,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["skipped"]  # a property of this job, not of the saved record
        return data


class PipelineStats:
    """The stats of every stage that finished in one interim folder."""

    def __init__(self, interim_dir: Path) -> None:
        self.path = interim_dir / STATS
        self.stages: dict[str, StageStats] = {}
        try:
            saved = json.loads(self.path.read_text())
            self.stages = {name: StageStats.from_dict(data) for name, data in saved.items()}
        except FileNotFoundError:
            pass  # no stage has finished here yet
        except (ValueError, KeyError, TypeError, AttributeError):
            pass  # unreadable: every stage runs again and the file is rewritten

    def get(self, stage: str) -> StageStats | None:
        return self.stages.get(stage)

    def counts(self, stage: str) -> dict[str, Any]:
        """The counts of `stage`; a folder built before `stats.json` existed still has the
        stage's own `<stage>.json`; a clear failure when the stage never ran there."""
        if stage in self.stages:
            return self.stages[stage].counts
        return read_json(require(self.path.with_name(f"{stage}.json"), stage), stage)

    def save(self, stage: str, stats: StageStats) -> None:
        self.stages[stage] = stats
        write_json(self.path, {name: s.to_dict() for name, s in self.stages.items()})
