"""Eleven bundled specs are Keras Applications' models, weight for weight.

``specs/resnet101.yaml``, ``resnet152.yaml``, ``resnet50v2.yaml``,
``densenet121.yaml``, ``inception_v3.yaml``, ``mobilenet.yaml``,
``mobilenet_v2.yaml``, ``xception.yaml``, ``efficientnet_b0.yaml``,
``mobilenet_v3_small.yaml`` and ``efficientnet_v2_b0.yaml`` are written like
their papers' tables (``repeat``, family blocks, ``sequence``, ``parallel``);
this file proves that they compile to the very models of
``keras.applications``. Every expected figure comes from a named outside
source, never from modelspec:

* Keras Applications, Keras 3 (``keras.applications.X(weights=None)``, sources in
  ``keras/src/applications/resnet.py``, ``resnet_v2.py``, ``densenet.py``,
  ``inception_v3.py``, ``mobilenet.py``, ``mobilenet_v2.py``, ``xception.py``,
  ``efficientnet.py``, ``mobilenet_v3.py``, ``efficientnet_v2.py``): "Total
  params" / "Trainable params" of ``summary()`` (keras.io/api/applications/
  rounds them: 44.7M, 60.4M, 25.6M, 8.1M, 23.9M, 4.3M, 3.5M, 22.9M, 5.3M,
  7.2M; MobileNetV3Small is not in that table), the default input sizes (224,
  299), the position of the v2 strides, EfficientNet's stochastic-depth rates
  and EfficientNetV2-B0's stages (its DEFAULT_BLOCKS_ARGS). The slow tests
  re-check every one of these figures against the installed Keras.
* He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016),
  table 1: bottleneck blocks per stage, [3, 4, 23, 3] (101-layer) and
  [3, 8, 36, 3] (152-layer), [3, 4, 6, 3] (50-layer, which ResNet50V2 keeps);
  stage outputs 56, 28, 14, 7 with 256, 512, 1024, 2048 channels.
* Huang et al., "Densely Connected Convolutional Networks" (CVPR 2017), table 1
  and section 3: DenseNet-121 has dense blocks of [6, 12, 24, 16] layers,
  growth rate k = 32, a first convolution of 2k channels, compression 0.5 in
  the transitions, and feature maps of 56, 28, 14, 7.
* Szegedy et al., "Rethinking the Inception Architecture for Computer Vision"
  (CVPR 2016), table 1: a 299x299x3 input; the inputs of its rows
  "3 x Inception" ... "pool" are 35x35x288, 17x17x768, 8x8x1280, 8x8x2048.
* Howard et al., "MobileNets: Efficient Convolutional Neural Networks for Mobile
  Vision Applications" (2017), table 1 (13 depthwise separable units, "5x" the
  512-channel one; output sizes 112 ... 7) and table 8 (1.0 MobileNet-224: 569
  million mult-adds).
* Sandler et al., "MobileNetV2: Inverted Residuals and Linear Bottlenecks"
  (CVPR 2018), table 2 (rows t, c, n, s) and table 4 (MobileNetV2: 300M
  multiply-adds).
* Chollet, "Xception: Deep Learning with Depthwise Separable Convolutions"
  (CVPR 2017), figure 5 (entry flow to 19x19x728, middle flow "repeated 8
  times", exit flow to 2048 channels) and section 3 (36 convolutional layers in
  the feature extractor, 4 residual 1x1 projections in figure 5).
* Tan & Le, "EfficientNet: Rethinking Model Scaling for Convolutional Neural
  Networks" (ICML 2019), table 1 (stages: operator, resolution, channels,
  layers) and table 2 (EfficientNet-B0: 0.39B FLOPs, counted as multiply-adds).
* Howard et al., "Searching for MobileNetV3" (ICCV 2019), table 2
  (MobileNetV3-Small: 224x224 input, the bottleneck rows) and table 3 (Small
  1.0: 56M multiply-adds).

Fast tests read ``modelspec summary --json`` (in-process, no TensorFlow). The
slow tests build each model and Keras' on a smaller input (64x64x3 for the
ResNets, DenseNet and the mobile models, 75x75x3 and 71x71x3, Keras' minimums,
for Inception v3 and Xception): the spec's input shape is rewritten in its text
and loaded with ``modelspec.loads``. That leaves every parameter count unchanged
(a global average pool feeds the classifier; no weight depends on the map size;
the MobileNets' 1x1 classifier convs see a 1x1 map either way), and the counts
are asserted on those builds. (64 is even, like 224, and so are the maps it
strides down to: the paddings the specs write out, correct_pad's ((0, 1), (0, 1))
and ((1, 2), (1, 2)) for an even map, are Keras' on both sizes.)
Each pair of models is built once (a module-scoped fixture) and Keras' session
is cleared before the next pair.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

import modelspec
from modelspec import cli

SPECS = Path(__file__).resolve().parent.parent / "specs"


class KerasApp(NamedTuple):
    constructor: str    # keras.applications.<constructor>(weights=None)
    total: int          # "Total params"
    trainable: int      # "Trainable params" (batch-norm moving statistics are not)
    input_shape: list   # the constructor's default input (default_size in its source)
    small: int          # side of the input the slow tests build both models on
    gain: tuple = (0.5, 1.0)  # batch-norm gains' factor in randomize(): see there


# keras.applications.X(weights=None).summary(), Keras 3.15.
KERAS_APPLICATIONS = {
    "resnet101": KerasApp("ResNet101", 44_707_176, 44_601_832, [224, 224, 3], 64),
    "resnet152": KerasApp("ResNet152", 60_419_944, 60_268_520, [224, 224, 3], 64),
    "resnet50v2": KerasApp("ResNet50V2", 25_613_800, 25_568_360, [224, 224, 3], 64),
    "densenet121": KerasApp("DenseNet121", 8_062_504, 7_978_856, [224, 224, 3], 64),
    "inception_v3": KerasApp("InceptionV3", 23_851_784, 23_817_352, [299, 299, 3], 75),
    "mobilenet": KerasApp("MobileNet", 4_253_864, 4_231_976, [224, 224, 3], 64, gain=(0.8, 1.2)),
    "mobilenet_v2": KerasApp("MobileNetV2", 3_538_984, 3_504_872, [224, 224, 3], 64),
    "xception": KerasApp("Xception", 22_910_480, 22_855_952, [299, 299, 3], 71),
    "efficientnet_b0": KerasApp("EfficientNetB0", 5_330_571, 5_288_548, [224, 224, 3], 64, gain=(0.9, 1.3)),
    # Keras builds it on (None, None, 3) by default; 224x224 is Howard et al. 2019, table 2
    "mobilenet_v3_small": KerasApp("MobileNetV3Small", 2_554_968, 2_542_856, [224, 224, 3], 64, gain=(0.8, 1.2)),
    "efficientnet_v2_b0": KerasApp("EfficientNetV2B0", 7_200_312, 7_139_704, [224, 224, 3], 64, gain=(0.9, 1.3)),
}
NAMES = sorted(KERAS_APPLICATIONS)


def spec_path(name: str) -> Path:
    return SPECS / f"{name}.yaml"


@functools.lru_cache(maxsize=None)
def summary_json(name: str) -> dict:
    """``modelspec summary --json specs/NAME.yaml``, run in-process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["summary", "--json", str(spec_path(name))])
    assert status == 0
    return json.loads(out.getvalue())


# --------------------------------------------------------------------------- static figures

@pytest.mark.parametrize("name", NAMES)
def test_summary_params_equal_keras_applications(name):
    app = KERAS_APPLICATIONS[name]
    summary = summary_json(name)
    assert summary["input_shape"] == app.input_shape
    assert summary["output_shape"] == [1000]
    assert summary["params"] == {
        "total": app.total, "trainable": app.trainable, "non_trainable": app.total - app.trainable,
    }


def count_layers(summary: dict, cls: str, stage: str = "") -> int:
    """Layers of class ``cls`` in ``stage`` (names ``STAGE_...``), or in the whole model."""
    prefix = f"{stage}_" if stage else ""
    return sum(1 for layer in summary["layers"] if layer["class"] == cls and layer["name"].startswith(prefix))


def output_of(summary: dict, layer_name: str) -> list:
    (shape,) = [layer["output_shape"] for layer in summary["layers"] if layer["name"] == layer_name]
    return shape


# Units per stage, counted by the layer each unit has once: a residual unit's Add
# (He et al. 2016, table 1), a dense layer's Concatenate (Huang et al. 2017, table 1).
STAGE_DEPTHS = [
    ("resnet101", "Add", {"conv2": 3, "conv3": 4, "conv4": 23, "conv5": 3}),
    ("resnet152", "Add", {"conv2": 3, "conv3": 8, "conv4": 36, "conv5": 3}),
    ("resnet50v2", "Add", {"conv2": 3, "conv3": 4, "conv4": 6, "conv5": 3}),
    ("densenet121", "Concatenate", {"conv2": 6, "conv3": 12, "conv4": 24, "conv5": 16}),
    # Howard et al. 2017, table 1: one depthwise conv per "Conv dw" row, "5x" the 512 one (units 7-11)
    ("mobilenet", "DepthwiseConv2D", {"dwsep_1": 1, "dwsep_2": 1, "dwsep_3": 1, "dwsep_4": 1, "dwsep_5": 1,
                                      "dwsep_6": 1, "dwsep_7": 5, "dwsep_12": 1, "dwsep_13": 1}),
    # Sandler et al. 2018, table 2, column n: one depthwise conv per bottleneck
    ("mobilenet_v2", "DepthwiseConv2D", {"block_1": 1, "block_2": 2, "block_3": 3, "block_4": 4, "block_5": 3,
                                         "block_6": 3, "block_7": 1}),
    # Chollet 2017, figure 5: one residual add per module, the middle flow "repeated 8 times"
    ("xception", "Add", {"block2": 1, "block3": 1, "block4": 1, "block5": 8, "block13": 1}),
    # Tan & Le 2019, table 1, column #Layers of stages 2-8: one depthwise conv per MBConv
    ("efficientnet_b0", "DepthwiseConv2D", {"block1": 1, "block2": 2, "block3": 2, "block4": 3, "block5": 3,
                                            "block6": 4, "block7": 1}),
]


@pytest.mark.parametrize("name,cls,depths", STAGE_DEPTHS, ids=[row[0] for row in STAGE_DEPTHS])
def test_stage_depths_follow_the_papers_table(name, cls, depths):
    summary = summary_json(name)
    assert {stage: count_layers(summary, cls, stage) for stage in depths} == depths
    assert count_layers(summary, cls) == sum(depths.values())  # no unit outside the stages


def block_outputs(name: str) -> dict:
    """Top-level block (or repeat copy) name -> output shape; a repeated block's last copy is NAME_N."""
    return {b["name"]: b["output_shape"] for b in summary_json(name)["blocks"]}


# He et al. 2016, table 1 ("output size" column; channels are the stage's last 1x1 conv, 4 x 64 ... 4 x 512).
RESNET_V1_STAGES = {"conv2": [56, 56, 256], "conv3": [28, 28, 512], "conv4": [14, 14, 1024], "conv5": [7, 7, 2048]}


@pytest.mark.parametrize("name,depths", [("resnet101", [3, 4, 23, 3]), ("resnet152", [3, 8, 36, 3])])
def test_resnet_v1_stage_outputs_follow_table_1(name, depths):
    blocks = block_outputs(name)
    for (stage, shape), depth in zip(RESNET_V1_STAGES.items(), depths):
        assert blocks[f"{stage}_{depth}"] == shape
    assert blocks["avg_pool"] == [2048]


def test_resnet50v2_strides_sit_on_the_last_block_of_stacks_2_to_4():
    """keras resnet.stack_residual_blocks_v2: blocks 1..n-1 keep the size, block n has stride1
    (2 for conv2..conv4, 1 for conv5), so the stacks end at 28, 14, 7, 7 (not table 1's 56, 28, 14, 7)."""
    summary = summary_json("resnet50v2")
    for stage, depth, shapes in [("conv2", 3, (56, 28)), ("conv3", 4, (28, 14)), ("conv4", 6, (14, 7)),
                                 ("conv5", 3, (7, 7))]:
        adds = [layer for layer in summary["layers"] if layer["class"] == "Add" and layer["name"].startswith(f"{stage}_")]
        assert [a["output_shape"][0] for a in adds] == [shapes[0]] * (depth - 1) + [shapes[1]]
    assert output_of(summary, "post_relu") == [7, 7, 2048]


def test_densenet121_channels_follow_growth_rate_and_compression():
    """Huang et al. 2017: 2k channels after the stem, + k per dense layer, x 0.5 per transition."""
    k, layers, channels = 32, [6, 12, 24, 16], 2 * 32
    sizes = [56, 28, 14, 7]  # table 1, "Output Size" of dense blocks (1)..(4)
    blocks = block_outputs("densenet121")
    for i, (n, size) in enumerate(zip(layers, sizes)):
        channels += n * k
        assert blocks[f"conv{i + 2}"] == [size, size, channels]
        if i < 3:
            channels //= 2
            assert blocks[f"pool{i + 2}"] == [size // 2, size // 2, channels]


def test_inception_v3_grid_sizes_follow_table_1():
    """Table 1's rows start at 35x35x288, 17x17x768, 8x8x1280 and the pool at 8x8x2048: the outputs of
    Keras' mixed2, mixed3, mixed8 and mixed10 (the spec's repeat copies mixed1_2 and mixed9_2)."""
    blocks = block_outputs("inception_v3")
    assert blocks["mixed1_2"] == [35, 35, 288]
    assert blocks["mixed3"] == [17, 17, 768]
    assert blocks["mixed8"] == [8, 8, 1280]
    assert blocks["mixed9_2"] == [8, 8, 2048]
    # eleven mixed blocks, mixed0 .. mixed10, as in inception_v3.py
    assert sum(1 for name in blocks if name.startswith("mixed")) == 11


# Output of each stage (the last copy of a repeated entry), from the papers' tables: the "Input" / resolution
# column of the next row, with the row's channels.
STAGE_OUTPUTS = [
    # Howard et al. 2017, table 1 (its last "Conv dw / s2" row keeps 7x7: see specs/mobilenet.yaml)
    ("mobilenet", {"conv1_relu": [112, 112, 32], "dwsep_1": [112, 112, 64], "dwsep_2": [56, 56, 128],
                   "dwsep_3": [56, 56, 128], "dwsep_4": [28, 28, 256], "dwsep_5": [28, 28, 256],
                   "dwsep_6": [14, 14, 512], "dwsep_7_5": [14, 14, 512], "dwsep_12": [7, 7, 1024],
                   "dwsep_13": [7, 7, 1024], "global_pool": [1, 1, 1024]}),
    # Sandler et al. 2018, table 2: "Input" of each row after the first, channels c
    ("mobilenet_v2", {"Conv1_relu": [112, 112, 32], "block_1": [112, 112, 16], "block_2_2": [56, 56, 24],
                      "block_3_3": [28, 28, 32], "block_4_4": [14, 14, 64], "block_5_3": [14, 14, 96],
                      "block_6_3": [7, 7, 160], "block_7": [7, 7, 320], "out_relu": [7, 7, 1280]}),
    # Chollet 2017, figure 5 prints 19x19x728 after the entry and the middle flow and 2048 channels
    # pooled; the other sizes (149, 147, 74, 37, 10) are keras.applications.Xception().summary()'s on 299
    ("xception", {"block1_conv1": [149, 149, 32], "block1_conv2": [147, 147, 64], "block2": [74, 74, 128],
                  "block3": [37, 37, 256], "block4": [19, 19, 728], "block5_8": [19, 19, 728],
                  "block13": [10, 10, 1024], "block14_sepconv1": [10, 10, 1536],
                  "block14_sepconv2": [10, 10, 2048], "avg_pool": [2048]}),
    # Tan & Le 2019, table 1: stage i's output is stage i+1's "Resolution" with stage i's "#Channels"
    ("efficientnet_b0", {"stem_conv": [112, 112, 32], "block1": [112, 112, 16], "block2_2": [56, 56, 24],
                         "block3_2": [28, 28, 40], "block4_3": [14, 14, 80], "block5_3": [14, 14, 112],
                         "block6_4": [7, 7, 192], "block7": [7, 7, 320], "top_conv": [7, 7, 1280]}),
    # keras efficientnet_v2.py, DEFAULT_BLOCKS_ARGS["efficientnetv2-b0"] (output_filters; strides 1, 2, 2, 2,
    # 1, 2 after the 2-strided stem); Tan & Le 2021 tabulate only V2-S/M/L
    ("efficientnet_v2_b0", {"stem_conv": [112, 112, 32], "block1a": [112, 112, 16], "block2b": [56, 56, 32],
                            "block3b": [28, 28, 48], "block4b_2": [14, 14, 96], "block5_5": [14, 14, 112],
                            "block6b_7": [7, 7, 192], "top_conv": [7, 7, 1280]}),
    # Howard et al. 2019, table 2 (MobileNetV3-Small): "Input" of the next row, "#out" of the row
    ("mobilenet_v3_small", {"conv": [112, 112, 16], "expanded_conv": [56, 56, 16], "expanded_conv_1": [28, 28, 24],
                            "expanded_conv_2": [28, 28, 24], "expanded_conv_3": [14, 14, 40],
                            "expanded_conv_4_2": [14, 14, 40], "expanded_conv_6": [14, 14, 48],
                            "expanded_conv_7": [14, 14, 48], "expanded_conv_8": [7, 7, 96],
                            "expanded_conv_9_2": [7, 7, 96], "conv_1": [7, 7, 576], "global_pool": [1, 1, 576],
                            "conv_2_hard_swish": [1, 1, 1024]}),
]


@pytest.mark.parametrize("name,outputs", STAGE_OUTPUTS, ids=[row[0] for row in STAGE_OUTPUTS])
def test_mobile_stage_outputs_follow_the_papers_table(name, outputs):
    blocks = block_outputs(name)
    assert {block: blocks[block] for block in outputs} == outputs


# Multiply-accumulates of one 224x224 (Xception: no figure) image as the papers print them, to their last digit:
# Howard et al. 2017, table 8 ("569" million mult-adds); Sandler et al. 2018, table 4 ("300M");
# Tan & Le 2019, table 2 ("0.39B" FLOPs, which the paper counts as multiply-adds); Howard et al. 2019,
# table 3 (MobileNetV3-Small 1.0: "56" million MAdds).
PAPER_MACS = [("mobilenet", 569, 10**6), ("mobilenet_v2", 300, 10**6), ("efficientnet_b0", 39, 10**7),
              ("mobilenet_v3_small", 56, 10**6)]


@pytest.mark.parametrize("name,figure,unit", PAPER_MACS, ids=[row[0] for row in PAPER_MACS])
def test_macs_agree_with_the_papers_figure(name, figure, unit):
    """Within one unit of the printed figure's last digit (the papers round, and do not say how)."""
    assert abs(summary_json(name)["macs"] - figure * unit) <= unit


def test_efficientnet_v2_b0_blocks_per_stage_follow_keras_block_args():
    """efficientnet_v2.py, DEFAULT_BLOCKS_ARGS["efficientnetv2-b0"], num_repeat: 1, 2, 2, 3, 5, 8 blocks
    (stage i's entries, and repeat copies, are named block{i}...)."""
    names = [b["name"] for b in summary_json("efficientnet_v2_b0")["blocks"]]
    assert [sum(1 for n in names if n.startswith(f"block{i}")) for i in range(1, 7)] == [1, 2, 2, 3, 5, 8]


def test_xception_has_36_convolutional_layers_and_4_projections():
    """Chollet 2017, section 3: "36 convolutional layers" form the feature extractor (2 convs, then 34
    separable ones); figure 5 adds a strided 1x1 conv on each of the 4 residual connections that change
    the size."""
    summary = summary_json("xception")
    assert count_layers(summary, "SeparableConv2D") == 34
    assert count_layers(summary, "Conv2D") == 2 + 4
    assert count_layers(summary, "DepthwiseConv2D") == 0


# --------------------------------------------------------------------------- built models

# Layer settings that define the computation; initializers, names and dtypes do not.
# (BatchNormalization's / Concatenate's axis: Keras Applications says 3, modelspec -1;
# the per-channel weight shapes pin it instead.)
CONFIG_KEYS = (
    "filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "activation", "use_bias",
    "units", "epsilon", "momentum", "center", "scale", "pool_size", "rate", "data_format", "cropping",
    "depth_multiplier", "max_value", "negative_slope", "threshold", "offset", "keepdims", "target_shape",
    "noise_shape", "mean", "variance", "invert",
)
# The initializers, where Keras Applications sets them (EfficientNet's VarianceScaling) and where it keeps
# Keras' defaults (glorot_uniform kernels, zero biases): the same classes and arguments.
INITIALIZER_KEYS = ("kernel_initializer", "depthwise_initializer", "pointwise_initializer", "bias_initializer")


def initializer(config):
    """An initializer's config, with ``Constant(0.0)`` read as ``Zeros``: the same weights.
    (EfficientNetV2's classifier has ``bias_initializer=initializers.Constant(0.0)``; a spec has no
    bias_initializer and keeps Keras' default, "zeros".)"""
    if isinstance(config, dict) and config.get("class_name") == "Constant" and config["config"] == {"value": 0.0}:
        return {**config, "class_name": "Zeros", "config": {}}
    return config


class Pair(NamedTuple):
    name: str
    reference: object   # keras.applications.X(weights=None, input_shape=small)
    candidate: object   # modelspec.build of the spec with the same small input
    cache: dict         # weights copied once, and the reference outputs


def small_spec(name: str):
    app = KERAS_APPLICATIONS[name]
    text = spec_path(name).read_text(encoding="utf-8")
    default = f"shape: {app.input_shape}"
    assert text.count(default) == 1
    return modelspec.loads(text.replace(default, f"shape: {[app.small, app.small, 3]}"), f"{name}_small")


@pytest.fixture(scope="module", params=NAMES)
def pair(request):
    """Both models of one application, built once; the session is cleared after its tests."""
    import keras

    name = request.param
    app = KERAS_APPLICATIONS[name]
    keras.backend.clear_session()
    reference = getattr(keras.applications, app.constructor)(weights=None, input_shape=(app.small, app.small, 3))
    candidate = modelspec.build(small_spec(name))
    yield Pair(name, reference, candidate, {})
    del reference, candidate
    keras.backend.clear_session()
    gc.collect()


def trainable_count(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.slow
def test_built_params_equal_keras_applications(pair):
    app = KERAS_APPLICATIONS[pair.name]
    # the literal figures are what this Keras builds (on the small input too) ...
    assert (pair.reference.count_params(), trainable_count(pair.reference)) == (app.total, app.trainable)
    # ... and what the compiled spec has
    assert (pair.candidate.count_params(), trainable_count(pair.candidate)) == (app.total, app.trainable)


def stochastic_depth(layer) -> bool:
    """EfficientNet's per-block Dropout (``efficientnet.block``: noise_shape (None, 1, 1, 1))."""
    return type(layer).__name__ == "Dropout" and layer.get_config().get("noise_shape") is not None


def stage_of(layer) -> str:
    """``block4`` for Keras' ``block4b_drop`` and the spec's ``block4_2_drop``."""
    return layer.name[:len("block") + 1]


# Operations in Keras' graph that are not layers, and the spec layer that stands for each (same class and
# settings; the arithmetic is the same in float32): MobileNetV3's hard sigmoid, ``ReLU(6.0)(x + 3.0) * (1.0 / 6.0)``
# (keras/src/applications/mobilenet_v3.py), whose ``+`` and ``*`` are keras.ops (see specs/mobilenet_v3_small.yaml).
RAW_OPS = {
    "mobilenet_v3_small": {"Add": ("Rescaling", {"scale": 1.0, "offset": 3.0}),
                           "Multiply": ("Rescaling", {"scale": 1.0 / 6.0, "offset": 0.0})},
}


def layer_pairs(pair) -> list[tuple]:
    """Keras' layers and the candidate's, one to one, in ``model.layers`` order.

    The reference is walked in ``model.operations`` order, which holds its layers and any raw op; the
    candidate has a layer at each raw op's position (``RAW_OPS``), which must be that op's stand-in and
    is left out of the pairs. Without raw ops this is ``zip(reference.layers, candidate.layers)``."""
    import keras

    stand_ins = RAW_OPS.get(pair.name, {})
    ref, cand = pair.reference.operations, pair.candidate.layers
    assert len(cand) == len(ref), (len(cand), len(ref))
    pairs = []
    for r, c in zip(ref, cand):
        if isinstance(r, keras.layers.Layer):
            pairs.append((r, c))
            continue
        cls, settings = stand_ins[type(r).__name__]
        assert type(c).__name__ == cls, f"{c.name} stands for Keras' {type(r).__name__} op {r.name}"
        assert {key: c.get_config()[key] for key in settings} == settings, c.name
    assert len(pairs) == len(pair.reference.layers)
    return pairs


@pytest.mark.slow
def test_layers_line_up_with_keras_applications(pair):
    """``model.layers`` one to one: same classes, settings, initializers and weight shapes, in the same order.

    Two documented differences: MobileNetV3's raw ops have stand-in layers (``layer_pairs``); and
    Keras ramps EfficientNet's stochastic-depth rate block by block (``drop_connect_rate * b / blocks``),
    a spec's ``drop_rate`` is one figure per stage; the spec's must be the mean of Keras' rates over that
    stage's Dropout layers (the same expected number of skipped blocks). Dropout acts in training only,
    so this changes no parameter and no inference output.
    """
    pairs = layer_pairs(pair)
    assert [type(c).__name__ for _, c in pairs] == [type(r).__name__ for r, _ in pairs]
    keras_rates: dict[str, list[float]] = {}
    for r, c in pairs:
        r_config, c_config = r.get_config(), c.get_config()
        for key in CONFIG_KEYS:
            if key == "rate" and stochastic_depth(r):
                continue
            assert c_config.get(key) == r_config.get(key), f"{c.name} {key} vs {r.name}"
        for key in INITIALIZER_KEYS:
            assert initializer(c_config.get(key)) == initializer(r_config.get(key)), f"{c.name} {key} vs {r.name}"
        assert [tuple(w.shape) for w in c.weights] == [tuple(w.shape) for w in r.weights], f"{c.name} vs {r.name}"
        if stochastic_depth(r):
            assert stochastic_depth(c) and stage_of(c) == stage_of(r), f"{c.name} vs {r.name}"
            keras_rates.setdefault(stage_of(r), []).append(r.rate)
    for c in filter(stochastic_depth, pair.candidate.layers):
        rates = keras_rates[stage_of(c)]
        assert c.rate == pytest.approx(sum(rates) / len(rates), rel=1e-12), c.name
    if pair.name == "efficientnet_b0":  # efficientnet.py: drop_connect_rate 0.2 over 16 blocks, stages 3-7
        assert sorted(keras_rates) == ["block2", "block3", "block4", "block5", "block6"]
        assert max(max(rates) for rates in keras_rates.values()) == pytest.approx(0.2 * 14 / 16)
    if pair.name == "efficientnet_v2_b0":  # efficientnet_v2.py: 0.2 over 21 blocks, stages 2-6
        assert sorted(keras_rates) == ["block2", "block3", "block4", "block5", "block6"]
        assert max(max(rates) for rates in keras_rates.values()) == pytest.approx(0.2 * 20 / 21)


def set_weights(layer, values: list) -> None:
    """``layer.set_weights``, then what ``load_weights`` does after it: an adaptable Normalization reads its
    mean and variance weights into its constants only in ``finalize_state`` (keras/src/layers/
    preprocessing/normalization.py, ``load_own_variables``); without it both models would keep 0 and 1."""
    layer.set_weights(values)
    if type(layer).__name__ == "Normalization":
        layer.finalize_state()


def randomize(model, seed: int, gain: tuple = (0.5, 1.0)) -> None:
    """Give every weight a random value (Keras starts biases and batch norm at 0/1).

    Kernels: He-uniform (a depthwise kernel's fan-in is its window, kh x kw);
    biases, betas, moving means: N(0, 0.1); moving variances small (1e-3 .. 1e-2,
    so that a wrong epsilon would change the output), gammas rescaled by
    sqrt(variance + epsilon) so that activations stay of order 1: times
    U(*gain), U(0.5, 1) by default. Networks with identity shortcuts grow at
    gains of 1; MobileNet's plain stack of 27 batch norms and the SE-gated
    blocks of EfficientNet and MobileNetV3 forget their input at 0.75 a batch
    norm: the two samples' features then differ by 3e-4 (MobileNet,
    MobileNetV3Small), 5e-6 (EfficientNetB0) and 1.5e-3 (EfficientNetV2B0) of
    their size. With U(0.8, 1.2) (MobileNet, MobileNetV3Small, EfficientNetV2B0)
    and U(0.9, 1.3) (EfficientNetB0) they differ by 0.13, 0.11, 0.69 and 0.47 of
    it. Without a
    gamma (Inception v3's scale=False) the variances are of order 1. An
    adaptable Normalization (EfficientNet's stem, after Rescaling(1/255)) gets
    statistics like ImageNet's (mean U(0.4, 0.6), variance U(0.04, 0.08), the
    standard deviations 0.2 to 0.28) and a count.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if not layer.weights:
            continue
        values = {}
        names = [w.name for w in layer.weights]
        depthwise = type(layer).__name__ == "DepthwiseConv2D"
        for w in layer.weights:
            shape = tuple(w.shape)
            if w.name in ("kernel", "depthwise_kernel", "pointwise_kernel"):
                # He-uniform: U(-limit, limit), limit = sqrt(6 / fan_in)
                fan_in = np.prod(shape[:2]) if depthwise or w.name == "depthwise_kernel" else np.prod(shape[:-1])
                limit = np.sqrt(6 / fan_in)
                values[w.name] = rng.uniform(-limit, limit, shape)
            elif w.name in ("bias", "beta", "moving_mean"):
                values[w.name] = rng.normal(0, 0.1, shape)
            elif w.name == "moving_variance":
                low, high = (1e-3, 1e-2) if "gamma" in names else (0.5, 2.0)
                values[w.name] = rng.uniform(low, high, shape)
            elif w.name == "mean":
                values[w.name] = rng.uniform(0.4, 0.6, shape)
            elif w.name == "variance":
                values[w.name] = rng.uniform(0.04, 0.08, shape)
            elif w.name == "count":
                values[w.name] = 1000
        if "gamma" in names:
            var = values["moving_variance"]
            values["gamma"] = np.sqrt(var + layer.epsilon) * rng.uniform(*gain, var.shape)
        set_weights(layer, [np.asarray(values[n], dtype=w.dtype) for n, w in zip(names, layer.weights)])


def features_and_predictions(keras, model, x) -> list[np.ndarray]:
    """The pooled features (the layer before the classifier) and the softmax, in inference mode."""
    probe = keras.Model(model.input, [model.layers[-2].output, model.layers[-1].output])
    return [np.asarray(y) for y in probe(x, training=False)]


def assert_same(actual: list[np.ndarray], expected: list[np.ndarray]) -> None:
    for b, a in zip(actual, expected):
        scale = float(np.abs(a).max()) or 1.0
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6 * scale)


def copied(pair) -> dict:
    """Random weights in the reference, copied by position into the candidate; the reference's outputs."""
    import keras

    if not pair.cache:
        randomize(pair.reference, seed=1, gain=KERAS_APPLICATIONS[pair.name].gain)
        for ref, cand in layer_pairs(pair):
            if ref.weights:
                set_weights(cand, ref.get_weights())
        size = KERAS_APPLICATIONS[pair.name].small
        rng = np.random.default_rng(0)
        if any(type(layer).__name__ == "Rescaling" for layer in pair.reference.layers[:2]):
            # preprocessing inside the model (EfficientNet, MobileNetV3): it takes pixels, 0 to 255
            x = rng.uniform(0, 255, (2, size, size, 3)).astype(np.float32)
        else:
            x = rng.standard_normal((2, size, size, 3), dtype=np.float32)
        pair.cache.update(keras=keras, x=x, expected=features_and_predictions(keras, pair.reference, x))
    return pair.cache


@pytest.mark.slow
def test_same_outputs_with_keras_weights(pair):
    """Keras' (random) weights copied layer by layer: the same features and predictions on the same batch."""
    data = copied(pair)
    features, predictions = data["expected"]
    # not a vacuous agreement: finite, non-zero features that depend on the input (the two samples
    # differ a thousand times more than the tolerance allows)
    assert np.isfinite(features).all() and np.isfinite(predictions).all()
    scale = float(np.abs(features).max())
    assert 0.1 < scale < 1e4
    assert float(np.abs(features[0] - features[1]).max()) > 1e-3 * scale
    assert_same(features_and_predictions(data["keras"], pair.candidate, data["x"]), data["expected"])
    # EfficientNet's stem: the copied (random) statistics are what the Normalization applies
    for layer in (layer for layer in pair.candidate.layers if type(layer).__name__ == "Normalization" and layer.weights):
        mean, variance, _count = layer.get_weights()
        z = np.random.default_rng(2).uniform(0, 1, (1, 4, 4, mean.shape[-1])).astype(np.float32)
        np.testing.assert_allclose(np.asarray(layer(z)), (z - mean) / np.sqrt(variance), rtol=1e-4, atol=1e-4)


@pytest.mark.slow
def test_comparison_catches_one_perturbed_weight(pair):
    """Negative control: one kernel of the candidate, in the middle of the network, scaled by 1.01
    makes the same comparison fail; restored, it passes again."""
    data = copied(pair)
    convs = [layer for layer in pair.candidate.layers if type(layer).__name__ == "Conv2D"]
    layer = convs[len(convs) // 2]
    weights = layer.get_weights()
    layer.set_weights([weights[0] * np.float32(1.01)] + weights[1:])
    try:
        perturbed = features_and_predictions(data["keras"], pair.candidate, data["x"])
    finally:
        layer.set_weights(weights)
    with pytest.raises(AssertionError):
        assert_same(perturbed, data["expected"])
    assert_same(features_and_predictions(data["keras"], pair.candidate, data["x"]), data["expected"])
