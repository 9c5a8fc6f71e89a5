"""Loaded at the start of every Python process when this folder is on PYTHONPATH: in a rank
that torchrun started (RANK set), what a test asks for through the environment.

- C64FT_TEST_RANK_WEIGHTS=<folder>: after training, each rank saves its model's trainable
  weights to <folder>/rank-<N>.safetensors (DDP must leave them identical);
- C64FT_TEST_OOM_RANK=<N>: rank N runs out of memory at its first training step.
"""

import os

if "RANK" in os.environ and (
    "C64FT_TEST_RANK_WEIGHTS" in os.environ or "C64FT_TEST_OOM_RANK" in os.environ
):
    import torch
    import transformers

    from core.kinds.train import runner

    rank = int(os.environ["RANK"])
    folder = os.environ.get("C64FT_TEST_RANK_WEIGHTS")
    if folder:
        from safetensors.torch import save_file

        original = runner.train_phase

        def train_phase(trainer, phase, ctx):
            figures = original(trainer, phase, ctx)
            model = trainer.accelerator.unwrap_model(trainer.model)
            weights = {
                name: p.detach().cpu().contiguous()
                for name, p in model.named_parameters()
                if p.requires_grad
            }
            save_file(weights, os.path.join(folder, f"rank-{rank}.safetensors"))
            return figures

        runner.train_phase = train_phase
    if os.environ.get("C64FT_TEST_OOM_RANK") == str(rank):

        def out_of_memory(*args, **kwargs):
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

        transformers.Trainer.training_step = out_of_memory
