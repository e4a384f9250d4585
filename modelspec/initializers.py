"""Kernel initializers as data: a Keras name, or ``{class: NAME, arg: value, ...}``.

    kernel_initializer: he_normal
    kernel_initializer: {class: VarianceScaling, scale: 2.0, mode: fan_out, distribution: truncated_normal}

Each class below mirrors one Keras 3 initializer class and its arguments, so
that a misspelt class or argument is a located error with a did-you-mean
before TensorFlow is imported. A spec still names no code: the classes are a
fixed list, and the arguments numbers or fixed words. ``tests/test_initializers.py``
checks this table against ``keras.initializers`` itself.
"""

from typing import Annotated, Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import CoreSchema, core_schema

from .fields import Schema

# Keras 3 initializers usable by name on a convolution or dense kernel.
INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
    "lecun_uniform", "orthogonal", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "zeros", "ones", "constant",
)

_FLOAT = dict(strict=True, allow_inf_nan=False)  # strict: "2" and true are refused; an int is a fine float (scale: 2)
Seed = Optional[Annotated[int, Field(ge=0, strict=True)]]
SEED_DESCRIPTION = "Random seed (an integer >= 0) for reproducible weights; null: unseeded."


class InitializerClass(BaseModel):
    """Base of the initializer classes: the ``class`` tag and nothing else."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, populate_by_name=True)

    def keras_arguments(self) -> dict[str, Any]:
        """The keyword arguments of the Keras class (unset seeds left out)."""
        return self.model_dump(exclude={"class_"}, exclude_none=True)


class Constant(InitializerClass):
    """Every weight the same value."""

    class_: Literal["Constant"] = Field(alias="class", description="Keras' Constant initializer.")
    value: float = Field(0.0, **_FLOAT, description="The value of every weight.")


class Zeros(InitializerClass):
    """Every weight 0."""

    class_: Literal["Zeros"] = Field(alias="class", description="Keras' Zeros initializer.")


class Ones(InitializerClass):
    """Every weight 1."""

    class_: Literal["Ones"] = Field(alias="class", description="Keras' Ones initializer.")


class RandomNormal(InitializerClass):
    """Weights drawn from a normal distribution."""

    class_: Literal["RandomNormal"] = Field(alias="class", description="Keras' RandomNormal initializer.")
    mean: float = Field(0.0, **_FLOAT, description="Mean of the normal distribution.")
    stddev: float = Field(0.05, gt=0, **_FLOAT, description="Standard deviation of the normal distribution.")
    seed: Seed = Field(None, description=SEED_DESCRIPTION)


class TruncatedNormal(InitializerClass):
    """Weights drawn from a normal distribution, redrawn beyond two standard deviations."""

    class_: Literal["TruncatedNormal"] = Field(alias="class", description="Keras' TruncatedNormal initializer.")
    mean: float = Field(0.0, **_FLOAT, description="Mean of the normal distribution before truncation.")
    stddev: float = Field(0.05, gt=0, **_FLOAT, description="Standard deviation before truncation.")
    seed: Seed = Field(None, description=SEED_DESCRIPTION)


class RandomUniform(InitializerClass):
    """Weights drawn uniformly from [minval, maxval]."""

    class_: Literal["RandomUniform"] = Field(alias="class", description="Keras' RandomUniform initializer.")
    minval: float = Field(-0.05, **_FLOAT, description="Lower bound of the uniform distribution.")
    maxval: float = Field(0.05, **_FLOAT, description="Upper bound of the uniform distribution.")
    seed: Seed = Field(None, description=SEED_DESCRIPTION)


class VarianceScaling(InitializerClass):
    """Keras' VarianceScaling: variance ``scale / n``, n the fan-in, fan-out or their mean."""

    class_: Literal["VarianceScaling"] = Field(alias="class", description="Keras' VarianceScaling initializer.")
    scale: float = Field(1.0, gt=0, **_FLOAT, description="Scaling factor of the variance (> 0).")
    mode: Literal["fan_in", "fan_out", "fan_avg"] = Field("fan_in", description="fan_in, fan_out or fan_avg.")
    distribution: Literal["truncated_normal", "untruncated_normal", "uniform", "normal"] = Field(
        "truncated_normal", description="truncated_normal, untruncated_normal or uniform (normal: Keras reads it "
        "as truncated_normal).")
    seed: Seed = Field(None, description=SEED_DESCRIPTION)


class Orthogonal(InitializerClass):
    """An orthogonal matrix (of the kernel flattened to 2D), times gain."""

    class_: Literal["Orthogonal"] = Field(alias="class", description="Keras' Orthogonal initializer.")
    gain: float = Field(1.0, **_FLOAT, description="Factor applied to the orthogonal matrix.")
    seed: Seed = Field(None, description=SEED_DESCRIPTION)


def _seeded(keras_class: str) -> type[InitializerClass]:
    """An initializer class whose only argument is the seed (GlorotUniform, HeNormal, ...)."""
    return type(keras_class, (InitializerClass,), {
        "__annotations__": {"class_": Literal[keras_class], "seed": Seed},  # type: ignore[valid-type]
        "__doc__": f"Keras' {keras_class} initializer.",
        "class_": Field(alias="class", description=f"Keras' {keras_class} initializer."),
        "seed": Field(None, description=SEED_DESCRIPTION),
        "__module__": __name__,
    })


CLASSES: dict[str, type[InitializerClass]] = {
    cls.__name__: cls for cls in (
        Constant, Zeros, Ones, RandomNormal, TruncatedNormal, RandomUniform, VarianceScaling, Orthogonal,
        *(_seeded(name) for name in ("GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform",
                                     "LecunNormal", "LecunUniform")),
    )
}
"""Keras initializer class name -> its model here."""


def _tag(value) -> Optional[str]:
    if isinstance(value, str):
        return "by_name"
    if isinstance(value, InitializerClass):
        return type(value).__name__
    if isinstance(value, dict) and isinstance(value.get("class"), str) and value["class"] in CLASSES:
        return value["class"]
    return None


def _schema(handler) -> CoreSchema:
    choices = {"by_name": core_schema.literal_schema(list(INITIALIZERS))}
    choices.update({name: handler.generate_schema(cls) for name, cls in CLASSES.items()})
    return core_schema.tagged_union_schema(
        choices, discriminator=_tag, custom_error_type="initializer_type",
        custom_error_message="must be an initializer name or a mapping {class: NAME, ...} naming a Keras "
        "initializer class",
    )


Initializer = Annotated[Union[Literal[INITIALIZERS], InitializerClass], Schema(_schema)]  # type: ignore[valid-type]
"""A Keras initializer: one of :data:`INITIALIZERS`, or one of :data:`CLASSES` with its arguments."""

UNION_TAGS = ("by_name", *CLASSES)  # the tags pydantic puts in an error's location


def to_keras(value: Union[str, InitializerClass]):
    """The Keras initializer a spec names.

    Keras 3 cannot make ``"constant"`` from its name alone
    (``Constant.from_config`` needs a ``value``: a KeyError), so it becomes
    ``Constant()`` — Keras' own default value, 0. Every other name is passed on.
    """
    import keras

    if isinstance(value, InitializerClass):
        return getattr(keras.initializers, type(value).__name__)(**value.keras_arguments())
    if value == "constant":
        return keras.initializers.Constant()
    return value
