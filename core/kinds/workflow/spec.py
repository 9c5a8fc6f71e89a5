"""Spec of `workflow`: the registered steps in order, each as a child job, stopping at a failure.

The model is made from the registry (`workflow_spec`): a section per step kind, named after it,
whose `kind` may be left out; each step kind's `link` fills the defaults it takes from the
other sections (the datasets a build writes, the model a train exports).
"""

from typing import Any, ClassVar, Literal, Self

from pydantic import Field, create_model, model_validator

from core.kinds.base import Kind
from core.specs.base import SpecBase


class WorkflowBase(SpecBase):
    kind: Literal["workflow"] = Field(
        description="Run the seed's steps in order as child jobs, stopping at the first failure."
    )
    steps: list[str]
    step_kinds: ClassVar[dict[str, Kind]] = {}  # by name, in the registry's (the run's) order
    sections: ClassVar[dict[str, type[SpecBase]]] = {}

    @model_validator(mode="after")
    def _fill_sections(self) -> Self:
        order = list(self.step_kinds)
        if len(set(self.steps)) != len(self.steps):
            raise ValueError("steps must be distinct")
        self.steps = sorted(self.steps, key=order.index)  # the seed's order, whatever was given
        if extra := [s for s in order if getattr(self, s) is not None and s not in self.steps]:
            raise ValueError(f"section(s) {', '.join(extra)} given but not in steps")
        filled = {n: getattr(self, n) or self.sections[n].model_validate({}) for n in order}
        for name, kind in self.step_kinds.items():
            if kind.link and name in self.steps:
                kind.link(filled[name], filled, self.steps)
        for name, section in filled.items():  # the steps that run, every field filled in
            setattr(self, name, section if name in self.steps else None)
        return self

    def step_specs(self) -> list[SpecBase]:
        """The spec of each step that runs, in order (every section filled in by validation)."""
        return [getattr(self, step) for step in self.steps]


def _section(kind: Kind) -> type[SpecBase]:
    """The kind's spec with `kind` optional: the OpenAPI document must not require it there."""
    name = f"{kind.spec.__name__.removesuffix('Spec')}Section"
    kind_field: Any = (Literal[kind.name], kind.name)  # type: ignore[valid-type]
    return create_model(name, __base__=kind.spec, kind=kind_field)


def workflow_spec(steps: list[Kind]) -> type[WorkflowBase]:
    """The workflow's spec over these step kinds (the registry's, in order)."""
    sections = {kind.name: _section(kind) for kind in steps}
    step_names: Any = Literal[tuple(sections)]  # type: ignore[valid-type]
    fields: dict[str, Any] = {
        "steps": (
            list[step_names],
            Field(
                default_factory=lambda: list(sections),
                min_length=1,
                description="Which steps run, in this order (each at most once).",
            ),
        )
    }
    for kind in steps:
        doc = f"Spec of the {kind.name} step{'; ' + kind.section_doc if kind.section_doc else ''}."
        fields[kind.name] = (sections[kind.name] | None, Field(None, description=doc))
    model = create_model("WorkflowSpec", __base__=WorkflowBase, **fields)
    model.step_kinds = {kind.name: kind for kind in steps}
    model.sections = sections
    return model
