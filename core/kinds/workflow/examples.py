"""Example request bodies of `POST /jobs` for workflow (shown in Swagger UI)."""

EXAMPLES = {
    "workflow": {
        "summary": "workflow: smoke, datasets, DAPT + SFT, GGUF export, validation under "
        "llama.cpp, with the seed's defaults",
        "value": {"kind": "workflow"},
    },
    "workflow_sft_only": {
        "summary": "workflow: datasets and SFT only, then validation of the merged model under "
        "transformers (no GPU smoke, no DAPT, no export)",
        "value": {
            "kind": "workflow",
            "steps": ["build_datasets", "train", "validate_reasoning"],
            "validate_reasoning": {"runtime": "transformers"},
            "train": {"phase": "sft", "max_steps": 400},
        },
    },
}
