"""Example request bodies of `POST /jobs` for train (shown in Swagger UI)."""

EXAMPLES = {
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
            "warmup_steps": 2,
            "logging_steps": 5,
            "save_steps": 10,
            "eval_steps": 10,
        },
    },
}
