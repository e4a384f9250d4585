"""Primitive layers: each knows its output shape, parameter count, MACs and Keras layer.

Every block expands into these, so the arithmetic of a Conv2D or a pooling
window is written once, here, and used both by the static pass and (through
:meth:`Layer.to_keras`) by the build. Shapes leave out the batch axis and use
``None`` for an unknown height or width. Keras is imported inside
:meth:`to_keras` only.

The rules follow Keras' own ``compute_conv_output_shape`` and
``compute_pooling_output_shape``: with ``valid`` padding a window of ``k`` with
stride ``s`` over ``n`` positions gives ``(n - k) // s + 1`` and needs
``n >= k``; with ``same`` it gives ``ceil(n / s)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Optional

Shape = tuple[Optional[int], ...]


class ShapeProblem(Exception):
    """A layer cannot take the input shape it was given."""


def window_output(size: Optional[int], window: int, stride: int, padding: str, what: str) -> Optional[int]:
    """Output length of a sliding window (convolution or pooling) along one axis."""
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    if size < window:
        raise ShapeProblem(f"a {what} of {window} (valid padding) does not fit in an input of size {size}")
    return (size - window) // stride + 1


def _require_rank(shape: Shape, rank: int, layer: str) -> None:
    if len(shape) != rank:
        wanted = "(height, width, channels)" if rank == 3 else f"rank {rank}"
        raise ShapeProblem(f"{layer} needs an input of shape {wanted}; it gets {format_shape(shape)}")


def format_shape(shape: Shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def count_elements(shape: Shape) -> Optional[int]:
    """Number of values in one sample of this shape, None when a size is unknown."""
    if any(d is None for d in shape):
        return None
    return math.prod(shape)


def keras_initializer(name: str):
    """The Keras initializer a spec names.

    Keras 3 cannot make ``"constant"`` from its name alone
    (``Constant.from_config`` needs a ``value``: a KeyError), so it becomes
    ``Constant()`` — Keras' own default value, 0. Every other name is passed on.
    """
    import keras

    if name == "constant":
        return keras.initializers.Constant()
    return name


@dataclass(frozen=True)
class Layer:
    """A primitive layer. Subclasses override what differs from an identity layer.

    A layer with settings is a frozen dataclass of them; one without (``Flatten``,
    ``Add``...) is a plain subclass that inherits Layer's dataclass methods, as
    Python 3.11 compiles a dataclass's methods anew for each decorated class
    (~0.4 ms each at ``validate``'s start-up). Such a subclass compares and
    hashes like a frozen dataclass, but does not refuse a new attribute: layers
    are never changed after they are made, by convention.
    """

    keras_class: ClassVar[str]
    many_inputs: ClassVar[bool] = False
    size_field: ClassVar[Optional[str]] = None  # the spec field a budget overrun blames

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0]

    def param_counts(self, inputs: list[Shape]) -> tuple[int, int]:
        """(trainable, non-trainable) weights, as Keras' ``count_params`` counts them."""
        return (0, 0)

    def macs(self, inputs: list[Shape], output: Shape) -> Optional[int]:
        """Multiply-accumulates for one sample; None when a size is unknown."""
        return 0

    def to_keras(self, name: str):
        raise NotImplementedError


@dataclass(frozen=True)
class Conv2D(Layer):
    filters: int
    kernel_size: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    padding: str = "valid"
    activation: str = "linear"
    use_bias: bool = True
    kernel_initializer: str = "glorot_uniform"
    keras_class: ClassVar[str] = "Conv2D"
    size_field: ClassVar[Optional[str]] = "filters"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, "Conv2D")
        h, w, _ = shape
        return (
            window_output(h, self.kernel_size[0], self.strides[0], self.padding, "kernel"),
            window_output(w, self.kernel_size[1], self.strides[1], self.padding, "kernel"),
            self.filters,
        )

    def param_counts(self, inputs):
        channels = inputs[0][-1]
        kh, kw = self.kernel_size
        return (kh * kw * channels * self.filters + (self.filters if self.use_bias else 0), 0)

    def macs(self, inputs, output):
        positions = count_elements(output[:2])
        if positions is None:
            return None
        kh, kw = self.kernel_size
        return positions * kh * kw * inputs[0][-1] * self.filters

    def to_keras(self, name):
        import keras

        return keras.layers.Conv2D(
            self.filters, self.kernel_size, strides=self.strides, padding=self.padding,
            activation=self.activation, use_bias=self.use_bias,
            kernel_initializer=keras_initializer(self.kernel_initializer), name=name,
        )


@dataclass(frozen=True)
class Dense(Layer):
    units: int
    activation: str = "linear"
    use_bias: bool = True
    kernel_initializer: str = "glorot_uniform"
    keras_class: ClassVar[str] = "Dense"
    size_field: ClassVar[Optional[str]] = "units"

    def output_shape(self, inputs):
        (shape,) = inputs
        if None in shape:
            raise ShapeProblem(f"Dense on an input of shape {format_shape(shape)} would act on every position "
                               "of a map of unknown size; add a flatten (with a fixed input size) or a "
                               "global pooling layer first")
        return shape[:-1] + (self.units,)

    def param_counts(self, inputs):
        return (inputs[0][-1] * self.units + (self.units if self.use_bias else 0), 0)

    def macs(self, inputs, output):
        positions = count_elements(inputs[0][:-1])
        return None if positions is None else positions * inputs[0][-1] * self.units

    def to_keras(self, name):
        import keras

        return keras.layers.Dense(
            self.units, activation=self.activation, use_bias=self.use_bias,
            kernel_initializer=keras_initializer(self.kernel_initializer), name=name,
        )


@dataclass(frozen=True)
class BatchNormalization(Layer):
    epsilon: float = 0.001
    momentum: float = 0.99
    keras_class: ClassVar[str] = "BatchNormalization"

    def param_counts(self, inputs):
        channels = inputs[0][-1]
        return (2 * channels, 2 * channels)  # gamma, beta; moving mean, moving variance

    def to_keras(self, name):
        import keras

        return keras.layers.BatchNormalization(epsilon=self.epsilon, momentum=self.momentum, name=name)


@dataclass(frozen=True)
class Activation(Layer):
    activation: str
    keras_class: ClassVar[str] = "Activation"

    def to_keras(self, name):
        import keras

        return keras.layers.Activation(self.activation, name=name)


@dataclass(frozen=True)
class Dropout(Layer):
    rate: float
    keras_class: ClassVar[str] = "Dropout"

    def to_keras(self, name):
        import keras

        return keras.layers.Dropout(self.rate, name=name)


@dataclass(frozen=True)
class _Pooling2D(Layer):
    """Pooling over a 2D window; subclasses name the Keras layer."""

    pool_size: tuple[int, int]
    strides: tuple[int, int]
    padding: str = "valid"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, self.keras_class)
        h, w, c = shape
        return (
            window_output(h, self.pool_size[0], self.strides[0], self.padding, "pooling window"),
            window_output(w, self.pool_size[1], self.strides[1], self.padding, "pooling window"),
            c,
        )

    def to_keras(self, name):
        import keras

        cls = getattr(keras.layers, self.keras_class)
        return cls(pool_size=self.pool_size, strides=self.strides, padding=self.padding, name=name)


class MaxPooling2D(_Pooling2D):
    keras_class: ClassVar[str] = "MaxPooling2D"


class AveragePooling2D(_Pooling2D):
    keras_class: ClassVar[str] = "AveragePooling2D"


@dataclass(frozen=True)
class ZeroPadding2D(Layer):
    padding: tuple[tuple[int, int], tuple[int, int]]
    keras_class: ClassVar[str] = "ZeroPadding2D"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, "ZeroPadding2D")
        h, w, c = shape
        (top, bottom), (left, right) = self.padding
        return (None if h is None else h + top + bottom, None if w is None else w + left + right, c)

    def to_keras(self, name):
        import keras

        return keras.layers.ZeroPadding2D(padding=self.padding, name=name)


class _GlobalPooling2D(Layer):
    """(height, width, channels) -> (channels,); subclasses name the Keras layer."""

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, self.keras_class)
        return (shape[-1],)

    def to_keras(self, name):
        import keras

        return getattr(keras.layers, self.keras_class)(name=name)


class GlobalAveragePooling2D(_GlobalPooling2D):
    keras_class: ClassVar[str] = "GlobalAveragePooling2D"


class GlobalMaxPooling2D(_GlobalPooling2D):
    keras_class: ClassVar[str] = "GlobalMaxPooling2D"


class Flatten(Layer):
    keras_class: ClassVar[str] = "Flatten"

    def output_shape(self, inputs):
        (shape,) = inputs
        size = count_elements(shape)
        if size is None:
            raise ShapeProblem(f"Flatten needs every size known; the input has shape {format_shape(shape)} "
                               "(give the input a fixed height and width, or use a global pooling layer)")
        return (size,)

    def to_keras(self, name):
        import keras

        return keras.layers.Flatten(name=name)


class Concatenate(Layer):
    """Concatenation on the channel axis."""

    keras_class: ClassVar[str] = "Concatenate"
    many_inputs: ClassVar[bool] = True

    def output_shape(self, inputs):
        spatial = {shape[:-1] for shape in inputs}
        if len(spatial) != 1:
            shapes = ", ".join(format_shape(s) for s in inputs)
            raise ShapeProblem(f"branches to concatenate differ in height or width: {shapes}")
        return inputs[0][:-1] + (sum(shape[-1] for shape in inputs),)

    def to_keras(self, name):
        import keras

        return keras.layers.Concatenate(axis=-1, name=name)


class Add(Layer):
    keras_class: ClassVar[str] = "Add"
    many_inputs: ClassVar[bool] = True

    def output_shape(self, inputs):
        if len(set(inputs)) != 1:
            shapes = " and ".join(format_shape(s) for s in inputs)
            raise ShapeProblem(f"cannot add tensors of shapes {shapes}")
        return inputs[0]

    def to_keras(self, name):
        import keras

        return keras.layers.Add(name=name)
