"""Example request bodies of `POST /jobs` for export (shown in Swagger UI)."""

EXAMPLES = {
    "export": {
        "summary": "export: train's merged model to F16, Q8_0, Q6_K and Q4_K_M GGUF files",
        "value": {"kind": "export"},
    },
    "export_adapter": {
        "summary": "export: base model + LoRA adapter, merged, Q8_0 only",
        "value": {
            "kind": "export",
            "model_path": "models/Ministral-3-8B-Thinking",
            "adapter_path": "models/fine-tuned",
            "quants": ["Q8_0"],
        },
    },
}
