"""Composite blocks: ``sequence`` (blocks in order) and ``parallel`` (branches, then a merge).

Both hold any blocks, composites included; the :class:`~modelspec.analysis.Expander`
expands their children as it expands the top level, with names scoped as the
contract says: a named block inside is a handle for later blocks, except inside
a repeated composite, where it refers to that copy's block and its layers are
prefixed with the copy's name.
"""

from typing import ClassVar, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from .. import layers
from ..graph import Tensor
from .base import Block
from .merge import check_axis
from .registry import register

MERGES = {"concat": layers.Concatenate, "add": layers.Add, "multiply": layers.Multiply,
          "average": layers.Average, "maximum": layers.Maximum}


@register
class SequenceBlock(Block):
    """The blocks in order, as one block: with ``repeat``, the whole group is repeated.

    Inner blocks without a name get ``PREFIX_block{j}`` as the prefix of their layers.
    """

    nested: ClassVar[dict[str, int]] = {"blocks": 1}
    type: Literal["sequence"] = Field(description="A group of blocks applied in order.")
    blocks: list["AnyBlock"] = Field(min_length=1, description="The blocks, in order; the first takes the "
                                     "sequence's input.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.chain(self.blocks, x, "blocks", lambda j: f"{prefix}_block{j}")


@register
class ParallelBlock(Block):
    """Branches that all start from the block's input, merged in branch order.

    An empty branch is the identity. The merge layer is ``PREFIX_<merge>``; inner
    blocks without a name get ``PREFIX_branch{i}_{j}``.
    """

    nested: ClassVar[dict[str, int]] = {"branches": 2}
    type: Literal["parallel"] = Field(description="Branches from one input, merged.")
    branches: list[list["AnyBlock"]] = Field(
        min_length=2, description="Lists of blocks, each starting from the parallel's input; [] is the identity.")
    merge: Literal["concat", "add", "multiply", "average", "maximum"] = Field(
        description="How the branch outputs are merged, in branch order.")
    axis: int = Field(-1, strict=True, description="The concat axis, as Keras counts it (0 is the batch axis, "
                      "-1 the channels); only for merge: concat.")

    # the axis validator below, said to editors too: another merge keeps axis -1
    model_config = ConfigDict(json_schema_extra={
        "if": {"properties": {"merge": {"not": {"const": "concat"}}}, "required": ["merge"]},
        "then": {"properties": {"axis": {"const": -1}}},
    })

    @field_validator("axis")
    @classmethod
    def _axis_needs_concat(cls, axis: int, info: ValidationInfo) -> int:
        merge = info.data.get("merge")
        if axis != -1 and merge not in (None, "concat"):
            raise ValueError(f"axis is only for merge: concat, not {merge}")
        return axis

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        outputs = g.branches(self.branches, x, "branches", lambda i, j: f"{prefix}_branch{i}_{j}")
        if self.merge == "concat":
            check_axis(g, self, outputs[0], prefix)
        merge = layers.Concatenate(self.axis) if self.merge == "concat" else MERGES[self.merge]()
        return g.add(merge, outputs, f"{prefix}_{self.merge}", at=self.field("branches"))
