"""Example request bodies of `POST /jobs` for workflow (shown in Swagger UI)."""

EXAMPLES = {
    "workflow": {
        "summary": "workflow: smoke, datasets, DAPT + SFT, validation, with the seed's defaults",
        "value": {"kind": "workflow"},
    },
    "workflow_sft_only": {
        "summary": "workflow: datasets and SFT only, then validation (no GPU smoke, no DAPT)",
        "value": {
            "kind": "workflow",
            "steps": ["build_datasets", "train", "validate_reasoning"],
            "train": {"phase": "sft", "max_steps": 400},
        },
    },
}
