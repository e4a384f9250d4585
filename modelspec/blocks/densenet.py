"""DenseNet's blocks (Huang et al., 2017), as ``keras.applications.densenet`` builds them."""

import math
from typing import Literal

from pydantic import Field

from ..fields import AlwaysBatchNorm, Initializer, KerasAppsBatchNormConfig, PositiveInt, batch_norm_config
from ..graph import Tensor
from ..layers import AveragePooling2D, Concatenate, Conv2D
from .base import Block, ConvUnit
from .registry import register

BATCH_NORM_DESCRIPTION = ("Settings of the block's batch norms: true (epsilon 1.001e-5, as Keras Applications) "
                          "or {epsilon, momentum, center, scale}.")


@register
class DenseBlock(Block):
    """``layers`` conv blocks, each concatenating its input with ``growth_rate`` new feature maps.

    Each of them is Keras' ``conv_block``: BN → ReLU → 1×1 conv to
    ``bottleneck × growth_rate`` (no bias) → BN → ReLU → 3×3 same conv to
    ``growth_rate`` (no bias), then ``Concatenate([input, new])``. Layer
    names use Keras' roles: ``NAME_block{i}_0_bn``, ``_0_relu``, ``_1_conv``,
    ``_1_bn``, ``_1_relu``, ``_2_conv``, ``_concat``.
    """

    type: Literal["dense_block"] = Field(description="A DenseNet dense block.")
    layers: PositiveInt = Field(description="Number of conv blocks; each adds growth_rate channels.")
    growth_rate: PositiveInt = Field(32, description="Channels each conv block adds.")
    bottleneck: PositiveInt = Field(4, description="The 1×1 conv has bottleneck × growth_rate filters.")
    batch_norm: AlwaysBatchNorm = Field(True, description=BATCH_NORM_DESCRIPTION)
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernels.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        unit = ConvUnit("relu", batch_norm_config(self.batch_norm, KerasAppsBatchNormConfig))
        size = self.field("growth_rate")
        for i in range(1, self.layers + 1):
            name = f"{prefix}_block{i}"
            y = unit.norm_act(g, x, f"{name}_0")
            conv = Conv2D(self.bottleneck * self.growth_rate, (1, 1), use_bias=False,
                          kernel_initializer=self.kernel_initializer)
            y = g.add(conv, y, f"{name}_1_conv", sized_by=size)
            y = unit.norm_act(g, y, f"{name}_1")
            conv = Conv2D(self.growth_rate, (3, 3), padding="same", use_bias=False,
                          kernel_initializer=self.kernel_initializer)
            y = g.add(conv, y, f"{name}_2_conv", sized_by=size)
            x = g.add(Concatenate(), [x, y], f"{name}_concat")
        return x


@register
class TransitionBlock(Block):
    """Keras' ``transition_block``: BN → ReLU → 1×1 conv (no bias) to ``floor(channels × reduction)``
    channels → 2×2 average pool, stride 2 (``NAME_bn``, ``NAME_relu``, ``NAME_conv``, ``NAME_pool``)."""

    type: Literal["transition"] = Field(description="A DenseNet transition block.")
    reduction: float = Field(0.5, gt=0, le=1, strict=True, allow_inf_nan=False,
                             description="Fraction of the channels kept: floor(channels × reduction), 0 < r <= 1.")
    batch_norm: AlwaysBatchNorm = Field(True, description=BATCH_NORM_DESCRIPTION)
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernel.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        unit = ConvUnit("relu", batch_norm_config(self.batch_norm, KerasAppsBatchNormConfig))
        y = unit.norm_act(g, x, prefix)
        filters = math.floor(x.shape[-1] * self.reduction)
        if filters < 1:
            g.fail(f"a reduction of {self.reduction} keeps no channel of {x.shape[-1]}", self.field("reduction"))
        conv = Conv2D(filters, (1, 1), use_bias=False, kernel_initializer=self.kernel_initializer)
        y = g.add(conv, y, f"{prefix}_conv", sized_by=self.field("reduction"))
        return g.add(AveragePooling2D((2, 2), (2, 2)), y, f"{prefix}_pool")
