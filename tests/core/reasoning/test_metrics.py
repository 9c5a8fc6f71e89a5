"""The runtime THINK metrics on hand-written transcripts."""

from core.kinds.validate_reasoning.spec import Thresholds
from core.reasoning.metrics import measure_run, summarize

THRESHOLDS = Thresholds().model_dump()  # the defaults, DESIGN.md's

GOOD = "[THINK]The border colour is a VIC-II register.[/THINK]POKE 53280,0 makes it black."


def test_a_well_formed_reply_counts_on_every_metric():
    run = measure_run("single", "vic", 11, [GOOD])
    assert (run.think_open_count, run.think_close_count) == (1, 1)
    assert run.has_think_tag and run.balanced_think_tags and run.has_final_after_think
    assert not run.multi_turn_retained  # one turn is not a multi-turn conversation


def test_missing_tags():
    run = measure_run("single", "vic", 11, ["The border is at $D020."])
    assert not run.has_think_tag and not run.has_final_after_think
    assert run.balanced_think_tags  # zero and zero, in order: nothing unbalanced


def test_unbalanced_and_misordered_tags():
    unclosed = measure_run("single", "vic", 11, ["[THINK]thinking forever about $D020"])
    assert unclosed.has_think_tag and not unclosed.balanced_think_tags
    assert not unclosed.has_final_after_think
    backwards = measure_run("single", "vic", 11, ["[/THINK]answer[THINK]"])
    assert (backwards.think_open_count, backwards.think_close_count) == (1, 1)
    assert not backwards.balanced_think_tags


def test_an_empty_final_answer():
    run = measure_run("single", "vic", 22, ["[THINK]I know this.[/THINK]   \n"])
    assert run.has_think_tag and run.balanced_think_tags and not run.has_final_after_think


def test_a_conversation_that_drops_think_in_turn_two_is_not_retained():
    dropped = measure_run("multi_turn", "sid", 33, [GOOD, "Voice 1 starts at $D400."])
    assert not dropped.multi_turn_retained and not dropped.has_think_tag
    kept = measure_run("multi_turn", "sid", 33, [GOOD, GOOD])
    assert kept.multi_turn_retained and kept.think_open_count == 2


def test_summary_passes_only_when_every_rate_meets_its_threshold():
    runs = [measure_run("single", "vic", s, [GOOD]) for s in (11, 22, 33)]
    runs += [measure_run("multi_turn", "sid", s, [GOOD, GOOD]) for s in (11, 22, 33)]
    assert summarize(runs, THRESHOLDS)["passed"]
    runs.append(measure_run("multi_turn", "sid", 44, [GOOD, "no think"]))
    summary = summarize(runs, THRESHOLDS)
    assert not summary["passed"]
    assert summary["rates"]["multi_turn_retained_rate"] == 0.75
    assert summary["failing"] == ["multi_turn_retained_rate 0.75 < 0.9"]
    assert len(summary["runs"]) == 7 and summary["runs"][0]["prompt_id"] == "vic"
