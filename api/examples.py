"""Example request bodies of `POST /jobs`, one or more per job kind (shown in Swagger UI)."""

JOB_EXAMPLES = {
    "gpu_smoke": {
        "summary": "gpu_smoke: prove the worker's GPU works",
        "value": {"kind": "gpu_smoke"},
    },
    "gpu_smoke_cpu": {
        "summary": "gpu_smoke on a machine without a GPU",
        "value": {"kind": "gpu_smoke", "allow_cpu": True, "metadata": {"host": "laptop"}},
    },
    "gpu_smoke_burn_in": {
        "summary": "gpu_smoke with a 10-minute burn-in before an overnight run",
        "value": {"kind": "gpu_smoke", "matrix_size": 8192, "burn_in_s": 600},
    },
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
    "train": {
        "summary": "train: DAPT then SFT with LoRA on the 8B model (the seed's defaults)",
        "value": {"kind": "train"},
    },
    "train_tiny_cpu": {
        "summary": "train the tiny model on a CPU for a few steps",
        "value": {
            "kind": "train",
            "model_path": "models/tiny-ministral3",
            "output_dir": "models/tiny-fine-tuned",
            "allow_cpu": True,
            "max_steps": 20,
            "batch_size": 4,
            "grad_accum": 1,
            "learning_rate": 0.002,
            "max_length": 512,
            "gradient_checkpointing": False,
        },
    },
    "validate_reasoning": {
        "summary": "validate_reasoning: the merged model from train's defaults, 3 seeds",
        "value": {"kind": "validate_reasoning"},
    },
    "validate_reasoning_adapter": {
        "summary": "validate_reasoning: base model + adapter, own prompts, stricter thresholds",
        "value": {
            "kind": "validate_reasoning",
            "model_path": "models/Ministral-3-8B-Thinking",
            "adapter_path": "models/fine-tuned",
            "single_prompts": [
                {"id": "raster_irq", "text": "How do I set up a raster interrupt on the C64?"}
            ],
            "multi_turn_prompts": [
                {
                    "id": "cia_timer",
                    "turns": [
                        "What can the CIA timers be used for?",
                        "Show me how to start timer A in one-shot mode.",
                    ],
                }
            ],
            "thresholds": {"multi_turn_retained_rate": 0.95},
        },
    },
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
