"""`gpu_smoke`, seed step 1: prove the worker's accelerator works."""

from core.kinds.base import Kind
from core.kinds.gpu_smoke.examples import EXAMPLES
from core.kinds.gpu_smoke.spec import GpuSmokeSpec

KIND = Kind(GpuSmokeSpec, "gpu", "core.kinds.gpu_smoke.runner:run", EXAMPLES, step=True)
