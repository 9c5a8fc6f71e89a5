"""Example request bodies of `POST /jobs` for validate_reasoning (shown in Swagger UI)."""

EXAMPLES = {
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
            "thresholds": {"multi_turn_retention_rate": 0.95},
        },
    },
}
