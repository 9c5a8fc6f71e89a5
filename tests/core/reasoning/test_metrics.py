"""The runtime THINK metrics on hand-written transcripts."""

from core.kinds.validate_reasoning.spec import Thresholds
from core.reasoning.metrics import measure_run, summarize

THRESHOLDS = Thresholds().model_dump()  # the defaults

GOOD = "[THINK]The border colour is a VIC-II register.[/THINK]POKE 53280,0 makes it black."


def single(reply: str, seed: int = 11, quant: str = "hf"):
    return measure_run("single", quant, "vic", seed, [reply])


def multi(replies: list[str], seed: int = 11, quant: str = "hf"):
    return measure_run("multi", quant, "sid", seed, replies)


def flags(run) -> tuple[bool, bool, bool, bool]:
    return run.has_think_tag, run.balanced_think_tags, run.has_final_after_think, run.retained


def test_a_well_formed_reply_counts_on_every_metric():
    run = single(GOOD)
    assert (run.think_open_count, run.think_close_count) == (1, 1)
    assert flags(run) == (True, True, True, True)
    assert run.quant == "hf"


def test_a_reply_with_no_tags_has_no_think_tag_and_is_not_balanced():
    assert flags(single("The border is at $D020.")) == (False, False, False, False)


def test_an_unclosed_think_has_no_think_tag_and_is_not_balanced():
    run = single("[THINK]thinking forever about $D020")
    assert (run.think_open_count, run.think_close_count) == (1, 0)
    assert flags(run) == (False, False, False, False)


def test_tags_in_the_wrong_order_are_not_balanced():
    run = single("[/THINK]answer[THINK]")
    assert (run.think_open_count, run.think_close_count) == (1, 1)
    assert run.has_think_tag and not run.balanced_think_tags and not run.retained
    nested = single("[THINK]a[THINK]b[/THINK][/THINK]answer")
    assert nested.has_think_tag and not nested.balanced_think_tags


def test_an_empty_final_answer():
    run = single("[THINK]I know this.[/THINK]   \n")
    assert flags(run) == (True, True, False, False)


def test_two_closed_blocks_are_balanced():
    run = single("[THINK]a[/THINK]so[THINK]b[/THINK]POKE 53280,0")
    assert flags(run) == (True, True, True, True)


def test_a_conversation_that_drops_think_in_turn_two_is_not_retained():
    dropped = multi([GOOD, "Voice 1 starts at $D400."])
    assert not dropped.retained and not dropped.has_think_tag
    kept = multi([GOOD, GOOD])
    assert kept.retained and kept.think_open_count == 2


def good_runs(quant: str) -> list:
    return [single(GOOD, s, quant) for s in (11, 22, 33)] + [
        multi([GOOD, GOOD], s, quant) for s in (11, 22, 33)
    ]


def test_summary_passes_only_when_every_rate_meets_its_threshold():
    runs = good_runs("hf")
    assert summarize(runs, THRESHOLDS)["passed"]
    runs.append(multi([GOOD, "no think"], 44))
    summary = summarize(runs, THRESHOLDS)
    assert not summary["passed"]
    block = summary["quants"]["hf"]
    assert block["rates"]["multi_turn_retention_rate"] == 0.75
    assert block["run_counts"] == {"single": 3, "multi": 4}
    assert block["failing"] == ["multi_turn_retention_rate 0.75 < 0.9"]
    assert summary["failing"] == ["hf: multi_turn_retention_rate 0.75 < 0.9"]
    assert len(summary["runs"]) == 7 and summary["runs"][0]["prompt_id"] == "vic"


def test_single_rates_count_runs_over_single_runs_only():
    runs = [single(GOOD), single("[THINK]open"), single("[THINK]t[/THINK]"), single("no tags")]
    rates = summarize(runs + [multi([GOOD, GOOD])], THRESHOLDS)["quants"]["hf"]["rates"]
    assert rates == {
        "single_think_tag_rate": 0.5,
        "single_balanced_tag_rate": 0.5,
        "single_final_after_think_rate": 0.25,
        "multi_turn_retention_rate": 1.0,
    }


def test_a_run_type_with_no_runs_scores_zero_and_fails_whatever_its_threshold():
    zero = {name: 0.0 for name in THRESHOLDS}
    summary = summarize([single(GOOD)], zero)
    block = summary["quants"]["hf"]
    assert block["rates"]["multi_turn_retention_rate"] == 0.0
    assert block["failing"] == ["multi_turn_retention_rate 0.0: no multi runs"]
    assert not block["passed"] and not summary["passed"]
    assert not summarize([], THRESHOLDS)["passed"]  # nothing validated passes nothing


def test_one_failing_quant_fails_the_whole_and_the_other_still_passes():
    runs = good_runs("Q8_0") + [single("no think", s, "Q4_K_M") for s in (11, 22, 33)]
    runs += [multi([GOOD, GOOD], s, "Q4_K_M") for s in (11, 22, 33)]
    summary = summarize(runs, THRESHOLDS)
    assert list(summary["quants"]) == ["Q8_0", "Q4_K_M"]  # in the order they ran
    assert summary["quants"]["Q8_0"]["passed"] and summary["quants"]["Q8_0"]["failing"] == []
    assert not summary["quants"]["Q4_K_M"]["passed"] and not summary["passed"]
    assert summary["failing"] == [
        "Q4_K_M: single_think_tag_rate 0.0 < 0.95",
        "Q4_K_M: single_balanced_tag_rate 0.0 < 0.95",
        "Q4_K_M: single_final_after_think_rate 0.0 < 0.95",
    ]
    assert summary["thresholds"] == THRESHOLDS
