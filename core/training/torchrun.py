"""`python -m core.training.torchrun …`: PyTorch's own launcher (torch.distributed.run), set to
die with the job's process that started it, so that no training group outlives its job even
when that process is SIGKILLed (each rank in turn dies with the launcher)."""

from torch.distributed.run import main

from core.training.distributed import die_with_parent

if __name__ == "__main__":
    die_with_parent()
    main()
