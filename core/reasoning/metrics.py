"""The runtime THINK contract measured on generated transcripts, per quant, against the
thresholds a job gives (their defaults: `Thresholds` of the validate_reasoning spec)."""

from dataclasses import asdict, dataclass
from typing import Any

from core.think import think_shape

# Each rate: the run type it is measured on and the RunMetrics field that counts a run.
RATES = {
    "single_think_tag_rate": ("single", "has_think_tag"),
    "single_balanced_tag_rate": ("single", "balanced_think_tags"),
    "single_final_after_think_rate": ("single", "has_final_after_think"),
    "multi_turn_retention_rate": ("multi", "retained"),
}


@dataclass(frozen=True)
class RunMetrics:
    run_type: str  # "single" or "multi"
    quant: str  # the GGUF file type generated from (Q8_0, F16, …), or "hf" for transformers
    prompt_id: str
    seed: int
    think_open_count: int
    think_close_count: int
    has_think_tag: bool  # both [THINK] and [/THINK], in every reply
    balanced_think_tags: bool  # at least one block, each closed in order, in every reply
    has_final_after_think: bool  # non-empty text after the last [/THINK], in every reply
    retained: bool  # all three in every reply: what a multi run is rated on


def measure_run(
    run_type: str, quant: str, prompt_id: str, seed: int, replies: list[str]
) -> RunMetrics:
    """The metrics of one run from the model's replies (one per assistant turn).

    Args:
        run_type, quant, prompt_id, seed: what names the run.
        replies: the assistant turns, in order.

    Returns:
        Each property holds only when it holds for every reply (and there is a reply).
    """
    shapes = [think_shape(reply) for reply in replies]
    tags = bool(shapes) and all(s.has_both_tags for s in shapes)
    balanced = bool(shapes) and all(s.has_closed_blocks for s in shapes)
    final = bool(shapes) and all(s.has_final_after_think for s in shapes)
    return RunMetrics(
        run_type=run_type,
        quant=quant,
        prompt_id=prompt_id,
        seed=seed,
        think_open_count=sum(s.open_count for s in shapes),
        think_close_count=sum(s.close_count for s in shapes),
        has_think_tag=tags,
        balanced_think_tags=balanced,
        has_final_after_think=final,
        retained=tags and balanced and final,
    )


def summarize(runs: list[RunMetrics], thresholds: dict[str, float]) -> dict[str, Any]:
    """Rates against thresholds, per quant; `passed` only when every quant passes.

    Args:
        runs: every run measured, of every quant.
        thresholds: the least rate of each of `RATES`.

    Returns:
        `quants` (per quant: `rates`, `run_counts`, `passed`, `failing`), `passed`, `failing`
        (each entry prefixed with its quant), `thresholds` and `runs`.
    """
    names = list(dict.fromkeys(r.quant for r in runs))  # in the order they ran
    quants = {q: _quant_verdict([r for r in runs if r.quant == q], thresholds) for q in names}
    return {
        "quants": quants,
        "passed": bool(quants) and all(block["passed"] for block in quants.values()),
        "failing": [f"{q}: {reason}" for q, block in quants.items() for reason in block["failing"]],
        "thresholds": thresholds,
        "runs": [asdict(r) for r in runs],
    }


def meets(rate: float, threshold: float, runs: int) -> bool:
    """A rate passes when it meets its threshold over at least one run: a run type with no
    runs scores 0 and fails, whatever its threshold, as nothing showed the contract kept."""
    return runs > 0 and rate >= threshold


def _quant_verdict(runs: list[RunMetrics], thresholds: dict[str, float]) -> dict[str, Any]:
    """One quant's rates, its runs of each type, and the rates that fail."""
    counts = {t: sum(r.run_type == t for r in runs) for t in ("single", "multi")}
    rates, failing = {}, []
    for name, (run_type, field) in RATES.items():
        counted = [getattr(r, field) for r in runs if r.run_type == run_type]
        rates[name] = round(sum(counted) / len(counted), 4) if counted else 0.0
        if not meets(rates[name], thresholds[name], len(counted)):
            reason = (
                f"{rates[name]} < {thresholds[name]}" if counted else f"0.0: no {run_type} runs"
            )
            failing.append(f"{name} {reason}")
    return {"rates": rates, "run_counts": counts, "passed": not failing, "failing": failing}
