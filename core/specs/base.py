"""What every job spec shares: unknown fields refused, no silent type coercion, caller labels,
webhooks."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from core.webhooks.targets import MAX_PER_JOB, WebhookTarget

MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MetadataValue = Annotated[str, StringConstraints(max_length=512)]


def _has_lone_surrogate(value: Any) -> bool:
    """True when a string in `value` (nested lists and dicts, keys too) has no UTF-8 form."""
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_lone_surrogate(item) for item in value)
    if isinstance(value, BaseModel):  # a section such as a prompt; a spec checks its own
        return not isinstance(value, SpecBase) and _has_lone_surrogate(dict(value))
    return False


class SpecBase(BaseModel):
    # strict: "yes" is not a bool and "12" is not an int; a typo'd field is an error, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: str
    metadata: dict[MetadataKey, MetadataValue] = Field(
        default_factory=dict,
        max_length=16,
        description="Your own labels (at most 16 string pairs), returned with the job.",
    )
    webhooks: list[WebhookTarget] = Field(
        default_factory=list,
        max_length=MAX_PER_JOB,
        description=f"Where to POST this job's status changes, signed (at most {MAX_PER_JOB}; "
        "each host must be on C64FT_WEBHOOK_ALLOWED_HOSTS). GET /jobs/{id}/webhooks lists "
        "the deliveries.",
    )

    def inputs(self) -> list[tuple[str, str]]:
        """The workspace paths this job reads: (the spec field that names it, the path)."""
        return []

    def outputs(self) -> list[tuple[str, str]]:
        """The workspace folders this job writes: (the spec field that names it, the folder)."""
        return []

    @field_validator("*")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # JSON can carry "\ud800", which no database, file name or log line can hold.
        if _has_lone_surrogate(value):
            raise ValueError("must be valid Unicode text (no lone surrogates such as \\ud800)")
        return value

    def resolved(self) -> dict[str, Any]:
        """The spec with every default filled in, as saved with the job (labels and webhooks
        kept apart: they say who hears of the job, not what it does)."""
        return self.model_dump(mode="json", exclude={"metadata", "webhooks"})
