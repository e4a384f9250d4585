"""The GoogLeNet inception module (Szegedy et al., 2015), naive or with 1×1 reductions."""

from typing import Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from ..fields import NonNegativeInt, PositiveInt, Size2, pair
from ..graph import Tensor
from ..layers import Concatenate, MaxPooling2D
from .base import Block, ConvOptions
from .registry import register


@register
class InceptionBlock(Block, ConvOptions):
    """Four parallel branches concatenated on channels, in this order:

    1×1 conv; [1×1 reduce →] 3×3 conv; [1×1 reduce →] 5×5 conv;
    ``pool_size`` max pool (stride 1, same) [→ 1×1 pool_proj].
    Without ``reduce3x3``, ``reduce5x5`` and ``pool_proj`` it is the naive module,
    whose pool branch passes the input's channels through. A conv branch with 0
    filters is left out. Layers: ``NAME_1x1``, ``NAME_3x3_reduce``, ``NAME_3x3``,
    ``NAME_5x5_reduce``, ``NAME_5x5``, ``NAME_pool``, ``NAME_pool_proj``, ``NAME_concat``.
    """

    type: Literal["inception"] = Field(description="A GoogLeNet inception module.")
    conv1x1: NonNegativeInt = Field(description="Filters of the 1×1 branch (0 leaves it out).")
    conv3x3: NonNegativeInt = Field(description="Filters of the 3×3 branch (0 leaves it out).")
    conv5x5: NonNegativeInt = Field(description="Filters of the 5×5 branch (0 leaves it out).")
    reduce3x3: Optional[PositiveInt] = Field(None, description="Filters of the 1×1 reduction before the 3×3 conv.")
    reduce5x5: Optional[PositiveInt] = Field(None, description="Filters of the 1×1 reduction before the 5×5 conv.")
    pool_proj: Optional[PositiveInt] = Field(None, description="Filters of the 1×1 projection after the pool.")
    pool_size: Size2 = Field(3, description="Window of the branch's max pool (stride 1, same padding).")

    @field_validator("reduce3x3", "reduce5x5")
    @classmethod
    def _reduction_needs_its_branch(cls, value: Optional[int], info: ValidationInfo) -> Optional[int]:
        conv = "conv" + info.field_name[len("reduce"):]
        if value is not None and info.data.get(conv) == 0:
            raise ValueError(f"{info.field_name} is set but {conv} is 0, which leaves its branch out")
        return value

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        unit = self.conv_unit()

        def conv(inp: Tensor, role: str, filters: int, size: int, field: str) -> Tensor:
            at = self.field(field)
            return unit(g, inp, f"{prefix}_{role}", filters, size, at=at, sized_by=at)

        branches = []
        if self.conv1x1:
            branches.append(conv(x, "1x1", self.conv1x1, 1, "conv1x1"))
        for size, filters, reduce in ((3, self.conv3x3, self.reduce3x3), (5, self.conv5x5, self.reduce5x5)):
            if filters:
                y = conv(x, f"{size}x{size}_reduce", reduce, 1, f"reduce{size}x{size}") if reduce else x
                branches.append(conv(y, f"{size}x{size}", filters, size, f"conv{size}x{size}"))
        pool = g.add(MaxPooling2D(pair(self.pool_size), (1, 1), "same"), x, f"{prefix}_pool",
                     at={"window": self.field("pool_size")})
        if self.pool_proj:
            pool = conv(pool, "pool_proj", self.pool_proj, 1, "pool_proj")
        branches.append(pool)
        return g.add(Concatenate(), branches, f"{prefix}_concat")
