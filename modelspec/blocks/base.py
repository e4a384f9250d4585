"""What every block shares: ``name`` and ``repeat``, and the conv → BN → activation unit."""

from typing import Optional

from pydantic import BaseModel, ConfigDict, Field

from ..fields import BatchNormConfig, Name, PositiveInt, pair
from ..graph import Graph, Tensor
from ..layers import Activation, BatchNormalization, Conv2D


class Block(BaseModel):
    """Base of every block model.

    A subclass declares ``type: Literal["..."]`` and its fields, and implements
    :meth:`expand`, which adds the block's layers to a :class:`Graph` — the one
    description used by both the static pass and the Keras build.
    """

    # defer_build: a block's validator is built on first use (normally as part of
    # ModelSpec's), not for every block class at import: a faster `validate`.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: Optional[Name] = Field(
        None,
        description="Prefix of this block's layer names; unique in the model. "
        "Defaults to block{N}, N being the block's 1-based position.",
    )
    repeat: PositiveInt = Field(
        1,
        description="Stack this many copies (named NAME_1, NAME_2, ...); 'strides' applies to the "
        "first copy only, later ones take the default (1; for pools, the pool size).",
    )

    def expand(self, g: Graph, x: Tensor, prefix: str) -> Tensor:
        """Add this block's layers on ``x``, names starting with ``prefix``; return the output."""
        raise NotImplementedError

    def later_copy(self) -> "Block":
        """The block as repeated after its first copy: ``strides`` back to its default.

        That is 1 for convolutions and residual blocks, and "same as pool_size"
        for pooling layers, so ``{type: max_pool, repeat: 2}`` halves twice.
        """
        field = type(self).model_fields.get("strides")
        if field is None:
            return self
        return self.model_copy(update={"strides": field.default})


def conv_unit(
    g: Graph, x: Tensor, name: str, *, filters: int, kernel_size, strides=1, padding: str = "same",
    activation: str = "linear", batch_norm: Optional[BatchNormConfig] = None, use_bias: bool = True,
    kernel_initializer: str = "glorot_uniform", at: Optional[str] = None,
) -> Tensor:
    """A Conv2D, or with batch norm: Conv2D → BatchNormalization → Activation.

    Without batch norm the activation is the convolution's own. With it the
    layers are ``NAME``, ``NAME_bn`` and ``NAME_<activation>`` (no activation
    layer when the activation is linear), as in Keras Applications' ResNet.
    """
    conv = Conv2D(
        filters, pair(kernel_size), pair(strides), padding,
        activation if batch_norm is None else "linear", use_bias, kernel_initializer,
    )
    x = g.add(conv, x, name, at=at)
    if batch_norm is not None:
        x = g.add(BatchNormalization(batch_norm.epsilon, batch_norm.momentum), x, f"{name}_bn")
        if activation != "linear":
            x = g.add(Activation(activation), x, f"{name}_{activation}")
    return x
