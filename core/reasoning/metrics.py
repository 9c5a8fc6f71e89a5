"""The runtime THINK contract measured on generated transcripts, against the thresholds a job
gives (their defaults: `Thresholds` of the validate_reasoning spec, DESIGN.md's)."""

from dataclasses import asdict, dataclass
from typing import Any

from core.think import think_shape


@dataclass(frozen=True)
class RunMetrics:
    run_type: str  # "single" or "multi_turn"
    prompt_id: str
    seed: int
    think_open_count: int
    think_close_count: int
    has_think_tag: bool
    balanced_think_tags: bool
    has_final_after_think: bool
    multi_turn_retained: bool


def measure_run(run_type: str, prompt_id: str, seed: int, replies: list[str]) -> RunMetrics:
    """The metrics of one run from the model's replies (one per assistant turn).

    Every reply must have the tag, be balanced and end with a non-empty answer for the run to
    count; `multi_turn_retained` says that held for every turn of a conversation.
    """
    shapes = [think_shape(reply) for reply in replies]
    kept = all(s.has_think_tag and s.balanced and s.has_final_after_think for s in shapes)
    return RunMetrics(
        run_type=run_type,
        prompt_id=prompt_id,
        seed=seed,
        think_open_count=sum(s.open_count for s in shapes),
        think_close_count=sum(s.close_count for s in shapes),
        has_think_tag=bool(shapes) and all(s.has_think_tag for s in shapes),
        balanced_think_tags=bool(shapes) and all(s.balanced for s in shapes),
        has_final_after_think=bool(shapes) and all(s.has_final_after_think for s in shapes),
        multi_turn_retained=bool(shapes) and kept and len(shapes) > 1,
    )


def _rate(runs: list[RunMetrics], field: str) -> float | None:
    return round(sum(getattr(r, field) for r in runs) / len(runs), 4) if runs else None


def summarize(runs: list[RunMetrics], thresholds: dict[str, float]) -> dict[str, Any]:
    """Rates against thresholds; `passed` only when every rate with runs behind it meets its own."""
    single = [r for r in runs if r.run_type == "single"]
    multi = [r for r in runs if r.run_type == "multi_turn"]
    rates = {
        "think_tag_rate": _rate(single, "has_think_tag"),
        "balanced_rate": _rate(single, "balanced_think_tags"),
        "final_answer_rate": _rate(single, "has_final_after_think"),
        "multi_turn_retained_rate": _rate(multi, "multi_turn_retained"),
    }
    failing = [
        f"{name} {rate} < {thresholds[name]}"
        for name, rate in rates.items()
        if rate is not None and rate < thresholds[name]
    ]
    return {
        "passed": not failing,
        "failing": failing,
        "rates": rates,
        "thresholds": thresholds,
        "runs": [asdict(r) for r in runs],
    }
