"""Exceptions of the core layer; each carries what the API and the operator need to act on it."""

from typing import Any

NO_GPU_HINT = (
    "The worker sees no GPU. On AMD check that /dev/kfd and /dev/dri exist and are passed to "
    "the container, and that the worker's user is in the groups 'video' and 'render'; on "
    "NVIDIA check the driver and the container's GPU reservation. To run the check on the CPU "
    "instead, submit with allow_cpu: true."
)


class JobFailure(Exception):
    """A job failed for a reason the operator can act on: `hint` says what to do."""

    def __init__(
        self,
        type: str,
        message: str,
        *,
        hint: str | None = None,
        param: str | None = None,
        stage: str | None = None,
        result: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.type, self.message, self.hint = type, message, hint
        self.param, self.stage = param, stage
        self.result = result  # what the job did produce (a report), kept on the failed job

    def as_error(self, stage: str | None = None) -> dict[str, Any]:
        return {
            "type": self.type,
            "message": self.message,
            "hint": self.hint,
            "param": self.param,
            "stage": self.stage or stage,
        }


class JobCancelled(Exception):
    """Raised by a runner at a step boundary once its job was asked to cancel."""


class JobNotFound(LookupError):
    def __init__(self, job_id: str) -> None:
        super().__init__(f"no job with id {job_id!r}")
        self.job_id = job_id


class IllegalTransition(Exception):
    """A status change the job lifecycle does not allow (never a silent overwrite)."""

    def __init__(self, job_id: str, current: str, target: str) -> None:
        super().__init__(f"job {job_id} is {current}; it cannot become {target}")
        self.job_id, self.current, self.target = job_id, current, target


class JobTakenOver(IllegalTransition):
    """The job is no longer this worker's: it was given up as lost and claimed again."""

    def __init__(self, job_id: str, holder: str | None, worker: str) -> None:
        Exception.__init__(self, f"job {job_id} is held by {holder!r}, not by {worker!r}")
        self.job_id, self.holder, self.worker = job_id, holder, worker


RANK_LOST_HINT = (
    "A training process died without a word (killed: out of host memory, an operator, a "
    "driver fault). The job is retried and resumes from its latest checkpoint; if it keeps "
    "happening, check the worker's memory and its kernel log."
)


class JobLost(JobFailure):
    """A process the job cannot go on without died (a rank of a multi-GPU run was killed): the
    service runs the job again, from its latest checkpoint, as the reaper does for a lost
    worker; past its last attempt, or under `c64ft run`, it is a failure (`rank_lost`)."""

    def __init__(self, message: str) -> None:
        super().__init__("rank_lost", message, hint=RANK_LOST_HINT)
