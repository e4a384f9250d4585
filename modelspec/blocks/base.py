"""What every block shares, and the one factory that makes convolution units.

* :class:`BlockBase`: ``name`` and ``repeat``; :class:`Block` (single input)
  adds ``input``, the merge layers add ``inputs`` instead.
* :class:`ConvOptions`: the convolution settings that VGG, inception, residual
  and conv entries all take (``activation``, ``batch_norm``, ``use_bias``,
  ``kernel_initializer``), defined once.
* :class:`ConvUnit`: a small layer factory (after timm's ``LayerFn``) that
  makes conv [→ batch norm → activation] from those settings, so a block
  states only what differs: filters, window, strides, padding.

A block's :meth:`~BlockBase.expand` is given its input tensors and adds its
layers through an :class:`~modelspec.analysis.Expander`; it never looks at
"the previous layer".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Iterator, Optional, TYPE_CHECKING, Union

from pydantic import BaseModel, ConfigDict, Field

from ..fields import (
    Activation, BatchNorm, BatchNormConfig, Count, Initializer, Name, PositiveInt, batch_norm_config, pair,
)
from ..graph import Tensor
from ..layers import Activation as ActivationLayer
from ..layers import BatchNormalization, Conv2D

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis import Expander


class BlockBase(BaseModel):
    """Base of every block model.

    A subclass declares ``type: Literal["..."]`` and its fields, is registered
    with :func:`modelspec.blocks.registry.register`, and implements
    :meth:`expand` — the one description of its layers used by both the
    static pass and the Keras build.
    """

    # defer_build: a block's validator is built on first use (normally as part of
    # ModelSpec's), not for every block class at import: a faster `validate`.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: Optional[Name] = Field(
        None,
        description="This block's handle (other blocks refer to its output by it) and the prefix of its layer "
        "names; unique in the model. Defaults to block{N}, N being the block's 1-based position.",
    )
    repeat: Count = Field(
        1,
        description="Stack this many copies (named NAME_1, NAME_2, ...; NAME is the last); 'strides' applies "
        "to the first copy only, later ones take the default (1; for pools, the pool size).",
    )

    nested: ClassVar[dict[str, int]] = {}
    """Fields that hold blocks, and how deep: 1 for a list of blocks, 2 for a list of lists (branches)."""

    def sources(self) -> Optional[list[tuple[str, tuple]]]:
        """The names this block takes its inputs from, each with the spec path (under the block) it is
        written at; None: the previous block's output."""
        raise NotImplementedError

    def expand(self, g: "Expander", inputs: list[Tensor], prefix: str) -> Tensor:
        """Add this block's layers on ``inputs`` (names starting with ``prefix``); return its output."""
        raise NotImplementedError

    def later_copy(self) -> "BlockBase":
        """The block as repeated after its first copy: ``strides`` back to its default.

        That is 1 for convolutions and residual blocks, and "same as pool_size"
        for pooling layers, so ``{type: max_pool, repeat: 2}`` halves twice.
        """
        field = type(self).model_fields.get("strides")
        if field is None:
            return self
        return self.model_copy(update={"strides": field.default})

    @classmethod
    def field(cls, name: str) -> str:
        """``name``, checked to be a field of this block: what layers blame for a problem.

        Raises AttributeError (a modelspec bug, found by any test that expands
        the block) for a name the model does not have.
        """
        if name not in cls.model_fields:
            raise AttributeError(f"{cls.__name__} has no field {name!r} to blame")
        return name


def child_lists(block: Any) -> Iterator[tuple[tuple, Any]]:
    """The lists of blocks a composite holds, with their spec paths under it: ``(("blocks",), [...])``,
    ``(("branches", 0), [...])``. Works on a block model or on its spec mapping (then only for the
    parts that are lists); nothing for a block that holds none."""
    if isinstance(block, dict):
        from .registry import block_class_of

        cls, get = block_class_of(block), block.get
    else:
        cls, get = type(block), lambda key: getattr(block, key)
    for key, depth in (cls.nested if cls is not None else {}).items():
        value = get(key)
        if not isinstance(value, list):
            continue
        if depth == 1:
            yield (key,), value
        else:
            for i, inner in enumerate(value):
                if isinstance(inner, list):
                    yield (key, i), inner


class Block(BlockBase):
    """A block with one input: by default the previous block's output."""

    input: Optional[Name] = Field(
        None,
        description="Take the output of this earlier block (or model input) instead of the previous block's.",
    )

    def sources(self) -> Optional[list[tuple[str, tuple]]]:
        return None if self.input is None else [(self.input, ("input",))]


class ConvOptions(BaseModel):
    """The convolution settings shared by every block made of convolutions."""

    model_config = ConfigDict(defer_build=True)  # a mixin: built only as part of the blocks that use it

    activation: Activation = Field("relu", description="Keras activation of the convolutions.")
    batch_norm: BatchNorm = Field(
        False, description="Conv → BatchNormalization → activation when true or {epsilon, momentum, center, "
        "scale} (the conv then has no activation of its own)."
    )
    use_bias: bool = Field(True, strict=True, description="Whether the convolutions have a bias.")
    kernel_initializer: Initializer = Field("glorot_uniform", description="Keras initializer of the kernels.")

    def conv_unit(self) -> "ConvUnit":
        return ConvUnit(self.activation, batch_norm_config(self.batch_norm), self.use_bias, self.kernel_initializer)


@dataclass(frozen=True)
class ConvUnit:
    """Makes Conv2D [→ BatchNormalization → Activation] units with one block's settings.

    Without batch norm the activation is the convolution's own. With it the
    layers are ``NAME``, ``NAME_bn`` and ``NAME_<activation>`` (no activation
    layer when the activation is linear), as in Keras Applications' ResNet.
    """

    activation: str = "relu"
    batch_norm: Optional[BatchNormConfig] = None
    use_bias: bool = True
    kernel_initializer: str = "glorot_uniform"

    def __call__(self, g: "Expander", x: Tensor, name: str, filters: int, kernel_size, *, strides=1,
                 padding: str = "same", activation: Optional[str] = None,
                 groups: int = 1, dilation_rate=1, at: Union[None, str, dict] = None,
                 sized_by: Optional[str] = None) -> Tensor:
        """One unit on ``x``; ``activation`` overrides the block's for this unit only.

        ``at`` (a field name) is blamed for a window that does not fit; a problem with the input itself
        (its rank) is the block's. A mapping is passed on to ``Graph.add`` as it is."""
        activation = self.activation if activation is None else activation
        conv = Conv2D(
            filters, pair(kernel_size), pair(strides), padding,
            activation if self.batch_norm is None else "linear",
            self.use_bias, self.kernel_initializer, groups, pair(dilation_rate),
        )
        x = g.add(conv, x, name, at={"window": at} if isinstance(at, str) else at, sized_by=sized_by)
        if self.batch_norm is not None:
            x = self.norm_act(g, x, name, activation)
        return x

    def norm_act(self, g: "Expander", x: Tensor, name: str, activation: Optional[str] = None) -> Tensor:
        """BatchNormalization (``NAME_bn``) then the activation (``NAME_<activation>``) unless linear."""
        bn = self.batch_norm or BatchNormConfig()
        x = g.add(BatchNormalization(bn.epsilon, bn.momentum, bn.center, bn.scale), x, f"{name}_bn")
        activation = self.activation if activation is None else activation
        if activation != "linear":
            x = g.add(ActivationLayer(activation), x, f"{name}_{activation}")
        return x
