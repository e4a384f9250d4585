"""ResNet modules: the two-conv residual module and the bottleneck (He et al., 2016, v1), and the
pre-activation bottleneck of ResNet v2 (He et al., 2016, "Identity Mappings in Deep Residual Networks")."""

from typing import Literal

from pydantic import Field

from ..fields import (
    AlwaysBatchNorm, Initializer, KerasAppsBatchNormConfig, PositiveInt, Size2, batch_norm_config, pair,
)
from ..graph import Tensor
from ..layers import Activation as ActivationLayer
from ..layers import Add, Conv2D, MaxPooling2D, ZeroPadding2D
from .base import Block, ConvOptions, ConvUnit
from .registry import register

Shortcut = Literal["auto", "identity", "projection"]
SHORTCUT_DESCRIPTION = (
    "auto: identity when channels and strides match, else a strided 1×1 projection conv; "
    "identity: the input itself (an error if shapes differ); projection: always the 1×1 conv."
)


def shortcut(g, block, x: Tensor, prefix: str, unit: ConvUnit, *, kind: str, filters: int, strides) -> Tensor:
    """The shortcut branch: ``x`` itself, or ``NAME_shortcut`` (a linear strided 1×1 conv [+ BN]).

    The reference tutorial gives its projection a relu; modelspec follows the
    ResNet paper and Keras Applications, whose projection is linear.
    """
    matches = x.shape[-1] == filters and pair(strides) == (1, 1)
    if kind == "identity" and not matches:
        _identity_cannot_be(g, block, x, filters, strides)
    if kind == "identity" or (kind == "auto" and matches):
        return x
    return unit(g, x, f"{prefix}_shortcut", filters, 1, strides=strides, padding="valid", activation="linear",
                at=block.field("strides"), sized_by=block.field("filters"))


def _identity_cannot_be(g, block, x: Tensor, filters: int, strides) -> None:
    g.fail(f"an identity shortcut needs the block to keep its shape, but it maps {x.shape[-1]} channels "
           f"to {filters} with strides {list(pair(strides))}; use shortcut: projection (or auto)",
           block.field("shortcut"))


@register
class ResidualBlock(Block, ConvOptions):
    """conv(activation) → conv(linear), added to the shortcut, then the activation.

    Layers: ``NAME_shortcut`` (when projected), ``NAME_conv1``, ``NAME_conv2``,
    ``NAME_add``, ``NAME_out``; with batch norm each conv is followed by
    ``_bn`` (and the first by its activation).
    """

    type: Literal["residual"] = Field(description="A two-convolution residual module.")
    filters: PositiveInt = Field(description="Filters of both convolutions (and of the block's output).")
    shortcut: Shortcut = Field("auto", description=SHORTCUT_DESCRIPTION)
    kernel_size: Size2 = Field(3, description="Window of both convolutions: an int or [height, width].")
    strides: Size2 = Field(1, description="Strides of the first convolution and of the projection.")
    kernel_initializer: Initializer = Field("he_normal", description="Keras initializer of the kernels.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        unit = self.conv_unit()
        at, size = self.field("kernel_size"), self.field("filters")
        short = shortcut(g, self, x, prefix, unit, kind=self.shortcut, filters=self.filters, strides=self.strides)
        y = unit(g, x, f"{prefix}_conv1", self.filters, self.kernel_size, strides=self.strides, at=at, sized_by=size)
        y = unit(g, y, f"{prefix}_conv2", self.filters, self.kernel_size, activation="linear", at=at, sized_by=size)
        y = g.add(Add(), [y, short], f"{prefix}_add")
        return g.add(ActivationLayer(self.activation), y, f"{prefix}_out")


@register
class BottleneckBlock(Block, ConvOptions):
    """ResNet-50's bottleneck: 1×1 (strides) → 3×3 → 1×1 (filters × expansion) + shortcut, then the activation.

    Laid out as Keras Applications' ResNet50 ``block1``: the shortcut first, then
    ``NAME_conv1``, ``NAME_conv2``, ``NAME_conv3``, ``NAME_add`` (shortcut + main
    path) and ``NAME_out``.
    """

    type: Literal["bottleneck"] = Field(description="A ResNet-50 style bottleneck module.")
    filters: PositiveInt = Field(description="Filters of the 1×1 and 3×3 convolutions.")
    expansion: PositiveInt = Field(4, description="The last 1×1 conv has filters × expansion filters.")
    strides: Size2 = Field(1, description="Strides of the first 1×1 conv and of the projection.")
    shortcut: Shortcut = Field("auto", description=SHORTCUT_DESCRIPTION)

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        unit = self.conv_unit()
        out_filters = self.filters * self.expansion
        size = self.field("filters")
        short = shortcut(g, self, x, prefix, unit, kind=self.shortcut, filters=out_filters, strides=self.strides)
        y = unit(g, x, f"{prefix}_conv1", self.filters, 1, strides=self.strides, padding="valid",
                 at=self.field("strides"), sized_by=size)
        y = unit(g, y, f"{prefix}_conv2", self.filters, 3, sized_by=size)
        y = unit(g, y, f"{prefix}_conv3", out_filters, 1, padding="valid", activation="linear", sized_by=size)
        y = g.add(Add(), [short, y], f"{prefix}_add")
        return g.add(ActivationLayer(self.activation), y, f"{prefix}_out")


@register
class PreactBottleneckBlock(Block):
    """ResNet v2's bottleneck, as ``keras.applications.resnet_v2`` builds it (``residual_block_v2``).

    BatchNormalization → ReLU first (``NAME_preact_bn``, ``NAME_preact_relu``);
    the shortcut is a 1×1 projection conv of that pre-activation (``NAME_0_conv``,
    with bias), or the input itself — through a 1×1 max pool
    (``NAME_0_pool``) when strided. The main path is 1×1 conv (no bias) → BN →
    ReLU → zero padding 1 → 3×3 conv with the strides (no bias) → BN → ReLU →
    1×1 conv to ``4 × filters`` (with bias), added to the shortcut
    (``NAME_out``, shortcut first). Layer roles are Keras': ``NAME_1_conv``,
    ``NAME_1_bn``, ``NAME_1_relu``, ``NAME_2_pad``, ``NAME_2_conv``, … ``NAME_3_conv``.
    There is no activation after the add: the next block's pre-activation is it.
    """

    type: Literal["preact_bottleneck"] = Field(description="A ResNet v2 pre-activation bottleneck module.")
    filters: PositiveInt = Field(description="Filters of the 1×1 and 3×3 convolutions; the block gives 4 × filters.")
    strides: Size2 = Field(1, description="Strides of the 3×3 convolution and of the shortcut.")
    shortcut: Shortcut = Field(
        "auto", description="auto: a 1×1 projection conv when the channels change, else the input (1×1 max pool "
        "when strided); identity: the input (an error if channels change); projection: always the 1×1 conv.")
    batch_norm: AlwaysBatchNorm = Field(
        True, description="Settings of the block's batch norms: true (epsilon 1.001e-5, as Keras Applications) "
        "or {epsilon, momentum, center, scale}.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernels.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        out = 4 * self.filters
        unit = ConvUnit("relu", batch_norm_config(self.batch_norm, KerasAppsBatchNormConfig), False,
                        self.kernel_initializer)
        size, strides = self.field("filters"), pair(self.strides)
        preact = unit.norm_act(g, x, f"{prefix}_preact")
        kind = self.shortcut
        if kind == "identity" and x.shape[-1] != out:
            _identity_cannot_be(g, self, x, out, strides)
        if kind == "projection" or (kind == "auto" and x.shape[-1] != out):
            short = g.add(self._conv(out, 1, strides, use_bias=True), preact, f"{prefix}_0_conv",
                          at={"window": self.field("strides")}, sized_by=size)
        elif strides != (1, 1):
            short = g.add(MaxPooling2D((1, 1), strides), x, f"{prefix}_0_pool",
                          at={"window": self.field("strides")})
        else:
            short = x
        y = g.add(self._conv(self.filters, 1), preact, f"{prefix}_1_conv", sized_by=size)
        y = unit.norm_act(g, y, f"{prefix}_1")
        y = g.add(ZeroPadding2D(((1, 1), (1, 1))), y, f"{prefix}_2_pad")
        y = g.add(self._conv(self.filters, 3, strides), y, f"{prefix}_2_conv",
                  at={"window": self.field("strides")}, sized_by=size)
        y = unit.norm_act(g, y, f"{prefix}_2")
        y = g.add(self._conv(out, 1, use_bias=True), y, f"{prefix}_3_conv", sized_by=size)
        return g.add(Add(), [short, y], f"{prefix}_out")

    def _conv(self, filters: int, size: int, strides=(1, 1), use_bias: bool = False) -> Conv2D:
        return Conv2D(filters, (size, size), strides, "valid", "linear", use_bias, self.kernel_initializer)
