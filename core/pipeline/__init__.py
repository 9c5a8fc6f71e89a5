"""The dataset pipeline of `build_datasets`: manifest → extract → normalize → dedup → build_dapt
→ build_sft → validate. Each stage is a module with `run(spec, paths, tracker) -> counts`, reads
the previous stage's saved output and publishes its own atomically (`files.py`)."""
