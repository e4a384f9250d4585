"""The VGG block (Simonyan & Zisserman, 2014): ``convs`` same-padded convolutions, then a max pool."""

from typing import Literal, Optional

from pydantic import Field

from ..fields import Activation, BatchNorm, Initializer, PositiveInt, Size2, batch_norm_config, pair
from ..graph import Graph, Tensor
from ..layers import MaxPooling2D
from .base import Block, conv_unit


class VggBlock(Block):
    """``convs`` × Conv2D(filters, kernel_size, same, activation), then MaxPooling2D.

    Layers: ``NAME_conv1`` … ``NAME_convN``, ``NAME_pool`` — the names Keras
    Applications' VGG16 uses (``block1_conv1``, ``block1_pool``).
    """

    type: Literal["vgg"] = Field(description="A VGG block: convolutions then a max pool.")
    filters: PositiveInt = Field(description="Filters of every convolution in the block.")
    convs: PositiveInt = Field(1, description="Number of convolutions before the pool.")
    kernel_size: Size2 = Field(3, description="Convolution window: an int or [height, width].")
    pool_size: Size2 = Field(2, description="Max-pool window: an int or [height, width].")
    pool_strides: Optional[Size2] = Field(None, description="Max-pool strides; defaults to pool_size.")
    activation: Activation = Field("relu", description="Keras activation of every convolution.")
    batch_norm: BatchNorm = Field(
        False, description="Conv → BatchNormalization → activation when true or {epsilon, momentum}."
    )
    use_bias: bool = Field(True, strict=True, description="Whether the convolutions have a bias.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernels.")

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        for i in range(1, self.convs + 1):
            x = conv_unit(
                g, x, f"{prefix}_conv{i}", filters=self.filters, kernel_size=self.kernel_size,
                activation=self.activation, batch_norm=batch_norm_config(self.batch_norm),
                use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, at="kernel_size",
            )
        strides = self.pool_strides if self.pool_strides is not None else self.pool_size
        pool = MaxPooling2D(pair(self.pool_size), pair(strides), "valid")
        return g.add(pool, x, f"{prefix}_pool", at="pool_size")
