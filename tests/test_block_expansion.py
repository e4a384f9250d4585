"""What each block expands to: its layers, their settings, and which field a problem or budget blames.

The static pass records every layer a block makes (a :class:`~modelspec.graph.Node` with its
name and its layer's settings). The tables below hold, for one block on one input, every node it
makes, in order, with the settings Keras Applications gives that layer: the expected values are
read from Keras' source (keras/src/applications/mobilenet_v2.py, efficientnet.py, densenet.py,
imagenet_utils.py; keras/src/layers/*) or from docs/format.md's rule for the block, named in each
case. None is copied from modelspec's output. Parameter totals are Keras' weight shapes: a Conv2D
has kh × kw × in × filters weights (+ filters biases), a BatchNormalization 4 × channels (gamma,
beta, moving mean and variance). docs/mutation.md says how these gaps were found.
"""

from __future__ import annotations

import json
import re
from typing import Literal

import pytest
from pydantic import Field

import modelspec
from modelspec import Budget, SpecError
from modelspec import layers as L
from modelspec.analysis import check
from modelspec.blocks import Block, block_class, block_classes, block_types, registry


def spec_text(shape, blocks: list[str]) -> str:
    """A spec with one input of ``shape`` and ``blocks`` (flow-style YAML mappings), one a line from line 4."""
    return f"name: t\ninput: {{shape: {json.dumps(shape)}}}\nblocks:\n" + "".join(f"  - {b}\n" for b in blocks)


def expanded(shape, blocks: list[str]) -> dict[str, L.Layer]:
    """Every layer the blocks make, by name, in the order they are made."""
    _, graph = check("<spec>", text=spec_text(shape, blocks))
    return {node.name: node.layer for node in graph.nodes}


def bn(epsilon: float = 1e-3, momentum: float = 0.99) -> L.BatchNormalization:
    """A BatchNormalization with Keras' defaults (epsilon 1e-3, momentum 0.99) unless told."""
    return L.BatchNormalization(epsilon=epsilon, momentum=momentum, center=True, scale=True)


def conv(filters, kernel, strides=(1, 1), padding="valid", activation="linear", use_bias=True,
         init="glorot_uniform") -> L.Conv2D:
    return L.Conv2D(filters=filters, kernel_size=kernel, strides=strides, padding=padding, activation=activation,
                    use_bias=use_bias, kernel_initializer=init)


def depthwise(kernel, strides=(1, 1), padding="same", init="glorot_uniform") -> L.DepthwiseConv2D:
    """Keras Applications' depthwise convolutions: no bias, no activation of their own."""
    return L.DepthwiseConv2D(kernel_size=kernel, strides=strides, padding=padding, use_bias=False,
                             kernel_initializer=init)


def pointwise(filters, activation="linear", use_bias=False, init="glorot_uniform") -> L.Conv2D:
    """MobileNetV2's and EfficientNet's 1×1 convolutions: same padding."""
    return conv(filters, (1, 1), padding="same", activation=activation, use_bias=use_bias, init=init)


MOBILENET_V2_BN = bn(1e-3, 0.999)  # mobilenet_v2._inverted_res_block: BatchNormalization(epsilon=1e-3, momentum=0.999)
DENSENET_BN = bn(1.001e-5)  # densenet.conv_block / transition_block: BatchNormalization(epsilon=1.001e-5)
RELU6 = L.ReLU(max_value=6.0)  # mobilenet_v2: layers.ReLU(6.0)
RELU = L.Activation("relu")
SETTINGS_BN = L.BatchNormalization(epsilon=0.01, momentum=0.999, center=True, scale=False)
KERAS_APPS_BN = DENSENET_BN  # resnet_v2.residual_block_v2 also: BatchNormalization(epsilon=1.001e-5)


def preact_bottleneck(prefix, filters, strides, shortcut, init="glorot_uniform") -> dict[str, L.Layer]:
    """resnet_v2.residual_block_v2's layers, in order: BN, relu (the pre-activation); the shortcut layer, if any
    (``shortcut``: a name -> layer mapping); Conv2D(filters, 1, use_bias=False), BN, relu; ZeroPadding2D 1;
    Conv2D(filters, 3, strides, use_bias=False), BN, relu; Conv2D(4 × filters, 1) with a bias; the add."""
    return {f"{prefix}_preact_bn": KERAS_APPS_BN, f"{prefix}_preact_relu": RELU, **shortcut,
            f"{prefix}_1_conv": conv(filters, (1, 1), use_bias=False, init=init), f"{prefix}_1_bn": KERAS_APPS_BN,
            f"{prefix}_1_relu": RELU, f"{prefix}_2_pad": L.ZeroPadding2D(((1, 1), (1, 1))),
            f"{prefix}_2_conv": conv(filters, (3, 3), strides, use_bias=False, init=init),
            f"{prefix}_2_bn": KERAS_APPS_BN, f"{prefix}_2_relu": RELU,
            f"{prefix}_3_conv": conv(4 * filters, (1, 1), init=init), f"{prefix}_out": L.Add()}

# (id, input shape, blocks, every layer they make in order: name -> layer)
EXPANSIONS = [
    # mobilenet_v2._inverted_res_block, block_1 on 112×112×16 (docs/format.md's example): expand to 6 × 16 = 96
    # (1×1, same, no bias), BN, ReLU(6.0); correct_pad(112, 3) = ((0, 1), (0, 1)); a strided valid depthwise 3×3;
    # project to 24 (1×1, same, no bias), BN; no add (strided)
    ("inverted_residual, MobileNetV2 block_1", [112, 112, 16],
     ["{name: block_1, type: inverted_residual, filters: 24, strides: 2}"],
     {"block_1_expand": pointwise(96), "block_1_expand_bn": MOBILENET_V2_BN, "block_1_expand_relu6": RELU6,
      "block_1_pad": L.ZeroPadding2D(((0, 1), (0, 1))),
      "block_1_depthwise": depthwise((3, 3), (2, 2), "valid"),
      "block_1_depthwise_bn": MOBILENET_V2_BN, "block_1_depthwise_relu6": RELU6,
      "block_1_project": pointwise(24), "block_1_project_bn": MOBILENET_V2_BN}),
    # docs/format.md: another activation is an Activation layer; kernel_initializer is that of every kernel;
    # batch-norm settings keep MobileNetV2's momentum 0.999 unless given; stride 1 and filters == in: the add
    ("inverted_residual, swish, he_normal, batch-norm settings", [8, 8, 16],
     ["{name: b, type: inverted_residual, filters: 16, activation: swish, kernel_initializer: he_normal, "
      "batch_norm: {epsilon: 0.01, scale: false}}"],
     {"b_expand": pointwise(96, init="he_normal"), "b_expand_bn": SETTINGS_BN,
      "b_expand_swish": L.Activation("swish"),
      "b_depthwise": depthwise((3, 3), init="he_normal"), "b_depthwise_bn": SETTINGS_BN,
      "b_depthwise_swish": L.Activation("swish"),
      "b_project": pointwise(16, init="he_normal"), "b_project_bn": SETTINGS_BN, "b_add": L.Add()}),
    # efficientnet.block's squeeze-and-excitation, docs/format.md: max(1, int(C × ratio)) channels, 1×1 same convs
    # with a bias: on 4 channels the default 0.25 keeps int(1.0) = 1
    ("squeeze_excite, 4 channels", [8, 8, 4], ["{name: se, type: squeeze_excite}"],
     {"se_squeeze": L.GlobalAveragePooling2D(), "se_reshape": L.Reshape((1, 1, 4)),
      "se_reduce": pointwise(1, "relu", use_bias=True), "se_expand": pointwise(4, "sigmoid", use_bias=True),
      "se_excite": L.Multiply()}),
    ("squeeze_excite, ratio 0.5 of 6", [8, 8, 6], ["{name: se, type: squeeze_excite, ratio: 0.5}"],
     {"se_squeeze": L.GlobalAveragePooling2D(), "se_reshape": L.Reshape((1, 1, 6)),
      "se_reduce": pointwise(3, "relu", use_bias=True), "se_expand": pointwise(6, "sigmoid", use_bias=True),
      "se_excite": L.Multiply()}),
    # densenet.conv_block: BN(1.001e-5), relu, Conv2D(bottleneck × growth_rate, 1, use_bias=False), BN, relu,
    # Conv2D(growth_rate, 3, padding="same", use_bias=False), Concatenate([x, x1])
    ("dense_block", [8, 8, 16],
     ["{name: b, type: dense_block, layers: 1, growth_rate: 8, bottleneck: 2, kernel_initializer: he_normal}"],
     {"b_block1_0_bn": DENSENET_BN, "b_block1_0_relu": RELU,
      "b_block1_1_conv": conv(16, (1, 1), use_bias=False, init="he_normal"),
      "b_block1_1_bn": DENSENET_BN, "b_block1_1_relu": RELU,
      "b_block1_2_conv": conv(8, (3, 3), padding="same", use_bias=False, init="he_normal"),
      "b_block1_concat": L.Concatenate()}),
    # densenet.transition_block: BN(1.001e-5), relu, Conv2D(int(channels × reduction), 1, use_bias=False),
    # AveragePooling2D(2, strides=2)
    ("transition", [8, 8, 16], ["{name: t, type: transition, kernel_initializer: he_normal}"],
     {"t_bn": DENSENET_BN, "t_relu": RELU, "t_conv": conv(8, (1, 1), use_bias=False, init="he_normal"),
      "t_pool": L.AveragePooling2D((2, 2), (2, 2))}),
    # a reduction that keeps exactly one channel is taken: int(2 × 0.5) = 1
    ("transition to one channel", [8, 8, 2], ["{name: t, type: transition}"],
     {"t_bn": DENSENET_BN, "t_relu": RELU, "t_conv": conv(1, (1, 1), use_bias=False),
      "t_pool": L.AveragePooling2D((2, 2), (2, 2))}),
    # docs/format.md, separable_conv: one SeparableConv2D with the entry's settings (Keras' defaults otherwise)
    ("separable_conv", [8, 8, 4], ["{name: s, type: separable_conv, filters: 8, kernel_size: 3}"],
     {"s": L.SeparableConv2D(kernel_size=(3, 3), filters=8)}),
    # docs/format.md, conv_transpose: one Conv2DTranspose with the entry's settings; with batch norm it is linear,
    # followed by NAME_bn and NAME_<activation>
    ("conv_transpose", [4, 4, 8],
     ["{name: t, type: conv_transpose, filters: 4, kernel_size: 3, strides: 2, padding: same, activation: relu, "
      "use_bias: false, kernel_initializer: he_normal}"],
     {"t": L.Conv2DTranspose(filters=4, kernel_size=(3, 3), strides=(2, 2), padding="same", activation="relu",
                             use_bias=False, kernel_initializer="he_normal")}),
    ("conv_transpose with batch norm", [4, 4, 8],
     ["{name: t, type: conv_transpose, filters: 4, kernel_size: 2, strides: 2, activation: relu, batch_norm: true}"],
     {"t": L.Conv2DTranspose(filters=4, kernel_size=(2, 2), strides=(2, 2)), "t_bn": bn(), "t_relu": RELU}),
    ("upsample, bilinear", [4, 4, 8], ["{name: up, type: upsample, size: [2, 3], interpolation: bilinear}"],
     {"up": L.UpSampling2D((2, 3), "bilinear")}),
    # docs/format.md, layer_norm (ConvNeXt writes epsilon 1.0e-6)
    ("layer_norm", [8, 8, 4],
     ["{name: ln, type: layer_norm, epsilon: 1.0e-6, center: false}", "{name: ln2, type: layer_norm, scale: false}"],
     {"ln": L.LayerNormalization(1e-6, False, True), "ln2": L.LayerNormalization(0.001, True, False)}),
    # docs/format.md, residual: conv1 with the activation and the strides, conv2 linear (both same padding,
    # he_normal by default), added to the shortcut (the input: 16 channels, stride 1), then the activation
    ("residual", [8, 8, 16], ["{name: r, type: residual, filters: 16}"],
     {"r_conv1": conv(16, (3, 3), padding="same", activation="relu", init="he_normal"),
      "r_conv2": conv(16, (3, 3), padding="same", init="he_normal"), "r_add": L.Add(), "r_out": RELU}),
    # ... with batch norm each conv is linear, then _bn, and conv1 also _<activation>
    # (shortcut: identity, the input itself, as auto would choose here)
    ("residual with batch norm", [8, 8, 16], ["{name: r, type: residual, filters: 16, activation: swish, "
                                              "batch_norm: true, shortcut: identity}"],
     {"r_conv1": conv(16, (3, 3), padding="same", init="he_normal"), "r_conv1_bn": bn(),
      "r_conv1_swish": L.Activation("swish"), "r_conv2": conv(16, (3, 3), padding="same", init="he_normal"),
      "r_conv2_bn": bn(), "r_add": L.Add(), "r_out": L.Activation("swish")}),
    # docs/format.md, vgg: same-padded convolutions, then a max pool with valid padding and pool_strides
    ("vgg, overlapping pool", [9, 9, 3], ["{name: b, type: vgg, filters: 4, pool_size: 3, pool_strides: 2}"],
     {"b_conv1": conv(4, (3, 3), padding="same", activation="relu"), "b_pool": L.MaxPooling2D((3, 3), (2, 2))}),
    # efficientnet.block: expand to 6 × 4 = 24 (1×1, same, no bias), BN (Keras' defaults), activation; depthwise
    # (same at stride 1, no bias), BN, activation; SE to max(1, int(4 × 0.25)) = 1 and back to the expanded 24
    # (1×1, same, with a bias; the block's activation, then sigmoid); project to 4, BN; filters_in == filters_out
    # at stride 1: Dropout(drop_rate, noise_shape=(None, 1, 1, 1)) and the add
    ("mbconv", [8, 8, 4], ["{name: b, type: mbconv, filters: 4, activation: relu, kernel_initializer: he_normal, "
                           "drop_rate: 0.1}"],
     {"b_expand_conv": pointwise(24, init="he_normal"), "b_expand_bn": bn(), "b_expand_activation": RELU,
      "b_dwconv": depthwise((3, 3), init="he_normal"), "b_bn": bn(), "b_activation": RELU,
      "b_se_squeeze": L.GlobalAveragePooling2D(), "b_se_reshape": L.Reshape((1, 1, 24)),
      "b_se_reduce": pointwise(1, "relu", use_bias=True, init="he_normal"),
      "b_se_expand": pointwise(24, "sigmoid", use_bias=True, init="he_normal"), "b_se_excite": L.Multiply(),
      "b_project_conv": pointwise(4, init="he_normal"), "b_project_bn": bn(),
      "b_drop": L.Dropout(0.1, (None, 1, 1, 1)), "b_add": L.Add()}),
    # efficientnet.block: no expand conv at expand_ratio 1, no SE unless 0 < se_ratio; no add when filters change
    ("mbconv, no expansion, no squeeze", [8, 8, 4],
     ["{name: b, type: mbconv, filters: 8, expansion: 1, se_ratio: 0, kernel_initializer: he_normal}"],
     {"b_dwconv": depthwise((3, 3), init="he_normal"), "b_bn": bn(), "b_activation": L.Activation("swish"),
      "b_project_conv": pointwise(8, init="he_normal"), "b_project_bn": bn()}),
    # ... and no Dropout when drop_rate is 0 (efficientnet.block: `if drop_rate > 0`)
    ("mbconv, no drop", [8, 8, 4],
     ["{name: b, type: mbconv, filters: 4, expansion: 1, se_ratio: 0, kernel_initializer: he_normal}"],
     {"b_dwconv": depthwise((3, 3), init="he_normal"), "b_bn": bn(), "b_activation": L.Activation("swish"),
      "b_project_conv": pointwise(4, init="he_normal"), "b_project_bn": bn(), "b_add": L.Add()}),
    # resnet.block1 (ResNet50), docs/format.md's bottleneck: the projection (1×1, strides, valid, linear), then
    # Conv2D(filters, 1, strides) (valid), Conv2D(filters, 3, padding="same"), Conv2D(4 × filters, 1) (valid,
    # linear), the add and the activation
    ("bottleneck, projected", [8, 8, 16], ["{name: b, type: bottleneck, filters: 4, strides: 2}"],
     {"b_shortcut": conv(16, (1, 1), (2, 2)), "b_conv1": conv(4, (1, 1), (2, 2), activation="relu"),
      "b_conv2": conv(4, (3, 3), padding="same", activation="relu"), "b_conv3": conv(16, (1, 1)),
      "b_add": L.Add(), "b_out": RELU}),
    # resnet_v2.residual_block_v2 (stack2's last block: no conv shortcut, so a 1×1 max pool when strided)
    ("preact_bottleneck, strided identity", [8, 8, 16],
     ["{name: b, type: preact_bottleneck, filters: 4, strides: 2, kernel_initializer: he_normal}"],
     preact_bottleneck("b", 4, (2, 2), {"b_0_pool": L.MaxPooling2D((1, 1), (2, 2))}, "he_normal")),
    ("preact_bottleneck, identity", [8, 8, 16], ["{name: b, type: preact_bottleneck, filters: 4}"],
     preact_bottleneck("b", 4, (1, 1), {})),
    # ... conv_shortcut: Conv2D(4 × filters, 1, strides=stride) on the pre-activation, with a bias
    ("preact_bottleneck, projection", [8, 8, 8], ["{name: b, type: preact_bottleneck, filters: 4, strides: 2}"],
     preact_bottleneck("b", 4, (2, 2), {"b_0_conv": conv(16, (1, 1), (2, 2))})),
    ("preact_bottleneck, projection asked for", [8, 8, 16],
     ["{name: b, type: preact_bottleneck, filters: 4, shortcut: projection}"],
     preact_bottleneck("b", 4, (1, 1), {"b_0_conv": conv(16, (1, 1))})),
    # single layers (docs/format.md, "Blocks: single layers"): one Keras layer each, with the entry's settings
    # under Keras' own argument names, and Keras' defaults for the rest
    ("conv, every setting", [16, 16, 4],
     ["{name: c, type: conv, filters: 6, kernel_size: [3, 5], padding: same, activation: relu, groups: 2, "
      "dilation_rate: 2, use_bias: false, kernel_initializer: he_normal}"],
     {"c": L.Conv2D(filters=6, kernel_size=(3, 5), strides=(1, 1), padding="same", activation="relu", use_bias=False,
                    kernel_initializer="he_normal", groups=2, dilation_rate=(2, 2))}),
    # with batch norm: Conv2D (linear) -> BatchNormalization -> the activation
    ("conv with batch-norm settings", [16, 16, 4],
     ["{name: c, type: conv, filters: 6, kernel_size: 3, strides: 2, activation: relu, "
      "batch_norm: {epsilon: 0.01, momentum: 0.9, center: false, scale: false}}"],
     {"c": conv(6, (3, 3), (2, 2)), "c_bn": L.BatchNormalization(0.01, 0.9, False, False), "c_relu": RELU}),
    ("depthwise_conv, every setting", [16, 16, 4],
     ["{name: d, type: depthwise_conv, kernel_size: [3, 5], strides: 2, padding: same, depth_multiplier: 2, "
      "activation: relu, use_bias: false, kernel_initializer: he_normal}"],
     {"d": L.DepthwiseConv2D(kernel_size=(3, 5), strides=(2, 2), padding="same", depth_multiplier=2,
                             activation="relu", use_bias=False, kernel_initializer="he_normal")}),
    ("depthwise_conv, dilated, with batch norm", [16, 16, 4],
     ["{name: d, type: depthwise_conv, kernel_size: 3, dilation_rate: [2, 1], activation: relu, batch_norm: true}"],
     {"d": L.DepthwiseConv2D(kernel_size=(3, 3), dilation_rate=(2, 1)), "d_bn": bn(), "d_relu": RELU}),
    ("separable_conv, every setting, with batch norm", [16, 16, 4],
     ["{name: s, type: separable_conv, filters: 8, kernel_size: [5, 3], strides: [2, 1], padding: same, "
      "depth_multiplier: 3, activation: relu, use_bias: false, batch_norm: {momentum: 0.9}, "
      "kernel_initializer: he_normal}"],
     {"s": L.SeparableConv2D(kernel_size=(5, 3), strides=(2, 1), padding="same", depth_multiplier=3,
                             activation="linear", use_bias=False, kernel_initializer="he_normal", filters=8),
      "s_bn": bn(momentum=0.9), "s_relu": RELU}),
    ("pools", [16, 16, 4], ["{name: p, type: max_pool, pool_size: [3, 2], strides: [2, 1], padding: same}",
                            "{name: a, type: avg_pool, pool_size: 3}"],
     {"p": L.MaxPooling2D((3, 2), (2, 1), "same"), "a": L.AveragePooling2D((3, 3), (3, 3), "valid")}),
    ("zero_padding and crop", [16, 16, 4], ["{name: z, type: zero_padding, padding: [2, 1]}",
                                            "{name: c, type: crop, cropping: [[0, 2], [1, 0]]}"],
     {"z": L.ZeroPadding2D(((2, 2), (1, 1))), "c": L.Cropping2D(((0, 2), (1, 0)))}),
    ("global pools", [16, 16, 4], ["{name: g, type: global_max_pool, keepdims: true}",
                                   "{name: h, type: global_avg_pool}"],
     {"g": L.GlobalMaxPooling2D(True), "h": L.GlobalAveragePooling2D(False)}),
    ("flatten, reshape, dense, dropout", [4, 4, 2],
     ["{name: f, type: flatten}", "{name: r, type: reshape, shape: [-1, 4]}",
      "{name: fc, type: dense, units: 10, activation: softmax, use_bias: false, kernel_initializer: he_normal}",
      "{name: drop, type: dropout, rate: 0.3, noise_shape: [null, 1, 10]}", "{name: drop2, type: dropout, rate: 0.5}"],
     {"f": L.Flatten(), "r": L.Reshape((-1, 4)), "fc": L.Dense(10, "softmax", False, "he_normal"),
      "drop": L.Dropout(0.3, (None, 1, 10)), "drop2": L.Dropout(0.5, None)}),
    ("relu, rescale, batch_norm, activation", [4, 4, 3],
     ["{name: r, type: relu, max_value: 6.0, negative_slope: 0.1, threshold: 0.5}", "{name: r2, type: relu}",
      "{name: s, type: rescale, scale: 0.5, offset: [1.0, 2.0, 3.0]}", "{name: s2, type: rescale, scale: [2.0]}",
      "{name: b, type: batch_norm, epsilon: 0.01, momentum: 0.9, center: false}",
      "{name: b2, type: batch_norm, scale: false}",
      "{name: a, type: activation, activation: gelu}"],
     {"r": L.ReLU(6.0, 0.1, 0.5), "r2": L.ReLU(None, 0.0, 0.0), "s": L.Rescaling(0.5, (1.0, 2.0, 3.0)),
      "s2": L.Rescaling((2.0,), 0.0), "b": L.BatchNormalization(0.01, 0.9, False, True),
      "b2": L.BatchNormalization(0.001, 0.99, True, False), "a": L.Activation("gelu")}),
    ("normalize without statistics, upsample", [4, 4, 3], ["{name: n, type: normalize}", "{name: u, type: upsample}"],
     {"n": L.Normalization(None, None), "u": L.UpSampling2D((2, 2), "nearest")}),
    # docs/format.md, parallel: the branches, then PREFIX_<merge>; a concat on the given axis
    ("parallel concat on an axis", [8, 8, 4],
     ["{name: p, type: parallel, merge: concat, axis: 1, branches: [[], [{type: conv, filters: 4, kernel_size: 1}]]}"],
     {"p_branch2_1": conv(4, (1, 1)), "p_concat": L.Concatenate(1)}),
    # docs/format.md, normalize: fixed statistics, one per channel
    ("normalize", [4, 4, 3], ["{name: n, type: normalize, mean: [1.0, 2.0, 3.0], variance: [1.0, 4.0, 9.0]}"],
     {"n": L.Normalization((1.0, 2.0, 3.0), (1.0, 4.0, 9.0))}),
]


@pytest.mark.parametrize("blocks_, shape, expected", [(b, s, e) for _, s, b, e in EXPANSIONS],
                         ids=[case[0] for case in EXPANSIONS])
def test_a_block_expands_to_these_layers(blocks_, shape, expected):
    made = expanded(shape, blocks_)
    assert list(made) == list(expected)
    for name, layer in expected.items():
        assert made[name] == layer, name


# imagenet_utils.correct_pad, worked per axis: adjust = 1 - size % 2 (1 when the height is unknown; modelspec
# takes an unknown width as even too), correct = k // 2; padding ((correct - adjust, correct), ...).
# (input shape, kernel_size, padding)
CORRECT_PADS = [
    ([112, 112, 32], [3, 3], ((0, 1), (0, 1))),  # docs/format.md: [[0, 1], [0, 1]] for a 3×3 kernel on 112×112
    ([113, 113, 32], [3, 3], ((1, 1), (1, 1))),  # odd: as many on both sides
    ([None, None, 32], [3, 3], ((0, 1), (0, 1))),  # unknown: as if even
    ([112, 113, 8], [5, 3], ((1, 2), (1, 1))),  # adjust (1, 0), correct (2, 1)
    ([113, 112, 8], [3, 7], ((1, 1), (2, 3))),  # adjust (0, 1), correct (1, 3)
    ([7, None, 8], [3, 3], ((1, 1), (0, 1))),  # a known odd height, an unknown width
    # a 1×1 kernel (Keras never asks): correct 0, adjust 1 would pad -1, which ZeroPadding2D refuses; nothing
    ([112, 113, 8], [1, 1], ((0, 0), (0, 0))),
    ([None, 32, 8], [5, 5], ((1, 2), (1, 2))),  # unknown height: adjust 1 on both axes (Keras' None % 2 fails)
]


@pytest.mark.parametrize("shape, kernel, padding", CORRECT_PADS)
def test_a_strided_depthwise_convolution_is_padded_as_keras_correct_pad(shape, kernel, padding):
    made = expanded(shape, [f"{{name: b, type: inverted_residual, filters: 8, expansion: 1, kernel_size: {kernel}, "
                            "strides: 2}"])
    assert made["b_pad"] == L.ZeroPadding2D(padding)
    assert made["b_depthwise"] == depthwise(tuple(kernel), (2, 2), "valid")


INCEPTION = "{name: inc, type: inception, conv1x1: 4, reduce3x3: 2, conv3x3: 4, conv5x5: 0}"
PREACT = "{name: b, type: preact_bottleneck, filters: 4, strides: 2}"
BOTTLENECK = "{name: b, type: bottleneck, filters: 4}"

# (id, input shape, blocks, max_params, the total that passes it, at which layer, the field blamed)
PARAMS_BLAME = [
    # 0_bn 4 × 16 = 64, 1_conv 16 × (2 × 8) = 256
    ("dense_block, 1x1 conv", [8, 8, 16], ["{name: b, type: dense_block, layers: 1, growth_rate: 8, bottleneck: 2}"],
     319, 320, "b_block1_1_conv", "blocks[0].growth_rate"),
    # ... + 1_bn 64 + 2_conv 3 × 3 × 16 × 8 = 1,152
    ("dense_block, 3x3 conv", [8, 8, 16], ["{name: b, type: dense_block, layers: 1, growth_rate: 8, bottleneck: 2}"],
     1535, 1536, "b_block1_2_conv", "blocks[0].growth_rate"),
    # bn 64 + conv 16 × 8 = 128
    ("transition", [8, 8, 16], ["{name: t, type: transition}"], 191, 192, "t_conv", "blocks[0].reduction"),
    # expand 16 × 96 = 1,536
    ("inverted_residual, expand", [8, 8, 16], ["{name: b, type: inverted_residual, filters: 16}"],
     1535, 1536, "b_expand", "blocks[0].expansion"),
    # ... + expand_bn 4 × 96 + depthwise 3 × 3 × 96 + depthwise_bn 4 × 96 + project 96 × 16 = 4,704
    ("inverted_residual, project", [8, 8, 16], ["{name: b, type: inverted_residual, filters: 16}"],
     4703, 4704, "b_project", "blocks[0].filters"),
    # depthwise 3 × 3 × 4 + pointwise 4 × 8 + bias 8 = 76
    ("separable_conv", [8, 8, 4], ["{name: s, type: separable_conv, filters: 8, kernel_size: 3}"],
     75, 76, "s", "blocks[0].filters"),
    # Conv2DTranspose: kernel (2, 2, 4, 8) + bias 4 = 132
    ("conv_transpose", [4, 4, 8], ["{name: t, type: conv_transpose, filters: 4, kernel_size: 2}"],
     131, 132, "t", "blocks[0].filters"),
    # identity shortcut; conv1 3 × 3 × 16 × 16 + 16 = 2,320, conv2 as many
    ("residual, conv1", [8, 8, 16], ["{name: r, type: residual, filters: 16}"], 2319, 2320, "r_conv1",
     "blocks[0].filters"),
    ("residual, conv2", [8, 8, 16], ["{name: r, type: residual, filters: 16}"], 4639, 4640, "r_conv2",
     "blocks[0].filters"),
    # bottleneck with the identity shortcut: conv1 16 × 4 + 4 = 68, conv2 3 × 3 × 4 × 4 + 4 = 148 (216),
    # conv3 4 × 16 + 16 = 80 (296)
    ("bottleneck, conv1", [8, 8, 16], [BOTTLENECK], 67, 68, "b_conv1", "blocks[0].filters"),
    ("bottleneck, conv2", [8, 8, 16], [BOTTLENECK], 215, 216, "b_conv2", "blocks[0].filters"),
    ("bottleneck, conv3", [8, 8, 16], [BOTTLENECK], 295, 296, "b_conv3", "blocks[0].filters"),
    # the projection shortcut: 8 × 16 + 16 = 144, made first
    ("residual, projection", [8, 8, 8], ["{name: r, type: residual, filters: 16}"], 143, 144, "r_shortcut",
     "blocks[0].filters"),
    # a depthwise conv's weights grow with depth_multiplier: 3 × 3 × 4 + 4 = 40
    ("depthwise_conv", [8, 8, 4], ["{name: d, type: depthwise_conv, kernel_size: 3}"], 39, 40, "d",
     "blocks[0].depth_multiplier"),
    # each inception conv is sized by its own field: 1x1 8 × 4 + 4 = 36, 3x3_reduce 8 × 2 + 2 = 18,
    # 3x3 3 × 3 × 2 × 4 + 4 = 76
    ("inception, 1x1", [8, 8, 8], [INCEPTION], 35, 36, "inc_1x1", "blocks[0].conv1x1"),
    ("inception, 3x3 reduction", [8, 8, 8], [INCEPTION], 53, 54, "inc_3x3_reduce", "blocks[0].reduce3x3"),
    ("inception, 3x3", [8, 8, 8], [INCEPTION], 129, 130, "inc_3x3", "blocks[0].conv3x3"),
    # mbconv on 4 channels: expand_conv 4 × 24 = 96; expand_bn 96, dwconv 3 × 3 × 24 = 216, bn 96, se_reduce
    # 24 × 1 + 1 = 25 (total 529); se_expand 1 × 24 + 24 = 48, project_conv 24 × 4 = 96 (total 673)
    ("mbconv, expand", [8, 8, 4], ["{name: b, type: mbconv, filters: 4}"], 95, 96, "b_expand_conv",
     "blocks[0].expansion"),
    ("mbconv, squeeze", [8, 8, 4], ["{name: b, type: mbconv, filters: 4}"], 528, 529, "b_se_reduce",
     "blocks[0].se_ratio"),
    ("mbconv, project", [8, 8, 4], ["{name: b, type: mbconv, filters: 4}"], 672, 673, "b_project_conv",
     "blocks[0].filters"),
    # squeeze_excite with filters: reduce 16 × 4 + 4 = 68
    ("squeeze_excite, filters", [8, 8, 16], ["{name: se, type: squeeze_excite, filters: 4}"], 67, 68, "se_reduce",
     "blocks[0].filters"),
    # preact_bottleneck on 8 channels to 16: preact_bn 32, 0_conv 8 × 16 + 16 = 144 (176), 1_conv 8 × 4 = 32
    # (208), 1_bn 16, 2_conv 3 × 3 × 4 × 4 = 144 (368), 2_bn 16, 3_conv 4 × 16 + 16 = 80 (464)
    ("preact_bottleneck, shortcut", [8, 8, 8], [PREACT], 175, 176, "b_0_conv", "blocks[0].filters"),
    ("preact_bottleneck, 1x1", [8, 8, 8], [PREACT], 207, 208, "b_1_conv", "blocks[0].filters"),
    ("preact_bottleneck, 3x3", [8, 8, 8], [PREACT], 367, 368, "b_2_conv", "blocks[0].filters"),
    ("preact_bottleneck, last 1x1", [8, 8, 8], [PREACT], 463, 464, "b_3_conv", "blocks[0].filters"),
]


@pytest.mark.parametrize("shape, blocks_, limit, total, layer, field", [c[1:] for c in PARAMS_BLAME],
                         ids=[c[0] for c in PARAMS_BLAME])
def test_the_parameter_budget_blames_the_field_that_sizes_the_layer(shape, blocks_, limit, total, layer, field):
    with pytest.raises(SpecError) as caught:
        modelspec.loads(spec_text(shape, blocks_), budget=Budget(max_params=limit))
    assert re.search(rf"error: {re.escape(field)}: too many parameters: {total:,} with layer {layer}, over the "
                     rf"limit of {limit:,} ", str(caught.value)), str(caught.value)


# (id, input shape, blocks, the start of the error after its location)
SHAPE_BLAME = [
    # merge.check_axis: the axis is blamed when it is no axis of the first input (here a vector), before the
    # inputs' ranks are compared; the message names the block
    ("concat axis", [8, 8, 4], ["{name: flat, type: global_avg_pool}",
                                "{name: both, type: concat, inputs: [flat, input], axis: 2}"],
     "blocks[1].axis: both: axis 2 is not an axis of a sample of rank 1 "),
    # the same for a parallel's concat, on its first branch's output
    ("parallel concat axis", [8, 8, 4],
     ["{name: p, type: parallel, merge: concat, axis: 2, branches: [[{type: global_avg_pool}], []]}"],
     "blocks[0].axis: p: axis 2 is not an axis of a sample of rank 1 "),
    # branches that do not merge: the branches' fault
    ("parallel add", [8, 8, 4], ["{name: p, type: parallel, merge: add, branches: [[], [{type: conv, filters: 8, "
                                 "kernel_size: 1}]]}"],
     "blocks[0].branches: p_add: cannot add tensors of shapes (8, 8, 4) and (8, 8, 8)"),
    # a dilated span of exactly 2**31 - 1 is one TensorFlow can take: judged by the map it does not fit
    ("dilated span of 2**31 - 1", [8, 8, 3], ["{name: d, type: depthwise_conv, kernel_size: 2, "
                                              "dilation_rate: 2147483646}"],
     "blocks[0].dilation_rate: d: a dilated kernel of 2147483647 (valid padding) does not fit in an input of size 8"),
    # an inception pool (stride 1, same padding) wider than 2n + 1 is its pool_size's fault
    ("inception pool", [1, 1, 8], ["{name: inc, type: inception, conv1x1: 4, conv3x3: 0, conv5x5: 0, pool_size: 5}"],
     "blocks[0].pool_size: inc_pool: a pooling window of 5 (same padding) is more than twice as wide as its input "
     "of size 1 (at most 3)"),
]
# an input of the wrong rank (a vector, after a global pool) is the block's problem, not one field's: no value of
# kernel_size, strides or conv1x1 would make a convolution take it (docs/format.md, "Errors")
SHAPE_BLAME += [
    (f"{block.split(',')[0][7:]} {layer} on a vector", [8, 8, 4], ["{name: flat, type: global_avg_pool}", block],
     f"blocks[1]: block2_{layer}: {cls} needs an input of shape (height, width, channels); it gets (4)")
    for block, layer, cls in [
        ("{type: residual, filters: 4}", "conv1", "Conv2D"),
        ("{type: vgg, filters: 4}", "conv1", "Conv2D"),
        ("{type: inception, conv1x1: 2, conv3x3: 2, reduce3x3: 1, conv5x5: 0}", "1x1", "Conv2D"),
        ("{type: bottleneck, filters: 4}", "shortcut", "Conv2D"),
        ("{type: preact_bottleneck, filters: 4, strides: 2}", "0_conv", "Conv2D"),
        ("{type: preact_bottleneck, filters: 1, strides: 2}", "0_pool", "MaxPooling2D"),  # 1 × 4 = 4: identity
    ]
]


@pytest.mark.parametrize("shape, blocks_, error", [c[1:] for c in SHAPE_BLAME], ids=[c[0] for c in SHAPE_BLAME])
def test_a_shape_problem_blames_the_field_that_causes_it(shape, blocks_, error):
    with pytest.raises(SpecError) as caught:
        modelspec.loads(spec_text(shape, blocks_))
    assert f" error: {error}" in str(caught.value), str(caught.value)


# ------------------------------------------------------------------ the registry


class _Probe(Block):
    """A block type of the tests' own, registered only inside them."""

    type: Literal["probe_for_tests"] = Field(description="A test block.")


class _SecondConv(Block):
    type: Literal["conv"] = Field(description="A second block claiming the tag conv.")


@pytest.fixture
def scratch_registry(monkeypatch):
    """The registry as it is, in a copy the test may change."""
    monkeypatch.setattr(registry, "_BLOCKS", dict(registry._BLOCKS))


def test_register_makes_a_class_the_block_of_its_tag(scratch_registry):
    assert block_class("probe_for_tests") is None
    assert registry.register(_Probe) is _Probe
    assert block_class("probe_for_tests") is _Probe
    assert "probe_for_tests" in block_types()


def test_a_tag_registered_twice_names_both_classes(scratch_registry):
    """registry's contract: registering a tag twice fails, naming both classes (and their modules)."""
    conv_class = block_class("conv")
    with pytest.raises(TypeError) as caught:
        registry.register(_SecondConv)
    assert str(caught.value) == (f"block type 'conv' is registered twice: by {conv_class.__qualname__} "
                                 f"(modelspec.blocks.single) and by _SecondConv ({__name__})")
    assert block_class("conv") is conv_class


def test_block_classes_are_the_classes_of_the_registered_tags():
    classes = block_classes()
    assert isinstance(classes, tuple)
    assert sorted(classes, key=id) == sorted((block_class(tag) for tag in block_types()), key=id)
    assert len(classes) == len(block_types())



# ------------------------------------------------------------------ found by mutation testing at b96f3e2
# (docs/mutation.md, "Gaps"): blame of single-layer blocks, the mobile blocks' depthwise conv at an unknown
# height, and defaults inside composites.
GAPS = [
    # an unknown height: correct_pad pads as for an even map, so a width of 1 becomes 2, which a 3×3 valid
    # window does not fit; the depthwise conv's kernel_size is to blame
    ("inverted_residual at an unknown height", [None, 1, 8],
     ["{name: b, type: inverted_residual, filters: 8, expansion: 1, kernel_size: 3, strides: 2}"],
     "blocks[0].kernel_size: b_depthwise: a kernel of 3 (valid padding) does not fit in an input of size 2"),
    ("mbconv at an unknown height", [None, 1, 8],
     ["{name: b, type: mbconv, filters: 8, expansion: 1, kernel_size: 3, strides: 2}"],
     "blocks[0].kernel_size: b_dwconv: a kernel of 3 (valid padding) does not fit in an input of size 2"),
    # zero padding on a vector: its padding is what cannot apply
    ("zero_padding on a vector", [8, 8, 4], ["{type: global_avg_pool}", "{name: z, type: zero_padding, padding: 1}"],
     "blocks[1].padding: z: ZeroPadding2D needs an input of shape (height, width, channels); it gets (4)"),
]


@pytest.mark.parametrize("shape, blocks_, error", [c[1:] for c in GAPS], ids=[c[0] for c in GAPS])
def test_gap_blames(shape, blocks_, error):
    with pytest.raises(SpecError) as caught:
        modelspec.loads(spec_text(shape, blocks_))
    assert f" error: {error}" in str(caught.value), str(caught.value)


def test_a_padding_too_large_for_the_activation_budget_blames_padding():
    # (8 + 2 × 100,000)² × 4 channels × 4 bytes is far past 8 GiB
    with pytest.raises(SpecError, match=r"error: blocks\[0\]\.padding: too much activation memory"):
        modelspec.loads(spec_text([8, 8, 4], ["{type: zero_padding, padding: 100000}"]))


def test_a_dense_layer_over_the_parameter_budget_blames_units():
    # 8 × 8 × 4 = 256 inputs, (256 + 1) × 2,000,000,000 weights
    with pytest.raises(SpecError, match=r"error: blocks\[1\]\.units: too many parameters"):
        modelspec.loads(spec_text([8, 8, 4], ["{type: flatten}", "{type: dense, units: 2000000000}"]))


def test_defaults_reach_the_blocks_inside_a_sequence():
    # docs/format.md, defaults: a default applies to every block that takes the field, nested ones too
    text = ("name: t\ninput: {shape: [8, 8, 4]}\ndefaults: {activation: relu}\nblocks:\n"
            "  - {type: sequence, name: s, blocks: [{type: conv, name: c, filters: 4, kernel_size: 1}]}\n")
    _, graph = check("<spec>", text=text)
    assert {node.name: node.layer for node in graph.nodes}["c"].activation == "relu"
