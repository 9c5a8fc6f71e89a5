"""Names and defaults of what the pipeline writes, owned here and read by the build_datasets
spec (a light module: importing it loads no parquet or PDF library)."""

DAPT_FOLDER, SFT_FOLDER = "dapt", "sft"  # under build_datasets' output_dir
ANSWER_CHARS = 900  # the longest SFT answer, cut at a sentence (the spec's default)
EXCERPT_CHARS = 1600  # the page excerpt in an SFT user turn, as the original's (the default)
REPORT_JSON, REPORT_MD = "validation_report.json", "validation_report.md"  # in output_dir
# The validation report's `verdict`, in words (its Markdown, the job's event, the demo's summary).
VERDICT_WORDS = {
    "pass": "passed",
    "pass_with_warnings": "passed with warnings",
    "fail": "failed",
}
