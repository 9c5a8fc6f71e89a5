"""The speed options' packages (use_liger_kernel, attn_implementation flash_attention_2): the
dry run warns when they are missing. Nothing is imported here: the API checks specs too."""

import importlib.util
from collections.abc import Callable
from typing import Any

from core.kinds.base import Check
from core.kinds.train.spec import TrainSpec

EXTRA_HINT = "pip install 'c64ft[gpu-speed]'"


def _wanted(spec: TrainSpec) -> list[tuple[str, str, str, str]]:
    """(check name, the module imported, the package, how to install it) for each option on."""
    wanted = []
    if spec.use_liger_kernel:
        wanted.append(("use_liger_kernel", "liger_kernel", "liger-kernel", EXTRA_HINT))
    if spec.attn_implementation == "flash_attention_2":
        how = "pip install flash-attn --no-build-isolation (it builds against your CUDA)"
        wanted.append(("attn_implementation", "flash_attn", "flash-attn", how))
    return wanted


def speed_checks(
    spec: TrainSpec, find_spec: Callable[[str], Any] = importlib.util.find_spec
) -> list[Check]:
    """A warning, not a failure, for each speed option whose package is not installed here:
    the dry run runs where the API does, not on the worker; the job itself fails at its start
    on a worker without it (and without a GPU)."""
    checks = []
    for name, module, package, how in _wanted(spec):
        if find_spec(module) is None:
            message = (
                f"{name}: {package} is not installed where the dry run runs; the worker that "
                f"runs the job needs it, and a GPU: {how}"
            )
            checks.append(Check(name=name, status="warn", message=message))
        else:
            message = f"{name}: {package} installed here (the job also needs a GPU)"
            checks.append(Check(name=name, status="pass", message=message))
    return checks
