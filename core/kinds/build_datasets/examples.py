"""Example request bodies of `POST /jobs` for build_datasets (shown in Swagger UI)."""

EXAMPLES = {
    "build_datasets": {
        "summary": "build_datasets: manuals in c64_docs/ → data/processed/{dapt,sft}",
        "value": {"kind": "build_datasets"},
    },
    "build_datasets_tiny": {
        "summary": "build_datasets for the tiny model on a laptop, warnings allowed",
        "value": {
            "kind": "build_datasets",
            "model_path": "models/tiny-ministral3",
            "block_size": 256,
            "stride": 32,
            "min_chunk_tokens": 64,
            "strict_thinking_contract": False,
        },
    },
    "build_datasets_rerun": {
        "summary": "build_datasets: re-run only the SFT examples and the report",
        "value": {"kind": "build_datasets", "stages": ["build_sft", "validate"]},
    },
}
