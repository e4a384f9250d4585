"""The bundled landmark CNNs (issue 3) are the real architectures, not look-alikes.

Every expected figure below is data copied from a named outside source, never
computed by the code under test:

* Keras Applications (``keras.applications.VGG16 / VGG19 / ResNet50`` with
  ``weights=None``): exact parameter counts, as printed by their ``summary()``
  ("Total params" / "Trainable params"); https://keras.io/api/applications/
  lists them rounded (138.4M, 143.7M, 25.6M). The slow tests re-check them
  against the installed Keras and compare the models layer by layer.
* He et al., "Deep Residual Learning for Image Recognition" (CVPR 2016),
  table 1 and section 4.1: ResNet-50 has 3.8 billion FLOPs (multiply-adds), and
  "VGG-16/19 nets (15.3/19.6 billion FLOPs)".
* Simonyan & Zisserman, "Very Deep Convolutional Networks for Large-Scale Image
  Recognition" (ICLR 2015), table 1, configurations D (VGG16) and E (VGG19).
* Szegedy et al., "Going deeper with convolutions" (CVPR 2015), table 1
  (GoogLeNet) and section 5 ("22 layers deep when counting only layers with
  parameters").

The static checks use the contract's own output, ``modelspec summary --json``
(no TensorFlow). Tests that build Keras models are marked ``slow``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import io
import json
import math
from pathlib import Path
from typing import NamedTuple, Optional

import numpy as np
import pytest

import modelspec
from modelspec import cli

SPECS = Path(__file__).resolve().parent.parent / "specs"


@functools.lru_cache(maxsize=None)
def summary_json(name: str) -> dict:
    """``modelspec summary --json specs/NAME.yaml``, run in-process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = cli.main(["summary", "--json", str(SPECS / f"{name}.yaml")])
    assert status == 0
    return json.loads(out.getvalue())


def spec_path(name: str) -> str:
    return str(SPECS / f"{name}.yaml")


# --------------------------------------------------------------------------- Keras Applications

class KerasApp(NamedTuple):
    constructor: str  # keras.applications.<constructor>(weights=None)
    total: int        # "Total params"
    trainable: int    # "Trainable params" (batch-norm moving statistics are not)


# keras.applications.X(weights=None).summary(), Keras 3; rounded on keras.io/api/applications/.
KERAS_APPLICATIONS = {
    "vgg16": KerasApp("VGG16", 138_357_544, 138_357_544),
    "vgg19": KerasApp("VGG19", 143_667_240, 143_667_240),
    "resnet50": KerasApp("ResNet50", 25_636_712, 25_583_592),
}

# He et al. 2016: table 1 ("FLOPs" row, 50-layer: 3.8x10^9) and section 4.1
# ("VGG-16/19 nets (15.3/19.6 billion FLOPs)"); the paper's FLOPs are multiply-adds.
HE_ET_AL_MULTIPLY_ADDS = {"vgg16": 15.3e9, "vgg19": 19.6e9, "resnet50": 3.8e9}

# Simonyan & Zisserman 2015, table 1: (filters, 3x3 convs) per block, each block
# ending in a 2x2/2 max pool, then FC-4096, FC-4096, FC-1000 (section 2.1).
VGG_CONFIGURATIONS = {
    "vgg16": [(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)],  # configuration D
    "vgg19": [(64, 2), (128, 2), (256, 4), (512, 4), (512, 4)],  # configuration E
}
VGG_FC = [4096, 4096, 1000]


@pytest.mark.parametrize("name", sorted(KERAS_APPLICATIONS))
def test_static_params_equal_keras_applications(name):
    app = KERAS_APPLICATIONS[name]
    summary = summary_json(name)
    assert summary["input_shape"] == [224, 224, 3]
    assert summary["output_shape"] == [1000]
    assert summary["params"] == {
        "total": app.total, "trainable": app.trainable, "non_trainable": app.total - app.trainable,
    }


@pytest.mark.parametrize("name", sorted(KERAS_APPLICATIONS))
def test_static_params_from_the_library_api(name):
    spec, graph = modelspec.check(spec_path(name))
    assert graph.summary(spec.name)["params"]["total"] == KERAS_APPLICATIONS[name].total


@pytest.mark.parametrize("name", sorted(HE_ET_AL_MULTIPLY_ADDS))
def test_static_macs_agree_with_he_et_al(name):
    # The paper rounds to two or three significant figures; 2% covers that.
    assert summary_json(name)["macs"] == pytest.approx(HE_ET_AL_MULTIPLY_ADDS[name], rel=0.02)


@pytest.mark.parametrize("name", sorted(VGG_CONFIGURATIONS))
def test_vgg_layers_follow_the_papers_configuration(name):
    """Layer by layer: names as Keras', shapes, params and MACs from table 1's configuration."""
    expected = []  # (name, class, output shape, params, macs)
    size, channels = 224, 3
    for b, (filters, convs) in enumerate(VGG_CONFIGURATIONS[name], start=1):
        for c in range(1, convs + 1):
            expected.append((f"block{b}_conv{c}", "Conv2D", [size, size, filters],
                             9 * channels * filters + filters, size * size * 9 * channels * filters))
            channels = filters
        size //= 2
        expected.append((f"block{b}_pool", "MaxPooling2D", [size, size, channels], 0, 0))
    features = size * size * channels
    expected.append(("flatten", "Flatten", [features], 0, 0))
    for fc, units in zip(("fc1", "fc2", "predictions"), VGG_FC):
        expected.append((fc, "Dense", [units], features * units + units, features * units))
        features = units
    rows = [(r["name"], r["class"], r["output_shape"], r["params"], r["macs"]) for r in summary_json(name)["layers"]]
    assert rows == expected


# --------------------------------------------------------------------------- GoogLeNet, table 1

class Row(NamedTuple):
    """One row of table 1 of Szegedy et al. 2015 and the spec blocks that implement it."""

    type: str
    blocks: tuple[str, ...]
    output: tuple[int, int, int]                  # "output size"
    filters: Optional[tuple[int, ...]] = None     # #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj
    params_k: Optional[float] = None              # "params" (K = 1024 weights; biases not counted)
    ops_m: Optional[float] = None                 # "ops" (M = 10^6 multiply-adds)
    checked: str = "params ops"                   # which of the two figures agree with the row itself


# Szegedy et al., "Going deeper with convolutions" (CVPR 2015), table 1 ("GoogLeNet
# incarnation of the Inception architecture"), top to bottom; depth column left out.
TABLE_1 = [
    # The 7x7/2 row's 2.7K / 34M disagree with its own patch size and depth
    # (7*7*3*64 = 9,408 weights = 9.2K, times 112*112 = 118M); checked against the shape only.
    Row("convolution 7x7/2", ("conv1_7x7_s2",), (112, 112, 64), params_k=2.7, ops_m=34, checked=""),
    Row("max pool 3x3/2", ("pool1_3x3_s2",), (56, 56, 64)),
    Row("convolution 3x3/1", ("conv2_3x3_reduce", "conv2_3x3"), (56, 56, 192),
        (0, 64, 192, 0, 0, 0), 112, 360),
    Row("max pool 3x3/2", ("pool2_3x3_s2",), (28, 28, 192)),
    Row("inception (3a)", ("inception_3a",), (28, 28, 256), (64, 96, 128, 16, 32, 32), 159, 128),
    Row("inception (3b)", ("inception_3b",), (28, 28, 480), (128, 128, 192, 32, 96, 64), 380, 304),
    Row("max pool 3x3/2", ("pool3_3x3_s2",), (14, 14, 480)),
    Row("inception (4a)", ("inception_4a",), (14, 14, 512), (192, 96, 208, 16, 48, 64), 364, 73),
    Row("inception (4b)", ("inception_4b",), (14, 14, 512), (160, 112, 224, 24, 64, 64), 437, 88),
    # 4c: the filter counts give 509,440 weights = 497.5K, not the table's 463K (its 100M ops agree).
    Row("inception (4c)", ("inception_4c",), (14, 14, 512), (128, 128, 256, 24, 64, 64), 463, 100,
        checked="ops"),
    Row("inception (4d)", ("inception_4d",), (14, 14, 528), (112, 144, 288, 32, 64, 64), 580, 119),
    Row("inception (4e)", ("inception_4e",), (14, 14, 832), (256, 160, 320, 32, 128, 128), 840, 170),
    Row("max pool 3x3/2", ("pool4_3x3_s2",), (7, 7, 832)),
    # 5a: the filter counts (the same as 4e's) give 1,042,432 weights = 1018K and
    # 51M ops at 7x7, not the table's 1072K / 54M.
    Row("inception (5a)", ("inception_5a",), (7, 7, 832), (256, 160, 320, 32, 128, 128), 1072, 54, checked=""),
    Row("inception (5b)", ("inception_5b",), (7, 7, 1024), (384, 192, 384, 48, 128, 128), 1388, 71),
    Row("avg pool 7x7/1", ("pool5_7x7_s1",), (1, 1, 1024)),
    Row("dropout (40%)", ("pool5_drop_7x7_s1",), (1, 1, 1024)),
    # linear + softmax (one Dense, after a flatten): 1024*1000 weights = 1000K; the
    # table's "1M" ops is rounded to one figure (1.024M), too coarse for 2%.
    Row("linear", ("loss3_classifier",), (1, 1, 1000), params_k=1000, ops_m=1, checked="params"),
]
PAPER_INPUT = (224, 224, 3)
PAPER_DEPTH = 22  # section 5: "22 layers deep when counting only layers with parameters"
WEIGHTED = ("Conv2D", "Dense")


def row_layers(row: Row) -> list[dict]:
    return [layer for layer in summary_json("googlenet")["layers"] if layer["block"] in row.blocks]


def kernel_weights(layers: list[dict]) -> int:
    """Weights without biases: a Conv2D/Dense row's params less one bias per output channel."""
    return sum(layer["params"] - layer["output_shape"][-1] for layer in layers if layer["class"] in WEIGHTED)


def weights_from_filter_counts(row: Row, channels_in: int) -> int:
    """Kernel weights implied by a row's own columns (independent of the code under test)."""
    if row.type.startswith("convolution 7x7"):
        return 7 * 7 * channels_in * row.output[2]
    if row.type == "linear":
        return channels_in * row.output[2]
    c1, r3, c3, r5, c5, pp = row.filters
    if row.type.startswith("convolution 3x3"):  # 1x1 reduce, then 3x3
        return channels_in * r3 + 3 * 3 * r3 * c3
    return channels_in * (c1 + r3 + r5 + pp) + 3 * 3 * r3 * c3 + 5 * 5 * r5 * c5


def rows_with_inputs():
    channels = PAPER_INPUT[2]
    for row in TABLE_1:
        yield row, channels
        channels = row.output[2]


def test_googlenet_spec_blocks_are_table_1_rows_in_order():
    names = [block["name"] for block in summary_json("googlenet")["blocks"]]
    expected = [name for row in TABLE_1 for name in row.blocks]
    # the flatten between dropout and linear is not a row of the table
    assert names == expected[:-1] + ["flatten", expected[-1]]
    assert summary_json("googlenet")["input_shape"] == list(PAPER_INPUT)


@pytest.mark.parametrize("row", TABLE_1, ids=lambda r: r.type)
def test_googlenet_output_sizes_match_table_1(row):
    shape = row_layers(row)[-1]["output_shape"]
    if row.type == "linear":  # the spec flattens before its classifier: 1x1x1000 -> 1000
        assert shape == summary_json("googlenet")["output_shape"] == [math.prod(row.output)]
    else:
        assert shape == list(row.output)


@pytest.mark.parametrize("row", [r for r in TABLE_1 if r.filters and r.type.startswith("inception")],
                         ids=lambda r: r.type)
def test_googlenet_inception_filter_counts_match_table_1(row):
    """Each inception module's branch convolutions have the table's filter counts."""
    (block,) = row.blocks
    filters = {layer["name"][len(block) + 1:]: layer["output_shape"][-1]
               for layer in row_layers(row) if layer["class"] == "Conv2D"}
    c1, r3, c3, r5, c5, pp = row.filters
    assert filters == {"1x1": c1, "3x3_reduce": r3, "3x3": c3, "5x5_reduce": r5, "5x5": c5, "pool_proj": pp}


@pytest.mark.parametrize("row,channels_in", [(r, c) for r, c in rows_with_inputs() if r.params_k],
                         ids=lambda v: v.type if isinstance(v, Row) else str(v))
def test_googlenet_weights_and_macs_match_the_filter_counts(row, channels_in):
    """Every weighted row, including 4c and 5a: weights and MACs as its own columns imply."""
    layers = row_layers(row)
    weights = weights_from_filter_counts(row, channels_in)
    height, width, _ = row.output
    assert kernel_weights(layers) == weights
    assert sum(layer["macs"] for layer in layers) == weights * height * width


@pytest.mark.parametrize("row", [r for r in TABLE_1 if r.params_k], ids=lambda r: r.type)
def test_googlenet_params_and_ops_match_table_1(row):
    """Kernel weights / 1024 and MACs / 10^6 within 2% of the table's "params" and "ops".

    Where the table disagrees with its own filter counts (``checked`` leaves the
    figure out), assert that it really does, so that a misread table shows up.
    """
    layers = row_layers(row)
    params_k = kernel_weights(layers) / 1024
    ops_m = sum(layer["macs"] for layer in layers) / 1e6
    for figure, ours, table in (("params", params_k, row.params_k), ("ops", ops_m, row.ops_m)):
        if figure in row.checked.split():
            assert ours == pytest.approx(table, rel=0.02), f"{row.type} {figure}"
        elif row.type != "linear":
            assert ours != pytest.approx(table, rel=0.02), f"{row.type} {figure} now agrees; check it"


def test_googlenet_is_22_layers_deep():
    spec, graph = modelspec.check(spec_path("googlenet"))
    depth: dict[int, int] = {}
    for i, node in enumerate(graph.nodes):  # creation order is topological
        before = max((depth[j] for j in node.inputs if j in depth), default=0)
        depth[i] = before + (node.layer.keras_class in WEIGHTED)
    assert depth[graph.outputs[0][1].node] == PAPER_DEPTH


# --------------------------------------------------------------------------- built models

# Layer settings that define the computation; initializers, names and dtypes do not.
# (BatchNormalization's axis is pinned by the per-channel weight shapes instead:
# Keras Applications says 3, modelspec -1.)
CONFIG_KEYS = (
    "filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "activation", "use_bias",
    "units", "epsilon", "momentum", "center", "scale", "pool_size", "rate", "data_format",
)


@pytest.fixture
def keras():
    import keras

    yield keras
    keras.backend.clear_session()
    gc.collect()


def reference_model(keras, name: str):
    app = KERAS_APPLICATIONS[name]
    model = getattr(keras.applications, app.constructor)(weights=None)
    # the literal figures above are what this Keras builds
    assert model.count_params() == app.total
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == app.trainable
    return model


def pair_layers(reference, candidate, *, same_names: bool) -> list:
    """Pair ``model.layers`` one to one: same classes, settings and weight shapes, in the same order."""
    ref = reference.layers[1:]  # InputLayer left out
    cand = candidate.layers[1:]
    assert [type(layer).__name__ for layer in cand] == [type(layer).__name__ for layer in ref]
    if same_names:
        assert [layer.name for layer in cand] == [layer.name for layer in ref]
    for r, c in zip(ref, cand):
        r_config, c_config = r.get_config(), c.get_config()
        for key in CONFIG_KEYS:
            assert c_config.get(key) == r_config.get(key), f"{c.name} {key} vs {r.name}"
        assert [tuple(w.shape) for w in c.weights] == [tuple(w.shape) for w in r.weights], c.name
    return list(zip(ref, cand))


def randomize(model, seed: int) -> None:
    """Give every weight a random value (Keras starts biases and batch norm at 0/1).

    Kernels: He-uniform; biases, betas, moving means: N(0, 0.1); moving variances
    small, so that a wrong epsilon changes the output; gammas rescaled so that the
    activations stay of order 1 through the whole network.
    """
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if not layer.weights:
            continue
        values = {}
        for w in layer.weights:
            shape = tuple(w.shape)
            if w.name == "kernel":  # He-uniform: U(-limit, limit), limit = sqrt(6 / fan_in)
                kernel = values[w.name] = rng.random(shape, dtype=np.float32)
                kernel -= 0.5
                kernel *= np.float32(2 * np.sqrt(6 / np.prod(shape[:-1])))
            elif w.name in ("bias", "beta", "moving_mean"):
                values[w.name] = rng.normal(0, 0.1, shape)
            elif w.name == "moving_variance":
                values[w.name] = rng.uniform(1e-3, 1e-2, shape)
        if "moving_variance" in values:
            values["gamma"] = np.sqrt(values["moving_variance"] + layer.epsilon) * rng.uniform(0.5, 1.0, values["moving_variance"].shape)
        layer.set_weights([np.asarray(values[w.name], dtype=np.float32) for w in layer.weights])


def copy_weights(pairs) -> int:
    copied = 0
    for ref, cand in pairs:
        if ref.weights:
            cand.set_weights(ref.get_weights())
            copied += 1
    return copied


def all_outputs(keras, model, x) -> list[np.ndarray]:
    """Every layer's output on ``x``, in inference mode."""
    probe = keras.Model(model.input, [layer.output for layer in model.layers[1:]])
    return [np.asarray(y) for y in probe(x, training=False)]


def assert_same_outputs(pairs, ref_outputs, cand_outputs) -> None:
    for (ref, cand), a, b in zip(pairs, ref_outputs, cand_outputs):
        scale = float(np.abs(a).max()) or 1.0
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5 * scale, err_msg=f"{cand.name} vs {ref.name}")


def random_batch() -> np.ndarray:
    return np.random.default_rng(0).standard_normal((2, 224, 224, 3), dtype=np.float32)


@pytest.mark.slow
@pytest.mark.parametrize("name,same_names", [("vgg16", True), ("resnet50", False)])
def test_same_function_as_keras_applications(keras, name, same_names):
    """Keras' weights copied layer by layer into the compiled spec: every layer's output agrees.

    VGG16 with its dense top needs its 224x224 input (25,088 flattened features).
    """
    reference = reference_model(keras, name)
    model = modelspec.build(spec_path(name))
    assert model.count_params() == KERAS_APPLICATIONS[name].total
    pairs = pair_layers(reference, model, same_names=same_names)
    randomize(reference, seed=1)
    assert copy_weights(pairs) == sum(1 for layer in reference.layers if layer.weights)

    x = random_batch()
    expected, actual = all_outputs(keras, reference, x), all_outputs(keras, model, x)
    assert_same_outputs(pairs, expected, actual)
    # not a vacuous agreement: features of order 1, and a softmax far from uniform
    assert 0.1 < float(expected[-2].std()) < 100
    assert float(expected[-1].max(axis=1).min()) > 10 / 1000


@pytest.mark.slow
def test_resnet50_comparison_catches_a_wrong_epsilon(keras):
    """The same comparison fails when batch norm keeps Keras' default epsilon (1e-3)."""
    text = Path(spec_path("resnet50")).read_text(encoding="utf-8")
    assert text.count("epsilon: 1.001e-5") == 1
    wrong = modelspec.loads(text.replace("epsilon: 1.001e-5", "epsilon: 1.0e-3"), "resnet50_eps")
    reference = reference_model(keras, "resnet50")
    model = modelspec.build(wrong)
    with pytest.raises(AssertionError, match="epsilon"):  # the settings check sees it ...
        pair_layers(reference, model, same_names=False)
    randomize(reference, seed=1)  # ... and so do the outputs
    for ref, cand in zip(reference.layers, model.layers):
        if ref.weights:
            cand.set_weights(ref.get_weights())
    x = random_batch()
    features = [keras.Model(m.input, m.layers[-2].output)(x, training=False) for m in (reference, model)]
    assert not np.allclose(np.asarray(features[1]), np.asarray(features[0]), rtol=1e-3)


@pytest.mark.slow
def test_vgg19_has_keras_applications_layers(keras):
    reference = reference_model(keras, "vgg19")
    model = modelspec.build(spec_path("vgg19"))
    assert model.count_params() == KERAS_APPLICATIONS["vgg19"].total
    pair_layers(reference, model, same_names=True)


@pytest.mark.slow
def test_googlenet_builds_with_table_1_output_sizes(keras):
    model = modelspec.build(spec_path("googlenet"))
    assert model.count_params() == summary_json("googlenet")["params"]["total"]
    for row in TABLE_1:
        if row.type.startswith("inception"):
            (block,) = row.blocks
            assert tuple(model.get_layer(f"{block}_concat").output.shape[1:]) == row.output
    assert tuple(model.output.shape[1:]) == (math.prod(TABLE_1[-1].output),)


# --------------------------------------------------------------------------- ResNet-20 (CIFAR-10), JSON

# He et al. 2016, section 4.2 and table 6: the CIFAR-10 ResNets have 6n + 2 weighted layers
# (n = 3: 20), a first 3x3 conv of 16 filters, three stages on 32x32, 16x16 and 8x8 maps with
# 16, 32 and 64 filters, then global average pooling and a 10-way softmax; ResNet-20 has 0.27M params.
RESNET20_STAGES = [("stage1", [32, 32, 16]), ("stage2", [16, 16, 32]), ("stage3", [8, 8, 64])]


def test_resnet20_json_spec_follows_he_et_al_section_4_2():
    data = summary_json_path(SPECS / "resnet20_cifar.json")
    assert round(data["params"]["total"] / 1e6, 2) == 0.27  # table 6: 0.27M
    main_path = [r for r in data["layers"] if r["class"] in ("Conv2D", "Dense") and "shortcut" not in r["name"]]
    assert len(main_path) == 6 * 3 + 2
    last_copy = {b["name"]: b["output_shape"] for b in data["blocks"]}
    for stage, shape in RESNET20_STAGES:
        assert last_copy[f"{stage}_3"] == shape
    assert data["output_shape"] == [10]


@pytest.mark.slow
def test_resnet20_json_spec_builds_with_the_static_figures():
    import keras

    data = summary_json_path(SPECS / "resnet20_cifar.json")
    model = modelspec.build(SPECS / "resnet20_cifar.json")
    assert model.count_params() == data["params"]["total"]
    keras.backend.clear_session()


def summary_json_path(path: Path) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["summary", "--json", str(path)]) == 0
    return json.loads(out.getvalue())
