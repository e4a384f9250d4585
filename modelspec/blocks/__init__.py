"""Every block type, and the discriminated union that dispatches on ``type:``.

To add a block: write its model (fields + ``expand``) in a module here and list
the class in ``BLOCK_CLASSES``.
"""

from typing import Annotated, Union

from pydantic import Field

from .base import Block
from .inception import InceptionBlock
from .residual import BottleneckBlock, ResidualBlock
from .single import (
    ActivationLayer, AvgPoolLayer, BatchNormLayer, ConvLayer, DenseLayer, DropoutLayer, FlattenLayer,
    GlobalAvgPoolLayer, GlobalMaxPoolLayer, MaxPoolLayer, ZeroPaddingLayer,
)
from .vgg import VggBlock

BLOCK_CLASSES: tuple[type[Block], ...] = (
    VggBlock, InceptionBlock, ResidualBlock, BottleneckBlock,
    ConvLayer, MaxPoolLayer, AvgPoolLayer, ZeroPaddingLayer, GlobalAvgPoolLayer, GlobalMaxPoolLayer,
    FlattenLayer, DenseLayer, DropoutLayer, BatchNormLayer, ActivationLayer,
)


def _by_type() -> dict[str, type[Block]]:
    registry: dict[str, type[Block]] = {}
    for cls in BLOCK_CLASSES:
        (tag,) = cls.model_fields["type"].annotation.__args__
        if tag in registry:
            raise TypeError(f"block type {tag!r} is defined by both {registry[tag].__name__} and {cls.__name__}")
        registry[tag] = cls
    return registry


BLOCK_TYPES: dict[str, type[Block]] = _by_type()

AnyBlock = Annotated[Union[BLOCK_CLASSES], Field(discriminator="type")]  # type: ignore[valid-type]

__all__ = ["AnyBlock", "BLOCK_CLASSES", "BLOCK_TYPES", "Block"]
