"""``expect``: the figures a spec promises (params, MACs, output shapes), held against the static pass.

An experiment config states what it should compile to; ``validate`` (and
``build``) then fail, at the figure, when a change somewhere (in a base file,
say) moves it. The views (``summary``, ``diff``, ``expand``) do not enforce it:
they are how one finds out by how much a model moved.
"""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError, core_schema

from .errors import Problem, SpecError
from .fields import Schema


def _not_negative(value: float) -> float:
    if value < 0:  # the bound as written, 0 (float_schema's own ge would say 0.0)
        raise PydanticCustomError("greater_than_equal", "Input should be greater than or equal to {ge}", {"ge": 0})
    return value


# A limit: a number, whole or not (2.0e6, 1.5), finite, not a boolean, at least 0 (the field's
# json_schema_extra says so to editors). One schema, not int | float, so a value that is neither is one
# error at the limit rather than one per branch of a union.
Limit = Annotated[float, Schema(lambda h: core_schema.no_info_after_validator_function(
    _not_negative, core_schema.float_schema(strict=True, allow_inf_nan=False)))]
# A size of an output shape, or null for a free one: a whole number, as the model's sizes are.
Size = Annotated[Optional[int], Schema(
    lambda h: core_schema.nullable_schema(core_schema.int_schema(gt=0, strict=True)))]


class Expect(BaseModel):
    """Figures the compiled model must have; each is optional."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    params: Optional[int] = Field(None, ge=0, strict=True, description="Total parameter count, exactly.",
                                  examples=[25636712])
    trainable_params: Optional[int] = Field(None, ge=0, strict=True, description="Trainable parameter count, "
                                            "exactly.", examples=[25583592])
    macs: Optional[int] = Field(None, ge=0, strict=True, description="Multiply-accumulates of one sample, exactly.")
    output_shape: Optional[list[Size]] = Field(
        None, min_length=1, description="The (first) output's shape, without the batch axis; null for a free size.",
        examples=[[1000]])
    output_shapes: Optional[list[Annotated[list[Size], Field(min_length=1)]]] = Field(
        None, min_length=1, description="Every output's shape, in the order of 'outputs'.")
    max_params: Optional[Limit] = Field(None, description="At most this many parameters.", examples=[30000000],
                                        json_schema_extra={"minimum": 0})
    max_macs: Optional[Limit] = Field(None, description="At most this many MACs per sample.", examples=[2.0e9],
                                      json_schema_extra={"minimum": 0})

    @model_validator(mode="after")
    def _one_shape_figure(self) -> "Expect":
        if self.output_shape is not None and self.output_shapes is not None:
            raise ValueError("give output_shape (the first output's) or output_shapes (every output's), not both")
        return self


def unmet(expect: Expect, figures: dict) -> list[Problem]:
    """One problem per figure of ``expect`` that ``figures`` (a ``summary --json`` document) does not meet."""
    problems = []
    params, macs = figures["params"], figures["macs"]
    actual = {"params": params["total"], "trainable_params": params["trainable"], "macs": macs}

    def miss(field: str, message: str) -> None:
        problems.append(Problem(message, ("expect", field)))

    for field in ("params", "trainable_params", "macs"):
        wanted = getattr(expect, field)
        if wanted is None:
            continue
        got = actual[field]
        if got is None:
            miss(field, f"expected {field} {wanted:,}, but the MACs are unknown (an input size is free)")
        elif got != wanted:
            miss(field, f"expected {field} {wanted:,}, got {got:,} ({got - wanted:+,})")
    shapes = [output["shape"] for output in figures["outputs"]]
    if expect.output_shape is not None and shapes[0] != list(expect.output_shape):
        miss("output_shape", f"expected output_shape {_shape(expect.output_shape)}, got {_shape(shapes[0])}")
    if expect.output_shapes is not None:
        wanted = [list(s) for s in expect.output_shapes]
        if wanted != shapes:
            miss("output_shapes", f"expected output_shapes {', '.join(map(_shape, wanted))}, got "
                 f"{', '.join(map(_shape, shapes))}")
    for field, got in (("max_params", params["total"]), ("max_macs", macs)):
        limit = getattr(expect, field)
        if limit is None:
            continue
        if got is None:
            miss(field, f"expected at most {_number(limit)} MACs, but the MACs are unknown (an input size is free)")
        elif got > limit:
            what = "params" if field == "max_params" else "MACs"
            miss(field, f"expected at most {_number(limit)} {what}, got {got:,} ({_number(got - limit, '+')} over)")
    return problems


def _number(value, sign: str = "") -> str:
    """A limit as written: 2,000,000 for 2.0e6, 1.5 for 1.5."""
    return f"{value:{sign},.0f}" if float(value).is_integer() else f"{value:{sign},}"


def _shape(shape: list) -> str:
    return "[" + ", ".join("null" if d is None else str(d) for d in shape) + "]"


def check_expect(spec, graph) -> None:
    """Raise a located :class:`SpecError` when the graph misses a figure of ``spec.expect``."""
    if spec.expect is None:
        return
    problems = unmet(spec.expect, graph.summary(spec.name))
    if problems:
        error = SpecError(problems)
        raise error.located(spec.source) if spec.source is not None else error
