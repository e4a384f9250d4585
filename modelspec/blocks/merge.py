"""Merge layers: one Keras layer over several named tensors (``inputs: [a, b, ...]``)."""

from typing import ClassVar, Literal, Optional

from pydantic import Field, field_validator

from .. import layers
from ..fields import Name, PositiveInt
from ..graph import Tensor
from .base import BlockBase
from .registry import register


class MergeBlock(BlockBase):
    """A merge of the tensors named in ``inputs``, in order."""

    layer: ClassVar[type[layers.Layer]]
    exactly: ClassVar[Optional[int]] = None  # subtract takes exactly two

    inputs: list[Name] = Field(min_length=2, description="The blocks (or model inputs) whose outputs are "
                               "merged, in order.")
    # the validator below words the error; the schema says the same to editors
    repeat: PositiveInt = Field(1, description="Must be 1: a merge takes its inputs once.",
                                json_schema_extra={"maximum": 1})

    @field_validator("repeat")
    @classmethod
    def _once(cls, repeat: int) -> int:
        if repeat != 1:
            raise ValueError("a merge cannot be repeated (each copy would have one input); write it once")
        return repeat

    @field_validator("inputs")
    @classmethod
    def _count(cls, inputs: list[str]) -> list[str]:
        if cls.exactly is not None and len(inputs) != cls.exactly:
            raise ValueError(f"takes exactly {cls.exactly} inputs, not {len(inputs)}")
        return inputs

    def sources(self) -> Optional[list[tuple[str, tuple]]]:
        return [(name, ("inputs", i)) for i, name in enumerate(self.inputs)]

    def make_layer(self) -> layers.Layer:
        return self.layer()

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        return g.add(self.make_layer(), inputs, prefix, at=self.field("inputs"))


@register
class AddLayer(MergeBlock):
    """Keras' Add: the sum of tensors of equal (or broadcastable) shapes."""

    layer = layers.Add
    type: Literal["add"] = Field(description="An Add merge layer.")


@register
class MultiplyLayer(MergeBlock):
    """Keras' Multiply: the elementwise product, broadcasting a size of 1 (an SE gate [1, 1, C] × [H, W, C])."""

    layer = layers.Multiply
    type: Literal["multiply"] = Field(description="A Multiply merge layer.")


@register
class AverageLayer(MergeBlock):
    """Keras' Average: the elementwise mean."""

    layer = layers.Average
    type: Literal["average"] = Field(description="An Average merge layer.")


@register
class MaximumLayer(MergeBlock):
    """Keras' Maximum: the elementwise maximum."""

    layer = layers.Maximum
    type: Literal["maximum"] = Field(description="A Maximum merge layer.")


@register
class SubtractLayer(MergeBlock):
    """Keras' Subtract: the first input minus the second."""

    layer = layers.Subtract
    exactly = 2
    type: Literal["subtract"] = Field(description="A Subtract merge layer (exactly two inputs).")
    inputs: list[Name] = Field(min_length=2, description="The two blocks (or model inputs): the first minus "
                               "the second.", json_schema_extra={"maxItems": 2})


@register
class ConcatLayer(MergeBlock):
    """Keras' Concatenate along ``axis``."""

    layer = layers.Concatenate
    type: Literal["concat"] = Field(description="A Concatenate merge layer.")
    axis: int = Field(-1, strict=True, description="The axis to concatenate on, as Keras counts it: 0 is the "
                      "batch axis, -1 the last (channels).")

    def make_layer(self) -> layers.Layer:
        return layers.Concatenate(self.axis)

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        check_axis(g, self, inputs[0], prefix)
        return super().expand(g, inputs, prefix)


def check_axis(g, block, x: Tensor, prefix: str) -> None:
    """Blame ``block``'s ``axis`` when it is no axis of ``x`` (before its inputs' shapes are compared)."""
    try:
        layers.axis_index(block.axis, len(x.shape))
    except layers.ShapeProblem as e:
        g.fail(f"{prefix}: {e}", block.field("axis"))
