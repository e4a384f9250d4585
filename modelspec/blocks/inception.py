"""The GoogLeNet inception module (Szegedy et al., 2015), naive or with 1×1 reductions."""

from typing import Literal, Optional

from pydantic import Field, ValidationInfo, field_validator

from ..fields import (
    Activation, BatchNorm, Initializer, NonNegativeInt, PositiveInt, Size2, batch_norm_config, pair,
)
from ..graph import Graph, Tensor
from ..layers import Concatenate, MaxPooling2D
from .base import Block, conv_unit


class InceptionBlock(Block):
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
    activation: Activation = Field("relu", description="Keras activation of every convolution.")
    batch_norm: BatchNorm = Field(
        False, description="Conv → BatchNormalization → activation when true or {epsilon, momentum}."
    )
    use_bias: bool = Field(True, strict=True, description="Whether the convolutions have a bias.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernels.")

    @field_validator("reduce3x3", "reduce5x5")
    @classmethod
    def _reduction_needs_its_branch(cls, value: Optional[int], info: ValidationInfo) -> Optional[int]:
        conv = "conv" + info.field_name[len("reduce"):]
        if value is not None and info.data.get(conv) == 0:
            raise ValueError(f"{info.field_name} is set but {conv} is 0, which leaves its branch out")
        return value

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        def conv(inp: Tensor, name: str, filters: int, size: int, at: str) -> Tensor:
            return conv_unit(
                g, inp, f"{prefix}_{name}", filters=filters, kernel_size=size,
                activation=self.activation, batch_norm=batch_norm_config(self.batch_norm),
                use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, at=at,
            )

        branches = []
        if self.conv1x1:
            branches.append(conv(x, "1x1", self.conv1x1, 1, "conv1x1"))
        for size, filters, reduce in ((3, self.conv3x3, self.reduce3x3), (5, self.conv5x5, self.reduce5x5)):
            if filters:
                y = conv(x, f"{size}x{size}_reduce", reduce, 1, f"reduce{size}x{size}") if reduce else x
                branches.append(conv(y, f"{size}x{size}", filters, size, f"conv{size}x{size}"))
        pool = g.add(MaxPooling2D(pair(self.pool_size), (1, 1), "same"), x, f"{prefix}_pool", at="pool_size")
        if self.pool_proj:
            pool = conv(pool, "pool_proj", self.pool_proj, 1, "pool_proj")
        branches.append(pool)
        return g.add(Concatenate(), branches, f"{prefix}_concat")
