"""Single layers for stems and heads: one spec entry, one Keras layer (conv: up to three).

Each keeps Keras' own defaults unless the contract says otherwise, and its
layer is named after the entry (``name``, default ``block{N}``).
"""

from typing import ClassVar, Literal, Optional

from pydantic import ConfigDict, Field, StrictInt, ValidationInfo, field_validator, model_validator

from .. import layers
from ..fields import (
    INT32_MAX, Activation, BatchNorm, BatchNormConfig, Cropping2, Initializer, Padding, Padding2, PositiveInt, Size2,
    batch_norm_config, edges, number_or_per_channel, pair,
)
from ..graph import Tensor
from .base import Block, ConvOptions, ConvUnit
from .registry import register


def window_blame(block, **others: str) -> dict:
    """What a (dilated) convolution's shape problems blame: a window that does not fit is the dilation's when
    it is dilated, else the kernel's; other causes as given; anything else the block."""
    window = "dilation_rate" if block.dilation_rate != 1 else "kernel_size"
    return {"window": block.field(window), **others}


def _not_both_above_one(dilation_rate, info: ValidationInfo):
    """Keras' Conv2D refuses strides and dilation_rate both above 1; said at dilation_rate, before any build
    (its depthwise and separable convolutions accept them)."""
    strides = info.data.get("strides")
    if strides is not None and max(pair(strides)) > 1 and max(pair(dilation_rate)) > 1:
        raise ValueError(f"strides {list(pair(strides))} and dilation_rate {list(pair(dilation_rate))} cannot "
                         "both exceed 1 (Keras' Conv2D refuses the combination)")
    return _dilated_window_fits(dilation_rate, info)


def _dilated_window_fits(dilation_rate, info: ValidationInfo):
    """A dilated kernel spans (k - 1) * d + 1 pixels, which TensorFlow takes as a 32-bit integer too."""
    kernel = info.data.get("kernel_size")
    if kernel is not None:
        span = max((k - 1) * d + 1 for k, d in zip(pair(kernel), pair(dilation_rate)))
        if span > INT32_MAX:
            raise ValueError(f"a kernel of {list(pair(kernel))} dilated by {list(pair(dilation_rate))} spans "
                             f"{span:,} pixels; TensorFlow takes at most {INT32_MAX:,} (a 32-bit integer)")
    return dilation_rate


@register
class ConvLayer(Block, ConvOptions):
    """A Conv2D; with batch norm: Conv2D → BatchNormalization → activation (``NAME_bn``, ``NAME_<act>``)."""

    type: Literal["conv"] = Field(description="A single Conv2D layer.")
    filters: PositiveInt = Field(description="Number of filters.")
    kernel_size: Size2 = Field(description="Convolution window: an int or [height, width].")
    strides: Size2 = Field(1, description="Strides: an int or [height, width].")
    padding: Padding = Field("valid", description="valid (no padding) or same.")
    activation: Activation = Field("linear", description="Keras activation.")
    groups: PositiveInt = Field(1, description="Split the input channels into this many groups, each convolved "
                                "by filters / groups filters; must divide both.")
    dilation_rate: Size2 = Field(1, description="Spacing between kernel taps (atrous convolution): an int or "
                                 "[height, width]; cannot exceed 1 together with strides.")

    _dilation = field_validator("dilation_rate")(_not_both_above_one)

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return self.conv_unit()(g, x, prefix, self.filters, self.kernel_size, strides=self.strides,
                                padding=self.padding, groups=self.groups, dilation_rate=self.dilation_rate,
                                at=window_blame(self, groups=self.field("groups")), sized_by=self.field("filters"))


class _DepthwiseOptions(Block):
    """The fields depthwise_conv and separable_conv share (Keras' defaults)."""

    kernel_size: Size2 = Field(description="Depthwise window: an int or [height, width].")
    strides: Size2 = Field(1, description="Strides: an int or [height, width].")
    padding: Padding = Field("valid", description="valid (no padding) or same.")
    depth_multiplier: PositiveInt = Field(1, description="Depthwise kernels per input channel.")
    dilation_rate: Size2 = Field(1, description="Spacing between kernel taps: an int or [height, width].")
    _dilation = field_validator("dilation_rate")(_dilated_window_fits)
    activation: Activation = Field("linear", description="Keras activation (after batch norm, when it has one).")
    use_bias: bool = Field(True, strict=True, description="Whether the layer has a bias.")
    batch_norm: BatchNorm = Field(
        False, description="Layer → BatchNormalization → activation when true or {epsilon, momentum, center, scale}.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of every kernel "
                                            "(depthwise and, for separable_conv, pointwise).")

    def _with_norm(self, g, layer, x: Tensor, prefix: str, sized_by: str) -> Tensor:
        bn = batch_norm_config(self.batch_norm)
        x = g.add(layer, x, prefix, at=window_blame(self), sized_by=sized_by)
        return x if bn is None else ConvUnit(self.activation, bn).norm_act(g, x, prefix)

    def _settings(self) -> dict:
        return dict(kernel_size=pair(self.kernel_size), strides=pair(self.strides), padding=self.padding,
                    depth_multiplier=self.depth_multiplier, dilation_rate=pair(self.dilation_rate),
                    activation=self.activation if self.batch_norm is False else "linear",
                    use_bias=self.use_bias, kernel_initializer=self.kernel_initializer)


@register
class DepthwiseConvLayer(_DepthwiseOptions):
    """A DepthwiseConv2D: one kernel per input channel (times depth_multiplier); with batch norm:
    → BatchNormalization (``NAME_bn``) → activation (``NAME_<act>``)."""

    type: Literal["depthwise_conv"] = Field(description="A DepthwiseConv2D layer.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return self._with_norm(g, layers.DepthwiseConv2D(**self._settings()), x, prefix,
                               self.field("depth_multiplier"))


@register
class SeparableConvLayer(_DepthwiseOptions):
    """A SeparableConv2D: a depthwise convolution, then a 1×1 convolution to ``filters``; with batch norm:
    → BatchNormalization (``NAME_bn``) → activation (``NAME_<act>``)."""

    type: Literal["separable_conv"] = Field(description="A SeparableConv2D layer.")
    filters: PositiveInt = Field(description="Filters of the pointwise (1×1) convolution.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        layer = layers.SeparableConv2D(filters=self.filters, **self._settings())
        return self._with_norm(g, layer, x, prefix, self.field("filters"))


@register
class ConvTransposeLayer(Block, ConvOptions):
    """A Conv2DTranspose ("up-convolution"); with batch norm: → BatchNormalization → activation."""

    type: Literal["conv_transpose"] = Field(description="A single Conv2DTranspose (transposed convolution) layer.")
    filters: PositiveInt = Field(description="Number of filters.")
    kernel_size: Size2 = Field(description="Convolution window: an int or [height, width].")
    strides: Size2 = Field(1, description="Strides (the upsampling factor): an int or [height, width].")
    padding: Padding = Field("valid", description="valid (output (n - 1) × s + max(k, s)) or same (n × s).")
    activation: Activation = Field("linear", description="Keras activation.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        unit = self.conv_unit()
        conv = layers.Conv2DTranspose(
            self.filters, pair(self.kernel_size), pair(self.strides), self.padding,
            self.activation if unit.batch_norm is None else "linear", self.use_bias, self.kernel_initializer,
        )
        x = g.add(conv, x, prefix, at=self.field("kernel_size"), sized_by=self.field("filters"),
                  grows_by=self.field("strides"))
        return x if unit.batch_norm is None else unit.norm_act(g, x, prefix)


class _Pool(Block):
    layer: ClassVar[type[layers.Layer]]  # the primitive layer this entry makes

    pool_size: Size2 = Field(2, description="Pooling window: an int or [height, width].")
    strides: Optional[Size2] = Field(None, description="Strides; defaults to pool_size.")
    padding: Padding = Field("valid", description="valid (no padding) or same.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        strides = self.pool_size if self.strides is None else self.strides
        return g.add(self.layer(pair(self.pool_size), pair(strides), self.padding), x, prefix,
                     at=self.field("pool_size"))


@register
class MaxPoolLayer(_Pool):
    """A MaxPooling2D layer."""

    layer = layers.MaxPooling2D
    type: Literal["max_pool"] = Field(description="A MaxPooling2D layer.")


@register
class AvgPoolLayer(_Pool):
    """An AveragePooling2D layer."""

    layer = layers.AveragePooling2D
    type: Literal["avg_pool"] = Field(description="An AveragePooling2D layer.")


@register
class ZeroPaddingLayer(Block):
    """A ZeroPadding2D layer."""

    type: Literal["zero_padding"] = Field(description="A ZeroPadding2D layer.")
    padding: Padding2 = Field(description="Rows/columns of zeros: an int (every side), [rows, columns] "
                              "(top and bottom, left and right), or [[top, bottom], [left, right]].")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        padding = self.field("padding")
        return g.add(layers.ZeroPadding2D(edges(self.padding)), x, prefix, at=padding, grows_by=padding)


@register
class CropLayer(Block):
    """A Cropping2D layer."""

    type: Literal["crop"] = Field(description="A Cropping2D layer: cuts rows and columns off the edges.")
    cropping: Cropping2 = Field(description="Rows/columns to cut: an int (every side), [rows, columns] "
                                "(top and bottom, left and right), or [[top, bottom], [left, right]].")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.add(layers.Cropping2D(edges(self.cropping)), x, prefix, at=self.field("cropping"))


@register
class UpsampleLayer(Block):
    """An UpSampling2D layer: each row and column repeated (or interpolated) ``size`` times."""

    type: Literal["upsample"] = Field(description="An UpSampling2D layer.")
    size: Size2 = Field(2, description="Upsampling factors: an int or [height, width].")
    interpolation: Literal["nearest", "bilinear"] = Field("nearest", description="nearest or bilinear.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        size = self.field("size")
        return g.add(layers.UpSampling2D(pair(self.size), self.interpolation), x, prefix, at=size, grows_by=size)


class _GlobalPool(Block):
    layer: ClassVar[type[layers.Layer]]

    keepdims: bool = Field(False, strict=True, description="Keep height and width as 1: (1, 1, channels).")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.add(self.layer(self.keepdims), x, prefix)


@register
class GlobalAvgPoolLayer(_GlobalPool):
    """A GlobalAveragePooling2D layer: (height, width, channels) -> (channels,)."""

    layer = layers.GlobalAveragePooling2D
    type: Literal["global_avg_pool"] = Field(description="A GlobalAveragePooling2D layer.")


@register
class GlobalMaxPoolLayer(_GlobalPool):
    """A GlobalMaxPooling2D layer: (height, width, channels) -> (channels,)."""

    layer = layers.GlobalMaxPooling2D
    type: Literal["global_max_pool"] = Field(description="A GlobalMaxPooling2D layer.")


@register
class FlattenLayer(Block):
    """A Flatten layer; needs a known height and width."""

    type: Literal["flatten"] = Field(description="A Flatten layer.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.add(layers.Flatten(), x, prefix)


@register
class ReshapeLayer(Block):
    """A Reshape layer."""

    type: Literal["reshape"] = Field(description="A Reshape layer.")
    shape: list[StrictInt] = Field(
        min_length=1, max_length=8, description="Target shape of each sample (batch axis left out); one size "
        "may be -1, inferred from the others.",
        # what the validator below checks, said to editors too
        json_schema_extra={"items": {"type": "integer", "anyOf": [{"minimum": 1, "maximum": INT32_MAX}, {"const": -1}]},
                           "contains": {"const": -1}, "minContains": 0, "maxContains": 1})

    @field_validator("shape")
    @classmethod
    def _sizes(cls, shape: list[int]) -> list[int]:
        if any(d == 0 or d < -1 for d in shape):
            raise ValueError("sizes must be positive integers, or -1 (at most once) for the size to infer")
        if shape.count(-1) > 1:
            raise ValueError("at most one size may be -1")
        if max(shape) > INT32_MAX:
            raise ValueError(f"sizes must be at most {INT32_MAX:,}: TensorFlow takes shapes as 32-bit integers")
        return shape

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.add(layers.Reshape(tuple(self.shape)), x, prefix, at=self.field("shape"))


@register
class DenseLayer(Block):
    """A Dense layer on the last axis."""

    type: Literal["dense"] = Field(description="A Dense (fully connected) layer.")
    units: PositiveInt = Field(description="Number of output units.")
    activation: Activation = Field("linear", description="Keras activation.")
    use_bias: bool = Field(True, strict=True, description="Whether the layer has a bias.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernel.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        dense = layers.Dense(self.units, self.activation, self.use_bias, self.kernel_initializer)
        units = self.field("units")
        return g.add(dense, x, prefix, at=units, sized_by=units)


@register
class DropoutLayer(Block):
    """A Dropout layer."""

    type: Literal["dropout"] = Field(description="A Dropout layer.")
    rate: float = Field(ge=0, lt=1, strict=True, allow_inf_nan=False,
                        description="Fraction of the inputs to drop, 0 <= rate < 1.")
    noise_shape: Optional[list[Optional[PositiveInt]]] = Field(
        None, min_length=1, max_length=9, description="Shape of the dropout mask, batch axis first, as Keras takes "
        "it: null or 1 or the input's size per axis; [null, 1, 1, 1] drops whole samples (stochastic depth).")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        noise = None if self.noise_shape is None else tuple(self.noise_shape)
        return g.add(layers.Dropout(self.rate, noise), x, prefix, at=self.field("noise_shape"))


@register
class ReluLayer(Block):
    """Keras' ReLU layer (a class of its own, as MobileNet uses it: ``{type: relu, max_value: 6}`` is ReLU6)."""

    type: Literal["relu"] = Field(description="A ReLU layer.")
    max_value: Optional[float] = Field(None, ge=0, strict=True, allow_inf_nan=False,
                                       description="Upper bound of the output (6 for ReLU6); null: none.")
    negative_slope: float = Field(0.0, ge=0, strict=True, allow_inf_nan=False,
                                  description="Slope below the threshold (leaky ReLU); 0: none.")
    threshold: float = Field(0.0, ge=0, strict=True, allow_inf_nan=False,
                             description="Values below it are zeroed (or scaled by negative_slope).")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        max_value = None if self.max_value is None else float(self.max_value)
        return g.add(layers.ReLU(max_value, float(self.negative_slope), float(self.threshold)), x, prefix)


@register
class LayerNormLayer(Block):
    """A LayerNormalization layer: each sample normalised over its last axis."""

    type: Literal["layer_norm"] = Field(description="A LayerNormalization layer.")
    epsilon: float = Field(0.001, gt=0, strict=True, allow_inf_nan=False,
                           description="Small float added to the variance to avoid dividing by zero.")
    center: bool = Field(True, strict=True, description="Learn an offset (beta) added after normalising.")
    scale: bool = Field(True, strict=True, description="Learn a factor (gamma) applied after normalising.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.add(layers.LayerNormalization(float(self.epsilon), self.center, self.scale), x, prefix)


NumberOrPerChannel = number_or_per_channel()


def _value(v):
    return tuple(float(x) for x in v) if isinstance(v, list) else float(v)


@register
class RescaleLayer(Block):
    """A Rescaling layer: ``x × scale + offset`` (``scale: 0.00392156862745098`` maps 0..255 to 0..1)."""

    type: Literal["rescale"] = Field(description="A Rescaling layer.")
    scale: NumberOrPerChannel = Field(description="Factor: a number, or one per channel.")
    offset: NumberOrPerChannel = Field(0.0, description="Added after scaling: a number, or one per channel.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        blame = {name: self.field(name) for name in ("scale", "offset")}
        return g.add(layers.Rescaling(_value(self.scale), _value(self.offset)), x, prefix, at=blame)


@register
class NormalizeLayer(Block):
    """A Normalization layer on the last axis: ``(x - mean) / sqrt(variance)``.

    With ``mean`` and ``variance`` the statistics are fixed; without both, they
    are the layer's (non-trainable) weights — a mean and a variance per channel
    and a count — set by Keras' ``adapt`` or by loading weights, as in
    EfficientNet's stem.
    """

    type: Literal["normalize"] = Field(description="A Normalization layer.")
    # the validators below, said to editors too
    model_config = ConfigDict(json_schema_extra={"allOf": [
        {"if": {"required": [a], "properties": {a: {"not": {"type": "null"}}}},
         "then": {"required": [b], "properties": {b: {"not": {"type": "null"}}}}}
        for a, b in (("mean", "variance"), ("variance", "mean"))]})
    mean: Optional[NumberOrPerChannel] = Field(None, description="Mean: a number or one per channel; with variance.")
    variance: Optional[number_or_per_channel(ge=0)] = Field(  # type: ignore[valid-type]
        None, description="Variance (>= 0): a number or one per channel; with mean.")

    @model_validator(mode="after")
    def _both_or_neither(self) -> "NormalizeLayer":
        if (self.mean is None) != (self.variance is None):
            raise ValueError("give mean and variance together, or neither (statistics as weights)")
        return self

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        if self.mean is None:
            return g.add(layers.Normalization(), x, prefix)
        blame = {name: self.field(name) for name in ("mean", "variance")}
        return g.add(layers.Normalization(_value(self.mean), _value(self.variance)), x, prefix, at=blame)


@register
class BatchNormLayer(Block, BatchNormConfig):
    """A BatchNormalization layer on the channel (last) axis."""

    type: Literal["batch_norm"] = Field(description="A BatchNormalization layer.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.add(layers.BatchNormalization(self.epsilon, self.momentum, self.center, self.scale), x, prefix)


@register
class ActivationLayer(Block):
    """An Activation layer."""

    type: Literal["activation"] = Field(description="An Activation layer.")
    activation: Activation = Field(description="Keras activation.")

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        return g.add(layers.Activation(self.activation), x, prefix)
