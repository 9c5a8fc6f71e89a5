"""torch.compile (a train spec's `torch_compile`): its failures as a job failure."""

from core.errors import JobFailure

COMPILE_HINT = (
    "torch.compile could not compile this model here (the message says where). Set "
    "torch_compile false; inductor also needs a C++ compiler on the CPU and Triton on a GPU."
)


def compile_errors() -> tuple[type[BaseException], ...]:
    """What torch.compile raises when it fails: Dynamo's errors, of which a failed backend's
    and Inductor's own (InductorError) are subclasses."""
    from torch._dynamo.exc import TorchDynamoException

    return (TorchDynamoException,)


def compile_failure(exc: BaseException) -> JobFailure:
    """The job failure (`compile_failed`, param torch_compile) for a compile error."""
    # "backend='inductor' raised:" and the cause on the next line; then torch's advice on logs
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    first = " ".join(lines[:2])[:500] or type(exc).__name__
    return JobFailure(
        "compile_failed",
        f"torch_compile: {type(exc).__name__}: {first}",
        hint=COMPILE_HINT,
        param="torch_compile",
    )
