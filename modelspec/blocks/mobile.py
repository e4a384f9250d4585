"""The mobile family blocks, as Keras Applications builds them: MobileNetV2's inverted residual
(Sandler et al., 2018), EfficientNet's MBConv (Tan & Le, 2019) and its squeeze-and-excitation unit
(Hu et al., 2018).

Each works out from its input's shape what the paper's table leaves implicit:
the expanded channel count, the asymmetric zero padding that Keras'
``imagenet_utils.correct_pad`` adds before a strided depthwise convolution,
and whether the block ends in an identity add.
"""

from typing import Literal, Optional

from pydantic import ConfigDict, Field, ValidationInfo, field_validator

from .. import layers
from ..fields import Activation, BatchNormConfig, PositiveInt, Size2, always_batch_norm, batch_norm_config, pair
from ..graph import Tensor
from ..initializers import Initializer, VarianceScaling
from .base import Block
from .registry import register

# keras/src/applications/efficientnet.py: CONV_KERNEL_INITIALIZER
EFFICIENTNET_CONV_INITIALIZER = VarianceScaling.model_validate(
    {"class": "VarianceScaling", "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal"})


def correct_pad(shape, kernel: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras' ``imagenet_utils.correct_pad``: the zero padding before a strided 'valid' depthwise conv.

    ``k // 2`` on the bottom and right, one less on the top and left of an
    even-sized (or unknown-sized) map. Keras calls it with kernels of 3 and 5
    only; for a 1x1 kernel, where that would be -1, nothing is padded (Keras'
    ZeroPadding2D refuses a negative padding).
    """
    adjust = (1, 1) if shape[0] is None else (1 - shape[0] % 2, 1 - (shape[1] or 0) % 2)
    correct = (kernel[0] // 2, kernel[1] // 2)
    return ((max(correct[0] - adjust[0], 0), correct[0]), (max(correct[1] - adjust[1], 0), correct[1]))


def _needs_map(g, x: Tensor, prefix: str, what: str) -> None:
    if len(x.shape) != 3:
        g.fail(f"{prefix}: {what} needs an input of shape (height, width, channels); it gets "
               f"{layers.format_shape(x.shape)}")


def activation_layer(name: str) -> layers.Layer:
    """``relu6`` is a ``ReLU(6.0)`` layer, as MobileNet writes it; any other activation an Activation layer."""
    return layers.ReLU(max_value=6.0) if name == "relu6" else layers.Activation(name)


def _bn(config: BatchNormConfig) -> layers.BatchNormalization:
    return layers.BatchNormalization(config.epsilon, config.momentum, config.center, config.scale)


def _depthwise(g, x: Tensor, name: str, pad_name: str, kernel, strides, initializer, at: Optional[str]) -> Tensor:
    """Keras' strided depthwise convolution: ``correct_pad`` (layer ``pad_name``) then 'valid'; unstrided: 'same'."""
    kernel, strides = pair(kernel), pair(strides)
    padding = "same"
    if strides != (1, 1):
        x = g.add(layers.ZeroPadding2D(correct_pad(x.shape, kernel)), x, pad_name)
        padding = "valid"
    conv = layers.DepthwiseConv2D(kernel, strides, padding, use_bias=False, kernel_initializer=initializer)
    return g.add(conv, x, name, at=at)


def _pointwise(filters: int, initializer, activation: str = "linear", use_bias: bool = False) -> layers.Conv2D:
    return layers.Conv2D(filters, (1, 1), (1, 1), "same", activation, use_bias, initializer)


def squeeze_excite(g, x: Tensor, prefix: str, squeeze: int, activation: str, gate: str, initializer,
                   sized_by: Optional[str]) -> Tensor:
    """EfficientNet's SE unit on ``x``: global pool, reshape to 1×1×C, 1×1 conv to ``squeeze`` (activation),
    1×1 conv back to C (gate), multiplied into ``x``."""
    channels = x.shape[-1]
    se = g.add(layers.GlobalAveragePooling2D(), x, f"{prefix}_squeeze")
    se = g.add(layers.Reshape((1, 1, channels)), se, f"{prefix}_reshape")
    se = g.add(_pointwise(squeeze, initializer, activation, use_bias=True), se, f"{prefix}_reduce", sized_by=sized_by)
    se = g.add(_pointwise(channels, initializer, gate, use_bias=True), se, f"{prefix}_expand")
    return g.add(layers.Multiply(), [x, se], f"{prefix}_excite")


@register
class SqueezeExciteBlock(Block):
    """Squeeze-and-excitation as EfficientNet writes it: ``NAME_squeeze`` (global average pool),
    ``NAME_reshape`` (1×1×C), ``NAME_reduce`` (1×1 conv, ``activation``), ``NAME_expand`` (1×1 conv back to C,
    ``gate``), ``NAME_excite`` (the input times the gate)."""

    type: Literal["squeeze_excite"] = Field(description="A squeeze-and-excitation unit.")
    ratio: Optional[float] = Field(None, gt=0, le=1, strict=True, allow_inf_nan=False,
                                   description="Squeeze to max(1, int(channels × ratio)) channels (default 0.25).")
    filters: Optional[PositiveInt] = Field(None, description="Squeeze to this many channels instead of a ratio.")
    activation: Activation = Field("relu", description="Keras activation of the squeeze (reduce) convolution.")
    gate: Activation = Field("sigmoid", description="Keras activation of the gate (expand) convolution.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernels.")

    # the validator below, said to editors too
    model_config = ConfigDict(json_schema_extra={"not": {
        "required": ["ratio", "filters"],
        "properties": {"ratio": {"type": "number"}, "filters": {"type": "integer"}}}})

    @field_validator("filters")
    @classmethod
    def _ratio_or_filters(cls, filters: Optional[int], info: ValidationInfo) -> Optional[int]:
        if filters is not None and info.data.get("ratio") is not None:
            raise ValueError("give ratio or filters, not both")
        return filters

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        _needs_map(g, x, prefix, "squeeze-and-excitation")
        if self.filters is not None:
            squeeze, field = self.filters, self.field("filters")
        else:
            squeeze, field = max(1, int(x.shape[-1] * (0.25 if self.ratio is None else self.ratio))), None
        return squeeze_excite(g, x, prefix, squeeze, self.activation, self.gate, self.kernel_initializer, field)


class MobileNetV2BatchNormConfig(BatchNormConfig):
    """Keras MobileNetV2's batch norm: epsilon 1e-3, momentum 0.999."""

    momentum: float = Field(0.999, ge=0, lt=1, allow_inf_nan=False, strict=True,
                            description="Momentum of the moving mean and variance.")


@register
class InvertedResidualBlock(Block):
    """MobileNetV2's inverted residual (``mobilenet_v2._inverted_res_block``).

    ``NAME_expand`` (1×1 conv to ``expansion × in`` channels, no bias) → ``_expand_bn`` →
    ``_expand_relu6`` (left out when ``expansion`` is 1); ``NAME_pad`` (``correct_pad``,
    strided only) → ``NAME_depthwise`` (``kernel_size``, no bias) → ``_depthwise_bn`` →
    ``_depthwise_relu6``; ``NAME_project`` (1×1 conv to ``filters``, no bias) → ``_project_bn``;
    ``NAME_add`` (input + block) when the strides are 1 and the channels match. relu6 is a
    ``ReLU(6.0)`` layer; another activation is an Activation layer.
    """

    type: Literal["inverted_residual"] = Field(description="A MobileNetV2 inverted residual block.")
    filters: PositiveInt = Field(description="Channels of the block's output (no width multiplier is applied).")
    expansion: PositiveInt = Field(6, description="The expand conv makes expansion × input channels; 1: no "
                                   "expand conv (MobileNetV2's first block).")
    kernel_size: Size2 = Field(3, description="Window of the depthwise convolution.")
    strides: Size2 = Field(1, description="Strides of the depthwise convolution.")
    activation: Activation = Field("relu6", description="Activation after the expand and depthwise convs.")
    batch_norm: always_batch_norm(MobileNetV2BatchNormConfig) = Field(  # type: ignore[valid-type]
        True, description="Settings of the block's batch norms: true (Keras MobileNetV2's epsilon 1e-3, momentum "
        "0.999) or {epsilon, momentum, center, scale}.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of every kernel.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        _needs_map(g, x, prefix, "an inverted residual")
        bn = batch_norm_config(self.batch_norm, MobileNetV2BatchNormConfig)
        act = activation_layer(self.activation)
        y = x
        if self.expansion != 1:
            y = g.add(_pointwise(self.expansion * x.shape[-1], self.kernel_initializer), y, f"{prefix}_expand",
                      sized_by=self.field("expansion"))
            y = g.add(_bn(bn), y, f"{prefix}_expand_bn")
            y = g.add(act, y, f"{prefix}_expand_{self.activation}")
        y = _depthwise(g, y, f"{prefix}_depthwise", f"{prefix}_pad", self.kernel_size, self.strides,
                       self.kernel_initializer, self.field("kernel_size"))
        y = g.add(_bn(bn), y, f"{prefix}_depthwise_bn")
        y = g.add(act, y, f"{prefix}_depthwise_{self.activation}")
        y = g.add(_pointwise(self.filters, self.kernel_initializer), y, f"{prefix}_project",
                  sized_by=self.field("filters"))
        y = g.add(_bn(bn), y, f"{prefix}_project_bn")
        if pair(self.strides) == (1, 1) and x.shape[-1] == self.filters:
            y = g.add(layers.Add(), [x, y], f"{prefix}_add")
        return y


@register
class MBConvBlock(Block):
    """EfficientNet's MBConv block (``efficientnet.block``).

    ``NAME_expand_conv`` (1×1 to ``expansion × in``, no bias) → ``_expand_bn`` → ``_expand_activation``
    (left out when ``expansion`` is 1); ``NAME_dwconv_pad`` (``correct_pad``, strided only) →
    ``NAME_dwconv`` → ``NAME_bn`` → ``NAME_activation``; squeeze-and-excitation to
    ``max(1, int(in × se_ratio))`` channels (``NAME_se_squeeze``, ``_se_reshape``, ``_se_reduce``,
    ``_se_expand``, ``_se_excite``; none when ``se_ratio`` is 0); ``NAME_project_conv`` (1×1 to
    ``filters``, no bias) → ``NAME_project_bn``; with strides 1 and ``filters`` equal to the input's
    channels, ``NAME_drop`` (stochastic depth: Dropout with noise shape [null, 1, 1, 1], when
    ``drop_rate`` > 0) and ``NAME_add``.
    """

    type: Literal["mbconv"] = Field(description="An EfficientNet MBConv block.")
    filters: PositiveInt = Field(description="Channels of the block's output.")
    expansion: PositiveInt = Field(6, description="The expand conv makes expansion × input channels; 1: none.")
    kernel_size: Size2 = Field(3, description="Window of the depthwise convolution.")
    strides: Size2 = Field(1, description="Strides of the depthwise convolution.")
    se_ratio: float = Field(0.25, ge=0, le=1, strict=True, allow_inf_nan=False,
                            description="Squeeze-and-excitation width as a fraction of the input channels; 0: none.")
    activation: Activation = Field("swish", description="Keras activation of the block (and of the SE squeeze).")
    drop_rate: float = Field(0.0, ge=0, lt=1, strict=True, allow_inf_nan=False,
                             description="Stochastic-depth rate of the identity branch (the same for every copy).")
    batch_norm: always_batch_norm(BatchNormConfig) = Field(  # type: ignore[valid-type]
        True, description="Settings of the block's batch norms: true (Keras' defaults) or {epsilon, momentum, "
        "center, scale}.")
    kernel_initializer: Initializer = Field(
        EFFICIENTNET_CONV_INITIALIZER, description="Keras initializer of every kernel; default EfficientNet's "
        "{class: VarianceScaling, scale: 2.0, mode: fan_out, distribution: truncated_normal}.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        _needs_map(g, x, prefix, "an MBConv block")
        bn = batch_norm_config(self.batch_norm)
        channels_in, init = x.shape[-1], self.kernel_initializer
        y = x
        if self.expansion != 1:
            y = g.add(_pointwise(self.expansion * channels_in, init), y, f"{prefix}_expand_conv",
                      sized_by=self.field("expansion"))
            y = g.add(_bn(bn), y, f"{prefix}_expand_bn")
            y = g.add(layers.Activation(self.activation), y, f"{prefix}_expand_activation")
        y = _depthwise(g, y, f"{prefix}_dwconv", f"{prefix}_dwconv_pad", self.kernel_size, self.strides, init,
                       self.field("kernel_size"))
        y = g.add(_bn(bn), y, f"{prefix}_bn")
        y = g.add(layers.Activation(self.activation), y, f"{prefix}_activation")
        if 0 < self.se_ratio:
            squeeze = max(1, int(channels_in * self.se_ratio))
            y = squeeze_excite(g, y, f"{prefix}_se", squeeze, self.activation, "sigmoid", init,
                               self.field("se_ratio"))
        y = g.add(_pointwise(self.filters, init), y, f"{prefix}_project_conv", sized_by=self.field("filters"))
        y = g.add(_bn(bn), y, f"{prefix}_project_bn")
        if pair(self.strides) == (1, 1) and channels_in == self.filters:
            if self.drop_rate > 0:
                y = g.add(layers.Dropout(self.drop_rate, (None, 1, 1, 1)), y, f"{prefix}_drop")
            y = g.add(layers.Add(), [y, x], f"{prefix}_add")
        return y
