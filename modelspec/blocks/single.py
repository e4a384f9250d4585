"""Single layers for stems and heads: one spec entry, one Keras layer (conv: up to three).

Each keeps Keras' own defaults unless the contract says otherwise, and its
layer is named after the entry (``name``, default ``block{N}``).
"""

from typing import ClassVar, Literal, Optional

from pydantic import Field

from ..fields import (
    Activation, BatchNorm, BatchNormConfig, Initializer, Padding, Padding2, PositiveInt, Size2,
    batch_norm_config, pair,
)
from ..graph import Graph, Tensor
from .. import layers
from .base import Block, conv_unit


class ConvLayer(Block):
    """A Conv2D; with batch norm: Conv2D → BatchNormalization → activation (``NAME_bn``, ``NAME_<act>``)."""

    type: Literal["conv"] = Field(description="A single Conv2D layer.")
    filters: PositiveInt = Field(description="Number of filters.")
    kernel_size: Size2 = Field(description="Convolution window: an int or [height, width].")
    strides: Size2 = Field(1, description="Strides: an int or [height, width].")
    padding: Padding = Field("valid", description="valid (no padding) or same.")
    activation: Activation = Field("linear", description="Keras activation.")
    use_bias: bool = Field(True, strict=True, description="Whether the convolution has a bias.")
    batch_norm: BatchNorm = Field(
        False, description="Conv → BatchNormalization → activation when true or {epsilon, momentum}."
    )
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernel.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        return conv_unit(
            g, x, prefix, filters=self.filters, kernel_size=self.kernel_size, strides=self.strides,
            padding=self.padding, activation=self.activation, batch_norm=batch_norm_config(self.batch_norm),
            use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, at="kernel_size",
        )


class _Pool(Block):
    layer: ClassVar[type[layers.Layer]]  # the primitive layer this entry makes

    pool_size: Size2 = Field(2, description="Pooling window: an int or [height, width].")
    strides: Optional[Size2] = Field(None, description="Strides; defaults to pool_size.")
    padding: Padding = Field("valid", description="valid (no padding) or same.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        strides = self.pool_size if self.strides is None else self.strides
        return g.add(self.layer(pair(self.pool_size), pair(strides), self.padding), x, prefix, at="pool_size")


class MaxPoolLayer(_Pool):
    """A MaxPooling2D layer."""

    layer = layers.MaxPooling2D
    type: Literal["max_pool"] = Field(description="A MaxPooling2D layer.")


class AvgPoolLayer(_Pool):
    """An AveragePooling2D layer."""

    layer = layers.AveragePooling2D
    type: Literal["avg_pool"] = Field(description="An AveragePooling2D layer.")


class ZeroPaddingLayer(Block):
    """A ZeroPadding2D layer."""

    type: Literal["zero_padding"] = Field(description="A ZeroPadding2D layer.")
    padding: Padding2 = Field(description="Rows/columns of zeros: an int, or [top/bottom, left/right].")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        rows, cols = pair(self.padding)
        return g.add(layers.ZeroPadding2D(((rows, rows), (cols, cols))), x, prefix, at="padding")


class GlobalAvgPoolLayer(Block):
    """A GlobalAveragePooling2D layer: (height, width, channels) -> (channels,)."""

    type: Literal["global_avg_pool"] = Field(description="A GlobalAveragePooling2D layer.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        return g.add(layers.GlobalAveragePooling2D(), x, prefix)


class GlobalMaxPoolLayer(Block):
    """A GlobalMaxPooling2D layer: (height, width, channels) -> (channels,)."""

    type: Literal["global_max_pool"] = Field(description="A GlobalMaxPooling2D layer.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        return g.add(layers.GlobalMaxPooling2D(), x, prefix)


class FlattenLayer(Block):
    """A Flatten layer; needs a known height and width."""

    type: Literal["flatten"] = Field(description="A Flatten layer.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        return g.add(layers.Flatten(), x, prefix)


class DenseLayer(Block):
    """A Dense layer on the last axis."""

    type: Literal["dense"] = Field(description="A Dense (fully connected) layer.")
    units: PositiveInt = Field(description="Number of output units.")
    activation: Activation = Field("linear", description="Keras activation.")
    use_bias: bool = Field(True, strict=True, description="Whether the layer has a bias.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernel.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        dense = layers.Dense(self.units, self.activation, self.use_bias, self.kernel_initializer)
        return g.add(dense, x, prefix, at="units")


class DropoutLayer(Block):
    """A Dropout layer."""

    type: Literal["dropout"] = Field(description="A Dropout layer.")
    rate: float = Field(ge=0, lt=1, strict=True, allow_inf_nan=False,
                        description="Fraction of the inputs to drop, 0 <= rate < 1.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        return g.add(layers.Dropout(self.rate), x, prefix)


class BatchNormLayer(Block, BatchNormConfig):
    """A BatchNormalization layer on the channel axis."""

    type: Literal["batch_norm"] = Field(description="A BatchNormalization layer.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        return g.add(layers.BatchNormalization(self.epsilon, self.momentum), x, prefix)


class ActivationLayer(Block):
    """An Activation layer."""

    type: Literal["activation"] = Field(description="An Activation layer.")
    activation: Activation = Field(description="Keras activation.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        return g.add(layers.Activation(self.activation), x, prefix)
