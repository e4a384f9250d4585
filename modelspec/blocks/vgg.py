"""The VGG block (Simonyan & Zisserman, 2014): ``convs`` same-padded convolutions, then a max pool."""

from typing import Literal, Optional

from pydantic import Field

from ..fields import PositiveInt, Size2, pair
from ..graph import Tensor
from ..layers import MaxPooling2D
from .base import Block, ConvOptions
from .registry import register


@register
class VggBlock(Block, ConvOptions):
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

    def expand(self, g, inputs: list[Tensor], prefix: str) -> Tensor:
        (x,) = inputs
        conv = self.conv_unit()
        for i in range(1, self.convs + 1):
            x = conv(g, x, f"{prefix}_conv{i}", self.filters, self.kernel_size,
                     at=self.field("kernel_size"), sized_by=self.field("filters"))
        strides = self.pool_strides if self.pool_strides is not None else self.pool_size
        pool = MaxPooling2D(pair(self.pool_size), pair(strides), "valid")
        return g.add(pool, x, f"{prefix}_pool", at={"window": self.field("pool_size")})
