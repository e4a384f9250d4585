"""Field types shared by the block models: strict sizes, Keras names, batch-norm settings.

Integers are strict (``true`` is not 1 and ``64.5`` is not 64); a size pair
accepts an int or ``[height, width]``; activations and initializers are Keras'
names, checked here as plain strings so that a spec can never name code.
"""

from typing import Annotated, Callable, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import CoreSchema, core_schema


class Schema:
    """``Annotated`` metadata that hands pydantic a field's core schema outright.

    ``Annotated[int, Schema(lambda h: core_schema.int_schema(gt=0, strict=True))]``
    validates, errs and exports to JSON Schema exactly like
    ``Annotated[int, Strict(), Field(gt=0)]``, but pydantic does not have to derive
    the schema from the metadata again for each of the ~150 fields that use these
    types: that derivation was most of ``modelspec validate``'s start-up time
    (see README, Performance).
    """

    def __init__(self, make: Callable[[GetCoreSchemaHandler], CoreSchema]):
        self.make = make

    def __get_pydantic_core_schema__(self, source: object, handler: GetCoreSchemaHandler) -> CoreSchema:
        return self.make(handler)


INT32_MAX = 2**31 - 1
"""The largest size, count or window TensorFlow takes: its kernels, strides, pools, paddings and shapes are
32-bit integers. Every integer field is bounded by it, so a size Keras would accept and TensorFlow then
fail to run (``pool_size: 1e20`` with same padding) is refused at the field."""


def _positive_int() -> CoreSchema:
    return core_schema.int_schema(gt=0, le=INT32_MAX, strict=True)


def _non_negative_int() -> CoreSchema:
    return core_schema.int_schema(ge=0, le=INT32_MAX, strict=True)


PositiveInt = Annotated[int, Schema(lambda h: _positive_int())]
"""An int > 0; strict: ``true`` is not 1 and ``64.5`` (or ``64.0``) is not 64."""

NonNegativeInt = Annotated[int, Schema(lambda h: _non_negative_int())]
Count = Annotated[int, Schema(lambda h: core_schema.int_schema(gt=0, strict=True))]
"""An int > 0 with no upper bound of its own (``repeat``: the layer budget bounds it)."""
OptionalSize = Optional[PositiveInt]

NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.-]*$"
Name = Annotated[str, Schema(lambda h: core_schema.str_schema(pattern=NAME_PATTERN, max_length=128, strict=True))]

# Keras 3 activations that take one tensor and keep its shape (`glu` halves the
# channels and `threshold` needs arguments, so they are left out).
ACTIVATIONS = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish",
    "mish", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "hard_shrink",
    "soft_shrink", "tanh", "tanh_shrink", "softmax", "log_softmax", "log_sigmoid", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "exponential",
)
Activation = Annotated[Literal[ACTIVATIONS], Schema(  # type: ignore[valid-type]
    lambda h: core_schema.literal_schema(list(ACTIVATIONS)))]
"""One of :data:`ACTIVATIONS`, as ``Literal[ACTIVATIONS]`` would check it."""

Padding = Annotated[Literal["valid", "same"], Schema(lambda h: core_schema.literal_schema(["valid", "same"]))]


def _int_or_pair(value) -> Optional[str]:
    if isinstance(value, int) and not isinstance(value, bool):
        return "int"
    if isinstance(value, (list, tuple)):
        return "pair"
    return None


def _int_or_pair_type(item: Callable[[], CoreSchema], what: str):
    return Annotated[Union[int, tuple[int, int]], Schema(lambda h: core_schema.tagged_union_schema(
        {"int": item(), "pair": core_schema.tuple_schema([item(), item()])},
        discriminator=_int_or_pair,
        custom_error_type="size_type",
        custom_error_message=f"must be {what} integer or a [height, width] pair of them",
    ))]


Size2 = _int_or_pair_type(_positive_int, "a positive")
"""A window or stride: ``3`` means ``[3, 3]``."""

def _int_pair_or_pairs(value) -> Optional[str]:
    if isinstance(value, int) and not isinstance(value, bool):
        return "int"
    if isinstance(value, (list, tuple)):
        return "pairs" if value and all(isinstance(v, (list, tuple)) for v in value) else "pair"
    return None


def _edges_type(what: str):
    """An int, a ``[rows, columns]`` pair, or ``[[top, bottom], [left, right]]``, all non-negative."""
    n = _non_negative_int
    return Annotated[Union[int, tuple[int, int], tuple[tuple[int, int], tuple[int, int]]],
                     Schema(lambda h: core_schema.tagged_union_schema(
                         {"int": n(), "pair": core_schema.tuple_schema([n(), n()]),
                          "pairs": core_schema.tuple_schema([core_schema.tuple_schema([n(), n()])] * 2)},
                         discriminator=_int_pair_or_pairs,
                         custom_error_type="size_type",
                         custom_error_message=f"must be a non-negative integer (the {what} on every side), "
                         "a [rows, columns] pair, or [[top, bottom], [left, right]]",
                     ))]


Padding2 = _edges_type("padding")
"""Zero padding: ``1`` on every side; ``[a, b]``: a rows top and bottom, b columns left and right;
``[[top, bottom], [left, right]]`` for each side."""

Cropping2 = _edges_type("cropping")
"""Cropping, written like :data:`Padding2`."""


def edges(value) -> tuple[tuple[int, int], tuple[int, int]]:
    """``1`` / ``[a, b]`` / ``[[t, b], [l, r]]`` -> ``((top, bottom), (left, right))``."""
    if isinstance(value, int):
        return ((value, value), (value, value))
    if isinstance(value[0], int):
        return ((value[0], value[0]), (value[1], value[1]))
    return (tuple(value[0]), tuple(value[1]))


def pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; a pair stays as it is."""
    return (value, value) if isinstance(value, int) else tuple(value)


class BatchNormConfig(BaseModel):
    """Settings of a BatchNormalization layer (Keras' defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built on first use

    epsilon: float = Field(
        0.001, gt=0, allow_inf_nan=False, strict=True,
        description="Small float added to the variance to avoid dividing by zero.",
    )
    momentum: float = Field(
        0.99, ge=0, lt=1, allow_inf_nan=False, strict=True,
        description="Momentum of the moving mean and variance.",
    )
    center: bool = Field(True, strict=True, description="Learn an offset (beta) added after normalising.")
    scale: bool = Field(True, strict=True, description="Learn a factor (gamma) applied after normalising.")


class KerasAppsBatchNormConfig(BatchNormConfig):
    """Batch-norm settings of the family blocks: Keras Applications' epsilon, 1.001e-5."""

    epsilon: float = Field(
        1.001e-5, gt=0, allow_inf_nan=False, strict=True,
        description="Small float added to the variance to avoid dividing by zero (Keras Applications: 1.001e-5).",
    )


def _bool_or_config(value) -> Optional[str]:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (dict, BatchNormConfig)):
        return "config"
    return None


BatchNorm = Annotated[Union[bool, BatchNormConfig], Schema(lambda h: core_schema.tagged_union_schema(
    {"bool": core_schema.bool_schema(strict=True), "config": h.generate_schema(BatchNormConfig)},
    discriminator=_bool_or_config,
    custom_error_type="batch_norm_type",
    custom_error_message="must be true, false, or a mapping {epsilon: ..., momentum: ...}",
))]
"""``true`` (Keras' settings), ``false`` (none), or explicit settings."""


def _true_or_config(value) -> Optional[str]:
    if value is True:
        return "bool"
    return "config" if isinstance(value, (dict, BatchNormConfig)) else None


def always_batch_norm(config: type[BatchNormConfig]):
    """The batch norm of a family block, which always has it: ``true`` (``config()``'s settings) or a
    mapping whose unset keys take ``config``'s defaults; ``false`` is refused."""
    return Annotated[Union[bool, config], Schema(
        lambda h: core_schema.tagged_union_schema(
            {"bool": core_schema.literal_schema([True]), "config": h.generate_schema(config)},
            discriminator=_true_or_config,
            custom_error_type="batch_norm_type",
            custom_error_message="this block always has batch norm: must be true or a mapping "
            "{epsilon: ..., momentum: ...}",
        ))]


AlwaysBatchNorm = always_batch_norm(KerasAppsBatchNormConfig)
"""The batch norm of a family block, which always has it: ``true`` or settings (epsilon 1.001e-5)."""


def batch_norm_config(value: bool | BatchNormConfig, default: type[BatchNormConfig] = BatchNormConfig,
                      ) -> Optional[BatchNormConfig]:
    """The batch-norm settings a block asked for (``true``: ``default()``), or None for no batch norm."""
    if value is True:
        return default()
    return value or None


def _number_or_list(value) -> Optional[str]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return "number"
    return "list" if isinstance(value, (list, tuple)) else None


def number_or_per_channel(ge: Optional[float] = None):
    """A number, or a list of them (one per channel, or a single one that broadcasts); finite, strict."""
    def number():
        return core_schema.float_schema(strict=True, allow_inf_nan=False, ge=ge)

    lower = "" if ge is None else f" (each at least {ge:g})"
    return Annotated[Union[float, list[float]], Schema(lambda h: core_schema.tagged_union_schema(
        {"number": number(), "list": core_schema.list_schema(number(), min_length=1, max_length=4096)},
        discriminator=_number_or_list,
        custom_error_type="size_type",
        custom_error_message=f"must be a number or a list of numbers, one per channel{lower}",
    ))]


def _map_shape(value) -> Optional[str]:
    if isinstance(value, (list, tuple)):
        return "features" if len(value) == 1 else "map"
    return None


InputShape = Annotated[Union[tuple[Optional[int], Optional[int], int], tuple[int]], Schema(
    lambda h: core_schema.tagged_union_schema(
        {"map": core_schema.tuple_schema([core_schema.nullable_schema(_positive_int())] * 2 + [_positive_int()]),
         "features": core_schema.tuple_schema([_positive_int()])},
        discriminator=_map_shape,
        custom_error_type="shape_type",
        custom_error_message="must be [height, width, channels] (height and width may be null) or [features]",
    ))]
"""A model input's shape, batch axis left out: a map ``[h, w, c]`` or a vector ``[features]``."""


# Initializers live in their own module (names and classes with arguments); re-exported here,
# at the end, because that module builds on Schema above.
from .initializers import INITIALIZERS, Initializer  # noqa: E402
