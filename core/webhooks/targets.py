"""A webhook target: a URL and the event types it wants. Named by a job's spec (`webhooks`) or
by the operator for every job (C64FT_WEBHOOK_URLS)."""

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

EventType = Literal[
    "job.queued",
    "job.running",
    "job.succeeded",
    "job.failed",
    "job.cancelled",
    "workflow.step_finished",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)
MAX_PER_JOB = 4


class WebhookTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: HttpUrl = Field(description="Where the events are POSTed (http or https).")
    events: list[EventType] = Field(
        default_factory=lambda: list(EVENT_TYPES),
        min_length=1,
        description="The event types sent there; default every one. `workflow.step_finished` "
        "is sent to a workflow's targets when one of its steps ends.",
    )

    @field_validator("events")
    @classmethod
    def _distinct(cls, events: list[str]) -> list[str]:
        if len(set(events)) != len(events):
            raise ValueError("events must be distinct")
        return events

    def wants(self, event: str) -> bool:
        return event in self.events
