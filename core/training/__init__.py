"""Training for the `train` job: device and precision, datasets, model and LoRA, the two phases,
and the callback that ties the Hugging Face trainers to the job (metrics, progress, cancel)."""
