"""ResNet modules (He et al., 2016): the two-conv residual module and the bottleneck."""

from typing import Literal

from pydantic import Field

from ..fields import Activation, BatchNorm, Initializer, PositiveInt, Size2, batch_norm_config, pair
from ..graph import Graph, Tensor
from ..layers import Activation as ActivationLayer
from ..layers import Add
from .base import Block, conv_unit

Shortcut = Literal["auto", "identity", "projection"]
SHORTCUT_DESCRIPTION = (
    "auto: identity when channels and strides match, else a strided 1×1 projection conv; "
    "identity: the input itself (an error if shapes differ); projection: always the 1×1 conv."
)


def shortcut(g: Graph, x: Tensor, prefix: str, *, kind: str, filters: int, strides, batch_norm,
             use_bias: bool, kernel_initializer: str) -> Tensor:
    """The shortcut branch: ``x`` itself, or ``NAME_shortcut`` (a linear strided 1×1 conv [+ BN]).

    The reference tutorial gives its projection a relu; modelspec follows the
    ResNet paper and Keras Applications, whose projection is linear.
    """
    matches = x.shape[-1] == filters and pair(strides) == (1, 1)
    if kind == "identity" and not matches:
        g.fail(f"an identity shortcut needs the block to keep its shape, but it maps {x.shape[-1]} channels "
               f"to {filters} with strides {list(pair(strides))}; use shortcut: projection (or auto)", "shortcut")
    if kind == "identity" or (kind == "auto" and matches):
        return x
    return conv_unit(g, x, f"{prefix}_shortcut", filters=filters, kernel_size=1, strides=strides,
                     padding="valid", batch_norm=batch_norm, use_bias=use_bias,
                     kernel_initializer=kernel_initializer, at="strides")


class ResidualBlock(Block):
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
    activation: Activation = Field("relu", description="Activation of the first conv and after the add.")
    batch_norm: BatchNorm = Field(
        False, description="Conv → BatchNormalization (→ activation) when true or {epsilon, momentum}."
    )
    use_bias: bool = Field(True, strict=True, description="Whether the convolutions have a bias.")
    kernel_initializer: Initializer = Field("he_normal", description="Keras initializer of the kernels.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        common = dict(batch_norm=batch_norm_config(self.batch_norm), use_bias=self.use_bias,
                      kernel_initializer=self.kernel_initializer)
        short = shortcut(g, x, prefix, kind=self.shortcut, filters=self.filters, strides=self.strides, **common)
        y = conv_unit(g, x, f"{prefix}_conv1", filters=self.filters, kernel_size=self.kernel_size,
                      strides=self.strides, activation=self.activation, at="kernel_size", **common)
        y = conv_unit(g, y, f"{prefix}_conv2", filters=self.filters, kernel_size=self.kernel_size,
                      at="kernel_size", **common)
        y = g.add(Add(), [y, short], f"{prefix}_add")
        return g.add(ActivationLayer(self.activation), y, f"{prefix}_out")


class BottleneckBlock(Block):
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
    activation: Activation = Field("relu", description="Activation after the first two convs and after the add.")
    batch_norm: BatchNorm = Field(
        False, description="Conv → BatchNormalization (→ activation) when true or {epsilon, momentum}."
    )
    use_bias: bool = Field(True, strict=True, description="Whether the convolutions have a bias.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernels.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        out_filters = self.filters * self.expansion
        common = dict(batch_norm=batch_norm_config(self.batch_norm), use_bias=self.use_bias,
                      kernel_initializer=self.kernel_initializer)
        short = shortcut(g, x, prefix, kind=self.shortcut, filters=out_filters, strides=self.strides, **common)
        y = conv_unit(g, x, f"{prefix}_conv1", filters=self.filters, kernel_size=1, strides=self.strides,
                      padding="valid", activation=self.activation, at="strides", **common)
        y = conv_unit(g, y, f"{prefix}_conv2", filters=self.filters, kernel_size=3,
                      activation=self.activation, **common)
        y = conv_unit(g, y, f"{prefix}_conv3", filters=out_filters, kernel_size=1, padding="valid", **common)
        y = g.add(Add(), [short, y], f"{prefix}_add")
        return g.add(ActivationLayer(self.activation), y, f"{prefix}_out")
