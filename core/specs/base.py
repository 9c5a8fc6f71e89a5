"""What every job spec shares: unknown fields refused, no silent type coercion, caller labels."""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MetadataKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
MetadataValue = Annotated[str, StringConstraints(max_length=512)]


class SpecBase(BaseModel):
    # strict: "yes" is not a bool and "12" is not an int; a typo'd field is an error, not ignored.
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: str
    metadata: dict[MetadataKey, MetadataValue] = Field(
        default_factory=dict,
        max_length=16,
        description="Your own labels (at most 16 string pairs), returned with the job.",
    )

    def inputs(self) -> list[tuple[str, str]]:
        """The workspace paths this job reads: (the spec field that names it, the path)."""
        return []

    def outputs(self) -> list[tuple[str, str]]:
        """The workspace folders this job writes: (the spec field that names it, the folder)."""
        return []

    def resolved(self) -> dict[str, Any]:
        """The spec with every default filled in, as saved with the job (labels kept apart)."""
        return self.model_dump(mode="json", exclude={"metadata"})
