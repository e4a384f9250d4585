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
    """A layer cannot take the input shape it was given.

    ``cause`` says which of the layer's settings is at odds with the input,
    for a block to blame the right field: ``"window"`` (a kernel or pool
    window that does not fit), ``"groups"``, a per-channel setting's name
    (``"scale"``, ``"mean"``, ...), or None (the input itself).
    """

    def __init__(self, message: str, cause: Optional[str] = None):
        super().__init__(message)
        self.cause = cause


def window_output(size: Optional[int], window: int, stride: int, padding: str, what: str) -> Optional[int]:
    """Output length of a sliding window (convolution or pooling) along one axis."""
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    if size < window:
        raise ShapeProblem(f"a {what} of {window} (valid padding) does not fit in an input of size {size}", "window")
    return (size - window) // stride + 1


# A dilated kernel spanning up to this many positions is taken over any input, past 2n + 1 too: an atrous
# pyramid's rate-18 3x3 (span 37) on a 14x14 map is usual, and TensorFlow runs a depthwise kernel of this
# span over 32 positions in a fraction of a second (a span of 20,001, in a minute).
DILATED_SPAN_ALWAYS_TAKEN = 1025


def padding_only_beyond(size: Optional[int], window: int, padding: str, what: str, why: str,
                        at_least: int = 0) -> None:
    """Refuse a window that ``same`` padding would mostly fill with padding.

    Past ``2n`` positions over an input of ``n``, every output of a pool already
    covers the whole input, so a wider window changes nothing; a dilated kernel's
    outer taps read only padding. TensorFlow's time and memory still grow with
    the width (a pool of 2**31 - 1 over 32 positions runs for an hour; a 3x3
    depthwise kernel dilated by 10,000 over 32, a minute). Up to ``2n + 1`` is
    accepted, so that the usual 3x3 window still fits an input of 1, and so is
    any window up to ``at_least``. Unknown sizes (None) are not checked.
    """
    if padding == "same" and size is not None and window > max(2 * size + 1, at_least):
        limit = f"at most {2 * size + 1}" if 2 * size + 1 >= at_least else f"at most {at_least:,} here"
        raise ShapeProblem(
            f"a {what} of {window} (same padding) is more than twice as wide as its input of size {size} "
            f"({limit}): {why}", "window")


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


def keras_initializer(value):  # pragma: no mutate block (built by the slow suite only)
    """The Keras initializer of a spec's name or ``{class: ...}`` mapping (see :mod:`modelspec.initializers`)."""
    from .initializers import to_keras

    return to_keras(value)


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
class _Convolution2D(Layer):
    """A 2D convolution's settings and weights; subclasses give its output size and MACs."""

    filters: int
    kernel_size: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    padding: str = "valid"
    activation: str = "linear"
    use_bias: bool = True
    kernel_initializer: object = "glorot_uniform"  # a name or an initializers.InitializerClass

    def param_counts(self, inputs):
        kh, kw = self.kernel_size
        return (kh * kw * inputs[0][-1] * self.filters + (self.filters if self.use_bias else 0), 0)

    def _kernel_macs(self, inputs, positions: Optional[int]) -> Optional[int]:
        """One kernel application (kh × kw × in × filters) at each of ``positions``."""
        if positions is None:
            return None
        kh, kw = self.kernel_size
        return positions * kh * kw * inputs[0][-1] * self.filters

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return getattr(keras.layers, self.keras_class)(
            self.filters, self.kernel_size, strides=self.strides, padding=self.padding,
            activation=self.activation, use_bias=self.use_bias,
            kernel_initializer=keras_initializer(self.kernel_initializer), name=name,
        )


def dilated(kernel: tuple[int, int], dilation: tuple[int, int]) -> tuple[int, int]:
    """The window a dilated kernel spans: ``k + (k - 1)(d - 1)`` along each axis."""
    return tuple(k + (k - 1) * (d - 1) for k, d in zip(kernel, dilation))


def _dilated_window(shape: Shape, kernel, strides, dilation, padding: str) -> tuple[Optional[int], Optional[int]]:
    """Output height and width of a (dilated) kernel: Keras' ``compute_conv_output_shape``."""
    span = dilated(kernel, dilation)
    what = "kernel" if span == tuple(kernel) else "dilated kernel"
    for size, width, rate in zip(shape[:2], span, dilation):
        if rate > 1:  # a plain kernel's cost is bounded by its weights (the params budget)
            padding_only_beyond(size, width, padding, what, "its outer taps would read only padding, "
                                "at every position; use a smaller dilation_rate", at_least=DILATED_SPAN_ALWAYS_TAKEN)
    return (window_output(shape[0], span[0], strides[0], padding, what),
            window_output(shape[1], span[1], strides[1], padding, what))


@dataclass(frozen=True)
class Conv2D(_Convolution2D):
    """A Conv2D; with ``groups`` each filter sees ``in / groups`` channels; ``dilation_rate`` spreads the kernel."""

    groups: int = 1
    dilation_rate: tuple[int, int] = (1, 1)
    keras_class: ClassVar[str] = "Conv2D"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, "Conv2D")
        channels = shape[2]
        if channels % self.groups or self.filters % self.groups:
            raise ShapeProblem(f"groups={self.groups} must divide both the input channels ({channels}) and the "
                               f"filters ({self.filters})", "groups")
        return (*_dilated_window(shape, self.kernel_size, self.strides, self.dilation_rate, self.padding),
                self.filters)

    def param_counts(self, inputs):
        kh, kw = self.kernel_size
        per_filter = kh * kw * (inputs[0][-1] // self.groups)
        return (per_filter * self.filters + (self.filters if self.use_bias else 0), 0)

    def macs(self, inputs, output):
        positions = count_elements(output[:2])  # at every output position, in / groups channels per filter
        return None if positions is None else positions * (self.param_counts(inputs)[0] - self.use_bias * self.filters)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.Conv2D(
            self.filters, self.kernel_size, strides=self.strides, padding=self.padding,
            activation=self.activation, use_bias=self.use_bias, groups=self.groups,
            dilation_rate=self.dilation_rate, kernel_initializer=keras_initializer(self.kernel_initializer),
            name=name,
        )


@dataclass(frozen=True)
class DepthwiseConv2D(Layer):
    """One ``kh × kw`` kernel per input channel (``depth_multiplier`` of them): ``in × dm`` output channels."""

    kernel_size: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    padding: str = "valid"
    depth_multiplier: int = 1
    dilation_rate: tuple[int, int] = (1, 1)
    activation: str = "linear"
    use_bias: bool = True
    kernel_initializer: object = "glorot_uniform"
    keras_class: ClassVar[str] = "DepthwiseConv2D"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, self.keras_class)
        return (*_dilated_window(shape, self.kernel_size, self.strides, self.dilation_rate, self.padding),
                shape[2] * self.depth_multiplier)

    def _depthwise_weights(self, channels: int) -> int:
        kh, kw = self.kernel_size
        return kh * kw * channels * self.depth_multiplier

    def param_counts(self, inputs):
        channels = inputs[0][-1]
        bias = channels * self.depth_multiplier if self.use_bias else 0
        return (self._depthwise_weights(channels) + bias, 0)

    def macs(self, inputs, output):
        positions = count_elements(output[:2])
        return None if positions is None else positions * self._depthwise_weights(inputs[0][-1])

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.DepthwiseConv2D(
            self.kernel_size, strides=self.strides, padding=self.padding, depth_multiplier=self.depth_multiplier,
            dilation_rate=self.dilation_rate, activation=self.activation, use_bias=self.use_bias,
            depthwise_initializer=keras_initializer(self.kernel_initializer), name=name,
        )


@dataclass(frozen=True)
class SeparableConv2D(DepthwiseConv2D):
    """A depthwise convolution, then a 1×1 convolution of its ``in × dm`` channels to ``filters``."""

    filters: int = 1
    keras_class: ClassVar[str] = "SeparableConv2D"

    def output_shape(self, inputs):
        return super().output_shape(inputs)[:2] + (self.filters,)

    def param_counts(self, inputs):
        channels = inputs[0][-1]
        pointwise = channels * self.depth_multiplier * self.filters
        return (self._depthwise_weights(channels) + pointwise + (self.filters if self.use_bias else 0), 0)

    def macs(self, inputs, output):
        positions = count_elements(output[:2])
        if positions is None:
            return None
        channels = inputs[0][-1]
        return positions * (self._depthwise_weights(channels) + channels * self.depth_multiplier * self.filters)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        init = keras_initializer(self.kernel_initializer)
        return keras.layers.SeparableConv2D(
            self.filters, self.kernel_size, strides=self.strides, padding=self.padding,
            depth_multiplier=self.depth_multiplier, dilation_rate=self.dilation_rate, activation=self.activation,
            use_bias=self.use_bias, depthwise_initializer=init, pointwise_initializer=init, name=name,
        )


@dataclass(frozen=True)
class Dense(Layer):
    units: int
    activation: str = "linear"
    use_bias: bool = True
    kernel_initializer: object = "glorot_uniform"  # a name or an initializers.InitializerClass
    keras_class: ClassVar[str] = "Dense"

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

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.Dense(
            self.units, activation=self.activation, use_bias=self.use_bias,
            kernel_initializer=keras_initializer(self.kernel_initializer), name=name,
        )


@dataclass(frozen=True)
class BatchNormalization(Layer):
    epsilon: float = 0.001
    momentum: float = 0.99
    center: bool = True  # a learnt offset (beta)
    scale: bool = True  # a learnt factor (gamma)
    keras_class: ClassVar[str] = "BatchNormalization"

    def param_counts(self, inputs):
        channels = inputs[0][-1]
        # gamma and beta when asked for; the moving mean and variance always
        return ((self.center + self.scale) * channels, 2 * channels)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.BatchNormalization(epsilon=self.epsilon, momentum=self.momentum,
                                               center=self.center, scale=self.scale, name=name)


@dataclass(frozen=True)
class Activation(Layer):
    activation: str
    keras_class: ClassVar[str] = "Activation"

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.Activation(self.activation, name=name)


@dataclass(frozen=True)
class Dropout(Layer):
    rate: float
    noise_shape: Optional[tuple[Optional[int], ...]] = None  # with the batch axis, as Keras takes it
    keras_class: ClassVar[str] = "Dropout"

    def output_shape(self, inputs):
        (shape,) = inputs
        if self.noise_shape is not None:
            if len(self.noise_shape) != len(shape) + 1:
                raise ShapeProblem(f"noise_shape {_listed(self.noise_shape)} has {len(self.noise_shape)} sizes; "
                                   f"the input {format_shape(shape)} has {len(shape) + 1} with the batch axis")
            for d, n in zip(shape, self.noise_shape[1:]):
                if n is not None and n != 1 and n != d:
                    raise ShapeProblem(f"noise_shape {_listed(self.noise_shape)} does not broadcast to the input "
                                       f"(None, {format_shape(shape)[1:]}: each size must be null, 1 or the input's")
        return shape

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        if self.noise_shape is None:
            return keras.layers.Dropout(self.rate, name=name)
        return keras.layers.Dropout(self.rate, noise_shape=self.noise_shape, name=name)


def _listed(shape) -> str:
    return "[" + ", ".join("null" if d is None else str(d) for d in shape) + "]"


@dataclass(frozen=True)
class ReLU(Layer):
    """Keras' ReLU layer: ``min(max_value, x)`` above ``threshold``, ``negative_slope × (x - threshold)`` below."""

    max_value: Optional[float] = None
    negative_slope: float = 0.0
    threshold: float = 0.0
    keras_class: ClassVar[str] = "ReLU"

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.ReLU(max_value=self.max_value, negative_slope=self.negative_slope,
                                 threshold=self.threshold, name=name)


@dataclass(frozen=True)
class LayerNormalization(Layer):
    """Normalises each sample over its last axis; ``center``/``scale`` learn a per-channel offset and factor."""

    epsilon: float = 0.001
    center: bool = True
    scale: bool = True
    keras_class: ClassVar[str] = "LayerNormalization"

    def param_counts(self, inputs):
        return ((self.center + self.scale) * inputs[0][-1], 0)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.LayerNormalization(epsilon=self.epsilon, center=self.center, scale=self.scale, name=name)


def _per_channel(value, channels: int, what: str) -> None:
    """A per-channel tuple has one value (broadcast) or one per channel; the problem's cause is ``what``."""
    if isinstance(value, tuple) and len(value) not in (1, channels):
        raise ShapeProblem(f"{what} has {len(value)} values; the input has {channels} channels", what)


@dataclass(frozen=True)
class Rescaling(Layer):
    """``x × scale + offset``; a list gives one value per channel."""

    scale: object  # a float or a tuple of them
    offset: object = 0.0
    keras_class: ClassVar[str] = "Rescaling"

    def output_shape(self, inputs):
        (shape,) = inputs
        _per_channel(self.scale, shape[-1], "scale")
        _per_channel(self.offset, shape[-1], "offset")
        return shape

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        value = lambda v: list(v) if isinstance(v, tuple) else v  # noqa: E731
        return keras.layers.Rescaling(value(self.scale), value(self.offset), name=name)


@dataclass(frozen=True)
class Normalization(Layer):
    """``(x - mean) / sqrt(variance)`` on the last axis. Without ``mean`` and ``variance`` the statistics
    are weights (set by ``adapt`` or by loading): mean and variance per channel and a count."""

    mean: object = None  # None, a float, or a tuple per channel
    variance: object = None
    keras_class: ClassVar[str] = "Normalization"

    def output_shape(self, inputs):
        (shape,) = inputs
        _per_channel(self.mean, shape[-1], "mean")
        _per_channel(self.variance, shape[-1], "variance")
        return shape

    def param_counts(self, inputs):
        if self.mean is None:
            return (0, 2 * inputs[0][-1] + 1)  # mean, variance, count: not trainable
        return (0, 0)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        mean, variance = self.mean, self.variance
        if isinstance(mean, tuple) != isinstance(variance, tuple):  # Keras wants one shape: broadcast the scalar
            n = len(mean) if isinstance(mean, tuple) else len(variance)
            mean, variance = (v if isinstance(v, tuple) else (v,) * n for v in (mean, variance))
        value = lambda v: list(v) if isinstance(v, tuple) else v  # noqa: E731
        return keras.layers.Normalization(mean=value(mean), variance=value(variance), name=name)


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
        for size, window in zip((h, w), self.pool_size):
            padding_only_beyond(size, window, self.padding, "pooling window",
                                "the rest covers only padding; for the whole input use a global pool")
        return (
            window_output(h, self.pool_size[0], self.strides[0], self.padding, "pooling window"),
            window_output(w, self.pool_size[1], self.strides[1], self.padding, "pooling window"),
            c,
        )

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
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

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.ZeroPadding2D(padding=self.padding, name=name)


@dataclass(frozen=True)
class _GlobalPooling2D(Layer):
    """(height, width, channels) -> (channels,), or (1, 1, channels) with ``keepdims``."""

    keepdims: bool = False

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, self.keras_class)
        return (1, 1, shape[-1]) if self.keepdims else (shape[-1],)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return getattr(keras.layers, self.keras_class)(keepdims=self.keepdims, name=name)


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

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.Flatten(name=name)


def axis_index(axis: int, rank: int) -> int:
    """A Keras axis (counting the batch axis as 0; -1 is the last) as an index into a sample's shape."""
    index = axis - 1 if axis > 0 else rank + axis
    if axis == 0 or not 0 <= index < rank:
        raise ShapeProblem(f"axis {axis} is not an axis of a sample of rank {rank} "
                           f"(1 to {rank}, or -1 to -{rank}; 0 is the batch axis)")
    return index


def _same_rank(inputs: list[Shape], what: str) -> None:
    if len({len(s) for s in inputs}) != 1:
        shapes = ", ".join(format_shape(s) for s in inputs)
        raise ShapeProblem(f"cannot {what} tensors of different ranks: {shapes}")


@dataclass(frozen=True)
class Concatenate(Layer):
    """Concatenation along ``axis`` (Keras' count: 0 the batch axis, -1 the channels)."""

    axis: int = -1
    keras_class: ClassVar[str] = "Concatenate"
    many_inputs: ClassVar[bool] = True

    def output_shape(self, inputs):
        _same_rank(inputs, "concatenate")
        index = axis_index(self.axis, len(inputs[0]))
        out = list(inputs[0])
        for shape in inputs[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i != index and a is not None and b is not None and a != b:
                    shapes = ", ".join(format_shape(s) for s in inputs)
                    raise ShapeProblem(f"tensors to concatenate on axis {self.axis} must agree on every other "
                                       f"axis: {shapes}")
            out[index] = None if out[index] is None or shape[index] is None else out[index] + shape[index]
        return tuple(out)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.Concatenate(axis=self.axis, name=name)


class _Elementwise(Layer):
    """Add, Multiply, ...: shapes of one rank, equal or broadcast where Keras broadcasts (a 1 stretches)."""

    many_inputs: ClassVar[bool] = True
    verb: ClassVar[str]

    def output_shape(self, inputs):
        _same_rank(inputs, self.verb)
        out = list(inputs[0])
        for shape in inputs[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if a is None or b is None:
                    out[i] = None
                elif a == 1:
                    out[i] = b
                elif b != 1 and a != b:
                    shapes = " and ".join(format_shape(s) for s in inputs)
                    raise ShapeProblem(f"cannot {self.verb} tensors of shapes {shapes} "
                                       "(sizes must be equal, or 1 to broadcast)")
        return tuple(out)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return getattr(keras.layers, self.keras_class)(name=name)


class Add(_Elementwise):
    keras_class: ClassVar[str] = "Add"
    verb: ClassVar[str] = "add"


class Multiply(_Elementwise):
    keras_class: ClassVar[str] = "Multiply"
    verb: ClassVar[str] = "multiply"


class Average(_Elementwise):
    keras_class: ClassVar[str] = "Average"
    verb: ClassVar[str] = "average"


class Maximum(_Elementwise):
    keras_class: ClassVar[str] = "Maximum"
    verb: ClassVar[str] = "take the maximum of"


class Subtract(_Elementwise):
    keras_class: ClassVar[str] = "Subtract"
    verb: ClassVar[str] = "subtract"


class Conv2DTranspose(_Convolution2D):
    """A transposed convolution ("up-convolution"): each input position spreads a kernel over the output."""

    keras_class: ClassVar[str] = "Conv2DTranspose"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, "Conv2DTranspose")

        def length(n, k, s):  # Keras' deconv_output_length, no output_padding
            if n is None:
                return None
            return n * s if self.padding == "same" else n * s + max(k - s, 0)

        h, w, _ = shape
        return (length(h, self.kernel_size[0], self.strides[0]),
                length(w, self.kernel_size[1], self.strides[1]), self.filters)

    def macs(self, inputs, output):
        return self._kernel_macs(inputs, count_elements(inputs[0][:2]))  # at every input position


@dataclass(frozen=True)
class UpSampling2D(Layer):
    size: tuple[int, int]
    interpolation: str = "nearest"
    keras_class: ClassVar[str] = "UpSampling2D"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, "UpSampling2D")
        h, w, c = shape
        return (None if h is None else h * self.size[0], None if w is None else w * self.size[1], c)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.UpSampling2D(size=self.size, interpolation=self.interpolation, name=name)


@dataclass(frozen=True)
class Cropping2D(Layer):
    cropping: tuple[tuple[int, int], tuple[int, int]]
    keras_class: ClassVar[str] = "Cropping2D"

    def output_shape(self, inputs):
        (shape,) = inputs
        _require_rank(shape, 3, "Cropping2D")
        out = []
        for n, (a, b), axis in zip(shape[:2], self.cropping, ("height", "width")):
            if n is not None and a + b >= n:
                raise ShapeProblem(f"cropping {a} + {b} from a {axis} of {n} leaves nothing")
            out.append(None if n is None else n - a - b)
        return (*out, shape[2])

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.Cropping2D(cropping=self.cropping, name=name)


@dataclass(frozen=True)
class Reshape(Layer):
    """A new shape for each sample; one size may be -1 (inferred, as Keras infers it)."""

    target_shape: tuple[int, ...]
    keras_class: ClassVar[str] = "Reshape"

    def output_shape(self, inputs):
        (shape,) = inputs
        size = count_elements(shape)
        known = math.prod(d for d in self.target_shape if d != -1)
        if -1 not in self.target_shape:
            if size is None:
                raise ShapeProblem(f"cannot reshape an input of unknown size {format_shape(shape)} to "
                                   f"{format_shape(self.target_shape)}; write -1 for the size to infer")
            if size != known:
                raise ShapeProblem(f"cannot reshape {format_shape(shape)} ({size:,} values) to "
                                   f"{format_shape(self.target_shape)} ({known:,} values)")
            return self.target_shape
        if size is None:
            return tuple(None if d == -1 else d for d in self.target_shape)
        if size % known:
            raise ShapeProblem(f"cannot reshape {format_shape(shape)} ({size:,} values) to "
                               f"{format_shape(self.target_shape)}: {size:,} is not a multiple of {known:,}")
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def to_keras(self, name):  # pragma: no mutate block (built by the slow suite only)
        import keras

        return keras.layers.Reshape(self.target_shape, name=name)
