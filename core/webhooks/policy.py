"""Which webhook URLs a job spec may name: a job spec must not become a way to make the service
call any address it can reach, so a per-job URL's host must be on C64FT_WEBHOOK_ALLOWED_HOSTS
(the operator's own C64FT_WEBHOOK_URLS are trusted). Checked at submission (a 422 naming the
field), not by the spec's model, so that a stored spec still reads after the list changes."""

from core.config import Settings
from core.fence import InputProblem
from core.specs.base import SpecBase

NO_SECRET = (
    "webhooks are off on this service: the operator has not set C64FT_WEBHOOK_SECRET "
    "(every webhook is signed with it)"
)


def webhook_problems(spec: SpecBase, settings: Settings, prefix: str = "") -> list[InputProblem]:
    """The spec's webhook URLs that this service refuses to call."""
    if spec.webhooks and settings.webhook_secret is None:
        return [InputProblem(f"{prefix}webhooks", NO_SECRET)]
    allowed = {host.lower() for host in settings.webhook_allowed_hosts}
    problems = []
    for index, target in enumerate(spec.webhooks):
        host = (target.url.host or "").lower()
        if host not in allowed:
            shown = ", ".join(sorted(allowed)) or "none: the list is empty"
            message = f"host {host!r} is not on C64FT_WEBHOOK_ALLOWED_HOSTS (allowed: {shown})"
            problems.append(InputProblem(f"{prefix}webhooks.{index}.url", message))
    return problems
