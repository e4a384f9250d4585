"""The static pass's layer arithmetic, case by case: what mutation testing found untested.

Each figure is worked out by hand from the rule Keras itself applies, named in the table's
comment (keras.src.ops.operation_utils.compute_conv_output_shape / compute_pooling_output_shape,
keras.src.utils.conv_utils.deconv_output_length, the layers' build() weight shapes), or read
from a Keras Applications summary. None comes from modelspec. docs/mutation.md says how the
gaps were found.
"""

import pytest

from modelspec import layers as L
from modelspec.layers import ShapeProblem

# --------------------------------------------------------------- one sliding window
# Keras: valid -> (n - k) // s + 1, refused when n < k; same -> ceil(n / s).
WINDOWS = [
    # size, window, stride, padding, expected
    (7, 3, 2, "valid", 3),  # (7 - 3) // 2 + 1
    (7, 3, 2, "same", 4),  # ceil(7 / 2)
    (8, 3, 2, "same", 4),  # ceil(8 / 2)
    (3, 3, 1, "valid", 1),  # a window exactly as large as the input fits once
    (224, 7, 2, "same", 112),  # ResNet50 conv1 (Keras Applications: 112 x 112)
    (112, 3, 2, "valid", 55),  # (112 - 3) // 2 + 1
    (None, 3, 2, "valid", None),  # an unknown size stays unknown
]


@pytest.mark.parametrize("size, window, stride, padding, expected", WINDOWS)
def test_window_output_follows_keras(size, window, stride, padding, expected):
    assert L.window_output(size, window, stride, padding, "kernel") == expected


def test_a_window_larger_than_the_input_is_refused_naming_the_window():
    with pytest.raises(ShapeProblem) as caught:
        L.window_output(2, 3, 1, "valid", "pooling window")
    assert caught.value.cause == "window"
    assert str(caught.value) == "a pooling window of 3 (valid padding) does not fit in an input of size 2"


# Keras' dilated kernel spans k + (k - 1)(d - 1) positions.
@pytest.mark.parametrize("kernel, dilation, span", [((3, 3), (2, 2), (5, 5)), ((3, 5), (1, 3), (3, 13)),
                                                     ((1, 1), (4, 4), (1, 1))])
def test_dilated_span(kernel, dilation, span):
    assert L.dilated(kernel, dilation) == span


def test_a_dilated_kernel_that_does_not_fit_is_called_dilated():
    with pytest.raises(ShapeProblem, match="^a dilated kernel of 5 .* input of size 4$"):
        L.Conv2D(filters=1, kernel_size=(3, 3), dilation_rate=(2, 2)).output_shape([(4, 4, 1)])


# --------------------------------------------------------------- shapes
# (layer, input shapes, output shape); the rule for each is in its comment.
SHAPES = [
    # Conv2D: H and W by the window rule, channels = filters
    (L.Conv2D(filters=64, kernel_size=(3, 3), padding="same"), [(224, 224, 3)], (224, 224, 64)),
    (L.Conv2D(filters=8, kernel_size=(3, 5), strides=(2, 1)), [(9, 9, 4)], (4, 5, 8)),
    (L.Conv2D(filters=8, kernel_size=(3, 3), dilation_rate=(2, 1)), [(9, 9, 4)], (5, 7, 8)),
    (L.Conv2D(filters=6, kernel_size=(1, 1), groups=2), [(None, 5, 4)], (None, 5, 6)),
    # DepthwiseConv2D: channels = in x depth_multiplier
    (L.DepthwiseConv2D(kernel_size=(3, 3), depth_multiplier=2), [(8, 8, 5)], (6, 6, 10)),
    (L.DepthwiseConv2D(kernel_size=(3, 3), strides=(2, 2), padding="same"), [(7, 9, 5)], (4, 5, 5)),
    # SeparableConv2D: the depthwise window, then channels = filters
    (L.SeparableConv2D(kernel_size=(3, 3), filters=7, depth_multiplier=2), [(8, 8, 5)], (6, 6, 7)),
    # Dense acts on the last axis
    (L.Dense(units=10), [(4096,)], (10,)),
    (L.Dense(units=10), [(4, 16)], (4, 10)),
    # pooling: the window rule, channels kept
    (L.MaxPooling2D(pool_size=(3, 3), strides=(2, 2)), [(112, 112, 64)], (55, 55, 64)),
    (L.AveragePooling2D(pool_size=(2, 3), strides=(2, 3), padding="same"), [(7, 7, 3)], (4, 3, 3)),
    (L.MaxPooling2D(pool_size=(2, 3), strides=(2, 3)), [(8, 7, 3)], (4, 2, 3)),  # (8-2)//2+1, (7-3)//3+1
    # ZeroPadding2D adds (top + bottom, left + right)
    (L.ZeroPadding2D(padding=((1, 2), (3, 4))), [(10, 10, 3)], (13, 17, 3)),
    (L.ZeroPadding2D(padding=((1, 2), (3, 4))), [(None, None, 3)], (None, None, 3)),
    # global pooling: (channels,) or (1, 1, channels) with keepdims
    (L.GlobalAveragePooling2D(), [(7, 7, 2048)], (2048,)),
    (L.GlobalMaxPooling2D(keepdims=True), [(None, None, 512)], (1, 1, 512)),
    # Flatten: the product of the sizes (VGG16's flatten: 7 x 7 x 512 = 25,088)
    (L.Flatten(), [(7, 7, 512)], (25088,)),
    # Concatenate: sizes add on the axis, agree elsewhere (Keras keeps the first input's there); an
    # unknown size on the axis stays unknown
    (L.Concatenate(), [(8, 8, 3), (8, 8, 5)], (8, 8, 8)),
    (L.Concatenate(axis=1), [(2, 4, 3), (5, 4, 3)], (7, 4, 3)),
    (L.Concatenate(axis=-3), [(2, 4, 3), (5, 4, 3), (1, 4, 3)], (8, 4, 3)),
    (L.Concatenate(), [(None, 8, 3), (6, None, 5)], (None, 8, 8)),
    (L.Concatenate(), [(8, 8, None), (8, 8, 5)], (8, 8, None)),
    (L.Concatenate(), [(8, 8, 5), (8, 8, None)], (8, 8, None)),
    # Add and the other merges: equal sizes, or a 1 that stretches; unknown stays unknown
    (L.Add(), [(1, 4, 3), (5, 4, 3)], (5, 4, 3)),
    (L.Add(), [(5, 4, 3), (5, 1, 3)], (5, 4, 3)),
    (L.Multiply(), [(5, 4, 3), (None, 4, 3)], (None, 4, 3)),
    (L.Subtract(), [(None, 4, 3), (5, 4, 3)], (None, 4, 3)),
    (L.Maximum(), [(1, 1, 3), (1, 1, 3), (2, 2, 3)], (2, 2, 3)),
    # Conv2DTranspose, Keras' deconv_output_length without output_padding:
    # valid -> n * s + max(k - s, 0); same -> n * s
    (L.Conv2DTranspose(filters=4, kernel_size=(3, 3), strides=(2, 2)), [(7, 7, 8)], (15, 15, 4)),
    (L.Conv2DTranspose(filters=4, kernel_size=(3, 3), strides=(2, 2), padding="same"), [(7, 7, 8)], (14, 14, 4)),
    (L.Conv2DTranspose(filters=4, kernel_size=(2, 5), strides=(2, 1)), [(7, None, 8)], (14, None, 4)),
    (L.Conv2DTranspose(filters=4, kernel_size=(1, 1), strides=(3, 3)), [(7, 6, 8)], (21, 18, 4)),
    # UpSampling2D multiplies H and W
    (L.UpSampling2D(size=(2, 3)), [(4, 5, 6)], (8, 15, 6)),
    (L.UpSampling2D(size=(2, 3)), [(None, 5, 6)], (None, 15, 6)),
    (L.UpSampling2D(size=(2, 3)), [(4, None, 6)], (8, None, 6)),
    # Cropping2D takes (top + bottom, left + right) away
    (L.Cropping2D(cropping=((1, 1), (2, 0))), [(10, 10, 3)], (8, 8, 3)),
    (L.Cropping2D(cropping=((4, 5), (0, 0))), [(10, None, 3)], (1, None, 3)),
    # Reshape: -1 takes what is left; with an unknown size it stays unknown
    (L.Reshape(target_shape=(-1, 8)), [(4, 4, 2)], (4, 8)),
    (L.Reshape(target_shape=(2, 16)), [(4, 4, 2)], (2, 16)),
    (L.Reshape(target_shape=(-1, 8)), [(None, 4, 2)], (None, 8)),
    # Dropout with a noise shape (batch axis first) keeps the shape
    (L.Dropout(rate=0.5, noise_shape=(None, 1, 1, 3)), [(4, 4, 3)], (4, 4, 3)),
    (L.Dropout(rate=0.5, noise_shape=(None, 4, None, 1)), [(4, 4, 3)], (4, 4, 3)),
    # per-channel values: one for all, or one per channel
    (L.Rescaling(scale=(0.5,), offset=(1.0, 2.0, 3.0)), [(4, 4, 3)], (4, 4, 3)),
    (L.Normalization(mean=(1.0, 2.0, 3.0), variance=(1.0,)), [(4, 4, 3)], (4, 4, 3)),
    # same padding: a window up to 2n + 1 wide is taken (GoogLeNet's 3x3 pools on a 1x1 map, at small inputs)
    (L.MaxPooling2D(pool_size=(3, 3), strides=(1, 1), padding="same"), [(1, 1, 8)], (1, 1, 8)),
    (L.AveragePooling2D(pool_size=(65, 9), strides=(2, 2), padding="same"), [(32, 4, 8)], (16, 2, 8)),
    (L.MaxPooling2D(pool_size=(99, 99), strides=(1, 1), padding="same"), [(None, None, 8)], (None, None, 8)),
    (L.DepthwiseConv2D(kernel_size=(3, 3), dilation_rate=(16, 1), padding="same"), [(16, 16, 8)], (16, 16, 8)),
    # an atrous pyramid's rate-18 branch on a 14x14 map (span 37 > 2n + 1 = 29, under 1,025: taken)
    (L.Conv2D(filters=4, kernel_size=(3, 3), dilation_rate=(18, 18), padding="same"), [(14, 14, 8)], (14, 14, 4)),
    (L.DepthwiseConv2D(kernel_size=(3, 3), dilation_rate=(512, 1), padding="same"), [(1, 1, 8)], (1, 1, 8)),
    # only a dilated axis is held to the rule: a plain 101-wide axis next to a dilated one is not
    (L.Conv2D(filters=4, kernel_size=(3, 101), dilation_rate=(2, 1), padding="same"), [(8, 8, 3)], (8, 8, 4)),
    (L.Conv2D(filters=1, kernel_size=(1100, 1), padding="same"), [(10, 10, 1)], (10, 10, 1)),  # not dilated
    (L.Conv2D(filters=4, kernel_size=(9, 9), padding="same"), [(1, 1, 8)], (1, 1, 4)),  # not dilated: not checked
]


@pytest.mark.parametrize("layer, inputs, expected", SHAPES, ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else None)
def test_output_shape(layer, inputs, expected):
    assert layer.output_shape(inputs) == expected


# (layer, input shapes, the start of the problem's message, its cause)
REFUSED = [
    (L.Conv2D(filters=8, kernel_size=(3, 3), groups=3), [(9, 9, 6)],
     "groups=3 must divide both the input channels (6) and the filters (8)", "groups"),
    (L.Conv2D(filters=6, kernel_size=(3, 3), groups=4), [(9, 9, 8)],
     "groups=4 must divide both the input channels (8) and the filters (6)", "groups"),
    (L.Conv2D(filters=8, kernel_size=(3, 3)), [(9, 9)],
     "Conv2D needs an input of shape (height, width, channels); it gets (9, 9)", None),
    (L.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)), [(16,)],
     "MaxPooling2D needs an input of shape (height, width, channels); it gets (16)", None),
    (L.Dense(units=4), [(None, 8)], "Dense on an input of shape (None, 8) would act on every position of a map "
     "of unknown size; add a flatten (with a fixed input size) or a global pooling layer first", None),
    (L.MaxPooling2D(pool_size=(1, 3), strides=(1, 1)), [(4, 2, 3)],
     "a pooling window of 3 (valid padding) does not fit in an input of size 2", "window"),
    (L.GlobalAveragePooling2D(), [(10,)],
     "GlobalAveragePooling2D needs an input of shape (height, width, channels); it gets (10)", None),
    (L.ZeroPadding2D(padding=((1, 1), (1, 1))), [(10, 10)],
     "ZeroPadding2D needs an input of shape (height, width, channels); it gets (10, 10)", None),
    (L.Flatten(), [(7, None, 3)], "Flatten needs every size known; the input has shape (7, None, 3) "
     "(give the input a fixed height and width, or use a global pooling layer)", None),
    (L.Concatenate(), [(8, 8, 3), (8, 7, 5)],
     "tensors to concatenate on axis -1 must agree on every other axis: (8, 8, 3), (8, 7, 5)", None),
    (L.Concatenate(), [(8, 8, 3), (8, 3)], "cannot concatenate tensors of different ranks: (8, 8, 3), (8, 3)", None),
    (L.Concatenate(axis=0), [(8, 3), (8, 3)], "axis 0 is not an axis of a sample of rank 2 (1 to 2, or -1 to -2;", None),
    (L.Concatenate(axis=3), [(8, 3), (8, 3)], "axis 3 is not an axis of a sample of rank 2", None),
    (L.Concatenate(axis=-3), [(8, 3), (8, 3)], "axis -3 is not an axis of a sample of rank 2", None),
    (L.Add(), [(4, 3), (5, 3)], "cannot add tensors of shapes (4, 3) and (5, 3) (sizes must be equal, or 1", None),
    (L.Add(), [(4, 3), (4, 3, 1)], "cannot add tensors of different ranks", None),
    (L.Cropping2D(cropping=((1, 1), (1, 1))), [(10, 10)],
     "Cropping2D needs an input of shape (height, width, channels); it gets (10, 10)", None),
    (L.Cropping2D(cropping=((5, 5), (0, 0))), [(10, 10, 3)], "cropping 5 + 5 from a height of 10 leaves nothing", None),
    (L.Cropping2D(cropping=((0, 0), (6, 5))), [(10, 10, 3)], "cropping 6 + 5 from a width of 10 leaves nothing", None),
    (L.Reshape(target_shape=(3, 8)), [(4, 4, 2)], "cannot reshape (4, 4, 2) (32 values) to (3, 8) (24 values)", None),
    (L.Reshape(target_shape=(-1, 5)), [(4, 4, 2)],
     "cannot reshape (4, 4, 2) (32 values) to (-1, 5): 32 is not a multiple of 5", None),
    (L.Reshape(target_shape=(8, 4)), [(None, 4, 2)],
     "cannot reshape an input of unknown size (None, 4, 2) to (8, 4); write -1", None),
    (L.Dropout(rate=0.5, noise_shape=(None, 1, 3)), [(4, 4, 3)],
     "noise_shape [null, 1, 3] has 3 sizes; the input (4, 4, 3) has 4 with the batch axis", None),
    (L.Dropout(rate=0.5, noise_shape=(None, 2, 1, 3)), [(4, 4, 3)],
     "noise_shape [null, 2, 1, 3] does not broadcast to the input (None, 4, 4, 3): each size", None),
    (L.Rescaling(scale=(1.0, 2.0)), [(4, 4, 3)], "scale has 2 values; the input has 3 channels", "scale"),
    (L.Rescaling(scale=1.0, offset=(1.0, 2.0)), [(4, 4, 3)], "offset has 2 values; the input has 3 channels", "offset"),
    (L.Normalization(mean=(1.0, 2.0), variance=1.0), [(4, 4, 3)], "mean has 2 values", "mean"),
    (L.Normalization(mean=1.0, variance=(1.0, 2.0)), [(4, 4, 3)], "variance has 2 values", "variance"),
    # same padding: past 2n + 1, a pool's window covers only padding and a dilated kernel's outer taps too
    (L.MaxPooling2D(pool_size=(1, 4), strides=(1, 1), padding="same"), [(4, 1, 8)],
     "a pooling window of 4 (same padding) is more than twice as wide as its input of size 1 (at most 3): "
     "the rest covers only padding", "window"),
    (L.AveragePooling2D(pool_size=(66, 1), strides=(1, 1), padding="same"), [(32, 32, 8)],
     "a pooling window of 66 (same padding) is more than twice as wide as its input of size 32 (at most 65)",
     "window"),
    # a dilated kernel: up to a span of 1,025 whatever the input (README), past it 2n + 1
    (L.DepthwiseConv2D(kernel_size=(3, 3), dilation_rate=(1, 513), padding="same"), [(16, 16, 8)],
     "a dilated kernel of 1027 (same padding) is more than twice as wide as its input of size 16 (at most 1,025 "
     "here): its outer taps would read only padding", "window"),
    (L.Conv2D(filters=1, kernel_size=(600, 1), dilation_rate=(2, 1), padding="same"), [(10, 10, 1)],
     "a dilated kernel of 1199 (same padding) is more than twice as wide as its input of size 10 (at most 1,025 "
     "here): its outer taps would read only padding, at every position; use a smaller dilation_rate", "window"),
    # where 2n + 1 reaches 1,025 the limit is the input's: 2 × 512 + 1 = 1,025, 2 × 400 + 1 = 801 < 1,025
    (L.Conv2D(filters=1, kernel_size=(3, 1), dilation_rate=(514, 1), padding="same"), [(512, 512, 1)],
     "a dilated kernel of 1029 (same padding) is more than twice as wide as its input of size 512 (at most 1025)",
     "window"),
    (L.Conv2D(filters=1, kernel_size=(3, 1), dilation_rate=(514, 1), padding="same"), [(400, 400, 1)],
     "a dilated kernel of 1029 (same padding) is more than twice as wide as its input of size 400 (at most 1,025 "
     "here)", "window"),
    (L.DepthwiseConv2D(kernel_size=(3, 3), dilation_rate=(700, 1), padding="same"), [(600, 16, 8)],
     "a dilated kernel of 1401 (same padding) is more than twice as wide as its input of size 600 (at most 1201)",
     "window"),
]


@pytest.mark.parametrize("layer, inputs, message, cause", REFUSED,
                         ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else None)
def test_refused_shapes_say_why(layer, inputs, message, cause):
    with pytest.raises(ShapeProblem) as caught:
        layer.output_shape(inputs)
    assert str(caught.value).startswith(message)
    assert caught.value.cause == cause


# --------------------------------------------------------------- weights and MACs
# (layer, input shapes, (trainable, non-trainable)), as Keras' count_params counts them
PARAMS = [
    # kh * kw * in * filters + filters: VGG16 block1_conv1 1,792 (Keras Applications summary)
    (L.Conv2D(filters=64, kernel_size=(3, 3)), [(224, 224, 3)], (1792, 0)),
    (L.Conv2D(filters=64, kernel_size=(3, 3), use_bias=False), [(224, 224, 3)], (1728, 0)),
    # groups: each filter sees in / groups channels: 3 * 3 * (4 / 2) * 8 + 8
    (L.Conv2D(filters=8, kernel_size=(3, 3), groups=2), [(9, 9, 4)], (152, 0)),
    # depthwise: kh * kw * in * dm (+ in * dm biases); MobileNet conv_dw_1 (3x3, 32 channels, no bias): 288
    (L.DepthwiseConv2D(kernel_size=(3, 3), use_bias=False), [(112, 112, 32)], (288, 0)),
    (L.DepthwiseConv2D(kernel_size=(3, 3)), [(112, 112, 32)], (320, 0)),
    (L.DepthwiseConv2D(kernel_size=(3, 3), depth_multiplier=2), [(112, 112, 32)], (640, 0)),
    # separable: depthwise + in * dm * filters (+ filters); Xception block2_sepconv1 (64 -> 128, no bias): 8,768
    (L.SeparableConv2D(kernel_size=(3, 3), filters=128, use_bias=False), [(147, 147, 64)], (8768, 0)),
    (L.SeparableConv2D(kernel_size=(3, 3), filters=128, depth_multiplier=2), [(147, 147, 64)],
     (3 * 3 * 64 * 2 + 64 * 2 * 128 + 128, 0)),
    # Conv2DTranspose: kh * kw * in * filters + filters
    (L.Conv2DTranspose(filters=4, kernel_size=(3, 3), strides=(2, 2)), [(7, 7, 8)], (292, 0)),
    (L.Conv2DTranspose(filters=4, kernel_size=(3, 3), use_bias=False), [(7, 7, 8)], (288, 0)),
    # Dense: in * units + units; VGG16 fc1: 102,764,544
    (L.Dense(units=4096), [(25088,)], (102764544, 0)),
    (L.Dense(units=10, use_bias=False), [(64,)], (640, 0)),
    # BatchNormalization: gamma and beta trainable, moving mean and variance not
    (L.BatchNormalization(), [(7, 7, 64)], (128, 128)),
    (L.BatchNormalization(center=False), [(7, 7, 64)], (64, 128)),
    (L.BatchNormalization(scale=False, center=False), [(7, 7, 64)], (0, 128)),
    # LayerNormalization: gamma and beta
    (L.LayerNormalization(), [(10, 64)], (128, 0)),
    (L.LayerNormalization(scale=False), [(10, 64)], (64, 0)),
    (L.LayerNormalization(), [(4, 10, 64)], (128, 0)),  # the last axis, whatever the rank
    # Normalization without statistics: mean, variance (per channel) and count, none trainable
    (L.Normalization(), [(4, 4, 3)], (0, 7)),
    (L.Normalization(mean=0.5, variance=0.25), [(4, 4, 3)], (0, 0)),
    # no weights
    (L.MaxPooling2D(pool_size=(2, 2), strides=(2, 2)), [(4, 4, 3)], (0, 0)),
    (L.Add(), [(4, 3), (4, 3)], (0, 0)),
]


@pytest.mark.parametrize("layer, inputs, expected", PARAMS, ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else None)
def test_param_counts(layer, inputs, expected):
    assert layer.param_counts(inputs) == expected


# (layer, input shapes, MACs): weights applied at each position (biases are additions, not MACs)
MACS = [
    # 224 * 224 positions * 3 * 3 * 3 * 64: VGG16 block1_conv1, 86,704,128
    (L.Conv2D(filters=64, kernel_size=(3, 3), padding="same"), [(224, 224, 3)], 86704128),
    # groups: 7 * 7 positions * 3 * 3 * (4 / 2) * 8
    (L.Conv2D(filters=8, kernel_size=(3, 3), groups=2), [(9, 9, 4)], 49 * 144),
    (L.Conv2D(filters=8, kernel_size=(3, 3), use_bias=False), [(9, 9, 4)], 49 * 288),
    # depthwise: positions * kh * kw * in * dm
    (L.DepthwiseConv2D(kernel_size=(3, 3), depth_multiplier=2), [(9, 9, 4)], 49 * 72),
    # separable: positions * (kh * kw * in * dm + in * dm * filters)
    (L.SeparableConv2D(kernel_size=(3, 3), filters=16, depth_multiplier=2), [(9, 9, 4)], 49 * (72 + 128)),
    # transposed: every input position spreads kh * kw * in * filters
    (L.Conv2DTranspose(filters=4, kernel_size=(3, 3), strides=(2, 2)), [(7, 7, 8)], 49 * 288),
    # Dense: in * units at each position of the leading axes
    (L.Dense(units=4096), [(25088,)], 25088 * 4096),
    (L.Dense(units=10), [(5, 16)], 5 * 16 * 10),
    # unknown sizes: unknown MACs
    (L.Conv2D(filters=8, kernel_size=(3, 3)), [(None, 9, 4)], None),
    (L.DepthwiseConv2D(kernel_size=(3, 3)), [(None, 9, 4)], None),
    (L.SeparableConv2D(kernel_size=(3, 3), filters=4), [(None, 9, 4)], None),
    (L.Conv2DTranspose(filters=4, kernel_size=(3, 3)), [(None, 7, 8)], None),
]


@pytest.mark.parametrize("layer, inputs, expected", MACS, ids=lambda v: type(v).__name__ if isinstance(v, L.Layer) else None)
def test_macs(layer, inputs, expected):
    assert layer.macs(inputs, layer.output_shape(inputs)) == expected


def test_reshape_infers_a_whole_number():
    # -1 stands for 32 / 8 = 4 positions: an int, as Keras' Reshape computes it, printed "4", not "4.0"
    shape = L.Reshape(target_shape=(-1, 8)).output_shape([(4, 4, 2)])
    assert [type(d) for d in shape] == [int, int]
    assert L.format_shape(shape) == "(4, 8)"


def test_dense_macs_are_unknown_when_a_leading_size_is():
    assert L.Dense(units=10).macs([(None, 16)], (None, 10)) is None


# --------------------------------------------------------------- small helpers
@pytest.mark.parametrize("axis, rank, index", [(1, 3, 0), (3, 3, 2), (-1, 3, 2), (-3, 3, 0), (2, 2, 1)])
def test_axis_index_counts_the_batch_axis_as_keras_does(axis, rank, index):
    assert L.axis_index(axis, rank) == index


@pytest.mark.parametrize("shape, text, count", [((7, 7, 512), "(7, 7, 512)", 25088), ((None, 3), "(None, 3)", None),
                                                ((), "()", 1)])
def test_format_and_count(shape, text, count):
    assert L.format_shape(shape) == text
    assert L.count_elements(shape) == count


# --------------------------------------------------------------- graph: the input layer's name
# Keras refuses two layers of one name, so v1's implicit InputLayer "input" gives way to a block
# that took the name: input_1, then input_2, ... (the rule graph.input_layer_name documents).
INPUT_NAMES = [
    ([], "input"),
    (["input"], "input_1"),
    (["input", "input_1"], "input_2"),
    (["input", "input_1", "input_2"], "input_3"),
    (["input_1"], "input"),
]


@pytest.mark.parametrize("block_names, expected", INPUT_NAMES)
def test_the_implicit_input_gives_way_to_a_block_of_its_name(block_names, expected):
    from modelspec.analysis import check

    blocks = "".join(f"  - {{type: relu, name: {n}}}\n" for n in block_names) or "  - {type: relu}\n"
    _, graph = check("names.yaml", text=f"name: m\ninput:\n  shape: [4, 4, 3]\nblocks:\n{blocks}")
    assert graph.input_layer_name("input") == expected


# --------------------------------------------------------------- graph: Keras' layer order
# keras/src/ops/function.py (map_graph): layers sorted by depth, the longest path to an output, deepest first;
# ties broken by a depth-first pre-order walk from the outputs that visits each layer's inputs in order. So
# two branches of equal depth come in the order the merge lists them, not the order they were written.
KERAS_ORDERS = [
    # blocks, and the layers in model.layers order
    (["{name: a, type: relu}", "{name: b, type: relu, input: input}", "{name: s, type: add, inputs: [a, b]}"],
     ["a", "b", "s"]),
    (["{name: a, type: relu}", "{name: b, type: relu, input: input}", "{name: s, type: add, inputs: [b, a]}"],
     ["b", "a", "s"]),
    # a longer branch is deeper: its first layer comes first whatever the merge's order
    (["{name: a, type: relu}", "{name: b, type: relu, input: input}", "{name: c, type: relu}",
      "{name: s, type: add, inputs: [a, c]}"], ["b", "a", "c", "s"]),
]


@pytest.mark.parametrize("blocks, expected", KERAS_ORDERS)
def test_layers_come_in_keras_order(blocks, expected):
    from modelspec.analysis import check

    text = "name: m\ninput:\n  shape: [4, 4, 3]\nblocks:\n" + "".join(f"  - {b}\n" for b in blocks)
    _, graph = check("order.yaml", text=text)
    assert [graph.nodes[n].name for n in graph.keras_order()] == expected


# --------------------------------------------------------------- graph: what Graph.add and unused_problems blame
# Graph.add's own contract, for any block that calls it: a size grown past 2,147,483,647 blames grows_by, else
# sized_by, else ``at`` when it names a field; a mapping ``at`` names fields by cause, and "output" is none of
# them, so then it is the block itself. Every block of the spec language passes sized_by wherever a size can grow.
@pytest.mark.parametrize("at, path", [("size", ("blocks", 0, "size")), ({"window": "size"}, ("blocks", 0))])
def test_a_size_past_int32_blames_at_only_when_it_names_a_field(at, path):
    from modelspec.graph import Graph

    g = Graph({"input": (4, 4, 1)})
    (x,) = g.input_tensors().values()
    with g.within(("blocks", 0), block="up"):
        g.add(L.UpSampling2D((1, 2**30)), [x], "up", at=at)  # a width of 4 * 2**30 = 2**32
    assert [(p.message, p.path) for p in g.problems] == [
        ("up: its output (4, 4294967296, 1) has a size past 2,147,483,647, the largest TensorFlow takes", path)]


def test_a_dangling_layer_without_a_handle_is_named_as_itself():
    # the walk records a handle (the block's name) for every block's output; a node without one is named as the
    # layer it is, at the spec path of the block that made it
    from modelspec.graph import Graph, unused_problems

    g = Graph({"input": (4, 4, 1)})
    (x,) = g.input_tensors().values()
    with g.within(("blocks", 2), block="b"):
        y = g.add(L.Activation("relu"), [x], "b_relu")
    g.outputs.append(("b", y))
    with g.within(("blocks", 3), block="c"):
        g.add(L.Activation("relu"), [x], "c_relu")
    assert [(p.message, p.path) for p in unused_problems(g, {}, {"input": ("input",)})] == [
        ("the output of 'c_relu' is never used: no later block takes it (the next block names another 'input:') "
         "and it is not in 'outputs'", ("blocks", 3))]
