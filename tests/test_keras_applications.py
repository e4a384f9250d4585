"""Five more bundled specs are Keras Applications' models, weight for weight.

``specs/resnet101.yaml``, ``resnet152.yaml``, ``resnet50v2.yaml``,
``densenet121.yaml`` and ``inception_v3.yaml`` are written like their papers'
tables (``repeat``, family blocks, ``parallel``); this file proves that they
compile to the very models of ``keras.applications``. Every expected figure
comes from a named outside source, never from modelspec:

* Keras Applications, Keras 3 (``keras.applications.X(weights=None)``, sources in
  ``keras/src/applications/resnet.py``, ``resnet_v2.py``, ``densenet.py``,
  ``inception_v3.py``): "Total params" / "Trainable params" of ``summary()``
  (keras.io/api/applications/ rounds them: 44.7M, 60.4M, 25.6M, 8.1M, 23.9M),
  the default input sizes (224, 299) and the position of the v2 strides. The
  slow tests re-check every one of these figures against the installed Keras.
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

Fast tests read ``modelspec summary --json`` (in-process, no TensorFlow). The
slow tests build each model and Keras' on a smaller input (64x64x3 for the
ResNets and DenseNet, 75x75x3, Keras' minimum, for Inception v3): the spec's
input shape is rewritten in its text and loaded with ``modelspec.loads``. That
leaves every parameter count unchanged (a global average pool feeds the
classifier; no weight depends on the map size), and the counts are asserted
on those builds. Each pair of models is built once (a module-scoped fixture)
and Keras' session is cleared before the next pair.
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


# keras.applications.X(weights=None).summary(), Keras 3.15.
KERAS_APPLICATIONS = {
    "resnet101": KerasApp("ResNet101", 44_707_176, 44_601_832, [224, 224, 3], 64),
    "resnet152": KerasApp("ResNet152", 60_419_944, 60_268_520, [224, 224, 3], 64),
    "resnet50v2": KerasApp("ResNet50V2", 25_613_800, 25_568_360, [224, 224, 3], 64),
    "densenet121": KerasApp("DenseNet121", 8_062_504, 7_978_856, [224, 224, 3], 64),
    "inception_v3": KerasApp("InceptionV3", 23_851_784, 23_817_352, [299, 299, 3], 75),
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


# --------------------------------------------------------------------------- built models

# Layer settings that define the computation; initializers, names and dtypes do not.
# (BatchNormalization's / Concatenate's axis: Keras Applications says 3, modelspec -1;
# the per-channel weight shapes pin it instead.)
CONFIG_KEYS = (
    "filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "activation", "use_bias",
    "units", "epsilon", "momentum", "center", "scale", "pool_size", "rate", "data_format", "cropping",
)


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


@pytest.mark.slow
def test_layers_line_up_with_keras_applications(pair):
    """``model.layers`` one to one: same classes, settings and weight shapes, in the same order."""
    ref, cand = pair.reference.layers, pair.candidate.layers
    assert [type(layer).__name__ for layer in cand] == [type(layer).__name__ for layer in ref]
    for r, c in zip(ref, cand):
        r_config, c_config = r.get_config(), c.get_config()
        for key in CONFIG_KEYS:
            assert c_config.get(key) == r_config.get(key), f"{c.name} {key} vs {r.name}"
        assert [tuple(w.shape) for w in c.weights] == [tuple(w.shape) for w in r.weights], f"{c.name} vs {r.name}"


def randomize(model, seed: int) -> None:
    """Give every weight a random value (Keras starts biases and batch norm at 0/1).

    Kernels: He-uniform; biases, betas, moving means: N(0, 0.1); moving variances
    small (1e-3 .. 1e-2, so that a wrong epsilon would change the output), gammas
    rescaled by sqrt(variance + epsilon) so that activations stay of order 1.
    Without a gamma (Inception v3's scale=False) the variances are of order 1.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if not layer.weights:
            continue
        values = {}
        names = [w.name for w in layer.weights]
        for w in layer.weights:
            shape = tuple(w.shape)
            if w.name in ("kernel", "depthwise_kernel"):  # He-uniform: U(-limit, limit), limit = sqrt(6 / fan_in)
                limit = np.sqrt(6 / np.prod(shape[:-1]))
                values[w.name] = rng.uniform(-limit, limit, shape)
            elif w.name in ("bias", "beta", "moving_mean"):
                values[w.name] = rng.normal(0, 0.1, shape)
            elif w.name == "moving_variance":
                low, high = (1e-3, 1e-2) if "gamma" in names else (0.5, 2.0)
                values[w.name] = rng.uniform(low, high, shape)
        if "gamma" in names:
            var = values["moving_variance"]
            values["gamma"] = np.sqrt(var + layer.epsilon) * rng.uniform(0.5, 1.0, var.shape)
        layer.set_weights([np.asarray(values[n], dtype=np.float32) for n in names])


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
        randomize(pair.reference, seed=1)
        for ref, cand in zip(pair.reference.layers, pair.candidate.layers):
            if ref.weights:
                cand.set_weights(ref.get_weights())
        size = KERAS_APPLICATIONS[pair.name].small
        x = np.random.default_rng(0).standard_normal((2, size, size, 3), dtype=np.float32)
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
