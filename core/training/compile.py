"""torch.compile (a train spec's `torch_compile`): its failures as a job failure, not a traceback."""

from core.errors import JobFailure

COMPILE_HINT = (
    "torch.compile could not compile this model here (the message says where). Set "
    "torch_compile false; inductor also needs a C++ compiler on the CPU and Triton on a GPU."
)


def compile_errors() -> tuple[type[BaseException], ...]:
    """What torch.compile raises when it fails: Dynamo's errors (a backend that failed is one)
    and Inductor's own, which newer torch raises without wrapping it."""
    from torch._dynamo.exc import TorchDynamoException

    found: list[type[BaseException]] = [TorchDynamoException]
    try:
        from torch._inductor.exc import InductorError
    except ImportError:  # an older torch wraps it in BackendCompilerFailed
        pass
    else:
        found.append(InductorError)
    return tuple(found)


def compile_failure(exc: BaseException) -> JobFailure:
    """The job failure (`compile_failed`, param torch_compile) for a compile error."""
    first = str(exc).strip().split("\n")[0][:500] or type(exc).__name__
    return JobFailure(
        "compile_failed",
        f"torch_compile: {type(exc).__name__}: {first}",
        hint=COMPILE_HINT,
        param="torch_compile",
    )
