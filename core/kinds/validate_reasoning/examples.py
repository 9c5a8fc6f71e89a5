"""Example request bodies of `POST /jobs` for validate_reasoning (shown in Swagger UI)."""

EXAMPLES = {
    "validate_reasoning": {
        "summary": "validate_reasoning: the Q8_0 and F16 files export writes by default, under "
        "llama.cpp, 3 seeds",
        "value": {"kind": "validate_reasoning"},
    },
    "validate_reasoning_q4": {
        "summary": "validate_reasoning: one quantized file of an export folder, under llama.cpp",
        "value": {
            "kind": "validate_reasoning",
            "gguf_dir": "models/fine-tuned-gguf",
            "quants": ["Q4_K_M"],
        },
    },
    "validate_reasoning_adapter": {
        "summary": "validate_reasoning: base model + adapter under transformers, own prompts, "
        "stricter thresholds",
        "value": {
            "kind": "validate_reasoning",
            "runtime": "transformers",
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
            "thresholds": {"multi_turn_retention_rate": 0.95},
        },
    },
}
