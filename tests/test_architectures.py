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
  parameters"; the structure of the two auxiliary classifiers).
* Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical
  Image Segmentation" (MICCAI 2015), figure 1 (every feature map's size) and
  section 2 ("In total the network has 23 convolutional layers").

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
    """Table 1's rows in order, then the two auxiliary heads of section 5."""
    names = [block["name"] for block in summary_json("googlenet")["blocks"]]
    expected = [name for row in TABLE_1 for name in row.blocks]
    # the flatten between dropout and linear is not a row of the table
    main = expected[:-1] + ["flatten", expected[-1]]
    aux = [f"{head}_{step.name}" for head in AUX_HEADS for step in SECTION_5]
    assert names == main + aux
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


# --------------------------------------------------------------------------- GoogLeNet, section 5

class AuxStep(NamedTuple):
    """One step of the "extra network on the side" (Szegedy et al. 2015, section 5)."""

    text: str                     # the paper's words
    name: str                     # the spec's layer: HEAD_NAME (BVLC Caffe names, "/" -> "_")
    keras_class: str
    shape: Optional[tuple] = None  # output shape; None: 4x4 x the channels of the module it branches off


# Section 5, the auxiliary classifiers, in order. The flatten is not in the paper (Caffe's
# InnerProduct flattens implicitly): 4x4x128 = 2048 features.
SECTION_5 = [
    AuxStep("An average pooling layer with 5x5 filter size and stride 3, resulting in an 4x4x512 "
            "output for the (4a), and 4x4x528 for the (4d) stage", "ave_pool", "AveragePooling2D"),
    AuxStep("A 1x1 convolution with 128 filters for dimension reduction and rectified linear activation",
            "conv", "Conv2D", (4, 4, 128)),
    AuxStep("(flatten)", "flatten", "Flatten", (4 * 4 * 128,)),
    AuxStep("A fully connected layer with 1024 units and rectified linear activation", "fc", "Dense", (1024,)),
    AuxStep("A dropout layer with 70% ratio of dropped outputs", "drop_fc", "Dropout", (1024,)),
    AuxStep("A linear layer with softmax loss as the classifier (predicting the same 1000 classes as the "
            "main classifier ...)", "classifier", "Dense", (1000,)),
]
AUX_DROPOUT = 0.7
# head -> (the inception module it sits on, that module's output channels: table 1 / section 5)
AUX_HEADS = {"loss1": ("inception_4a", 512), "loss2": ("inception_4d", 528)}
# Model outputs in order: the main classifier (table 1's "linear"), then the heads on 4a and 4d.
GOOGLENET_OUTPUTS = ["loss3_classifier", "loss1_classifier", "loss2_classifier"]


def aux_expected(head: str) -> list[tuple[str, str, list, int]]:
    """(layer, class, output shape, params) of one head, from section 5's figures alone."""
    _, channels = AUX_HEADS[head]
    rows, features = [], None
    for step in SECTION_5:
        shape = step.shape or (4, 4, channels)
        if step.name == "conv":  # 1x1 kernel: channels x 128 weights + 128 biases
            params = channels * shape[-1] + shape[-1]
        elif step.keras_class == "Dense":
            params = features * shape[0] + shape[0]
        else:
            params = 0
        rows.append((f"{head}_{step.name}", step.keras_class, list(shape), params))
        features = math.prod(shape)
    return rows


def ancestors(layer: str) -> set[str]:
    """Every layer (and model input) that ``layer`` depends on, from the summary's ``inputs``."""
    inputs = {row["name"]: row["inputs"] for row in summary_json("googlenet")["layers"]}
    seen: set[str] = set()
    todo = list(inputs[layer])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(inputs.get(name, ()))  # a model input has no entry
    return seen


def test_googlenet_outputs_are_the_main_and_the_two_auxiliary_classifiers():
    """Section 5: both heads predict "the same 1000 classes as the main classifier"."""
    outputs = summary_json("googlenet")["outputs"]
    assert outputs == [{"name": name, "shape": [1000]} for name in GOOGLENET_OUTPUTS]
    assert summary_json("googlenet")["output_shape"] == [1000]  # the first output's: the main one


@pytest.mark.parametrize("head", sorted(AUX_HEADS))
def test_googlenet_auxiliary_heads_follow_section_5(head):
    module, _ = AUX_HEADS[head]
    layers = [row for row in summary_json("googlenet")["layers"] if row["block"].startswith(f"{head}_")]
    assert [(r["name"], r["class"], r["output_shape"], r["params"]) for r in layers] == aux_expected(head)
    # chained in order, the first on the module's output (its last layer, the concat)
    module_output = [row["name"] for row in summary_json("googlenet")["layers"] if row["block"] == module][-1]
    assert [r["inputs"] for r in layers] == [[module_output]] + [[r["name"]] for r in layers[:-1]]


def test_googlenet_auxiliary_heads_leave_the_main_path_alone():
    """The main classifier depends on no auxiliary layer; each head on its module and itself only."""
    aux = {name for head in AUX_HEADS for name, *_ in aux_expected(head)}
    assert not ancestors(GOOGLENET_OUTPUTS[0]) & aux
    for head, (module, _) in AUX_HEADS.items():
        module_output = [row["name"] for row in summary_json("googlenet")["layers"] if row["block"] == module][-1]
        own = {name for name, *_ in aux_expected(head)}
        upstream = ancestors(module_output) | {module_output}
        assert ancestors(f"{head}_classifier") == upstream | (own - {f"{head}_classifier"})


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
def test_googlenet_builds_with_table_1_and_section_5_figures(keras):
    """Table 1's module sizes; three 1000-way outputs; the heads' layers as section 5 says."""
    model = modelspec.build(spec_path("googlenet"))
    assert model.count_params() == summary_json("googlenet")["params"]["total"]
    for row in TABLE_1:
        if row.type.startswith("inception"):
            (block,) = row.blocks
            assert tuple(model.get_layer(f"{block}_concat").output.shape[1:]) == row.output
    assert [tuple(t.shape[1:]) for t in model.outputs] == [(math.prod(TABLE_1[-1].output),)] * 3
    assert [t is model.get_layer(name).output for t, name in zip(model.outputs, GOOGLENET_OUTPUTS)] == [True] * 3
    for head in AUX_HEADS:
        for name, _, shape, params in aux_expected(head):
            layer = model.get_layer(name)
            assert (tuple(layer.output.shape[1:]), layer.count_params()) == (tuple(shape), params), name
        pool = model.get_layer(f"{head}_ave_pool").get_config()
        assert (pool["pool_size"], pool["strides"], pool["padding"]) == ((5, 5), (3, 3), "valid")
        assert [model.get_layer(f"{head}_{s}").get_config()["activation"] for s in ("conv", "fc", "classifier")] \
            == ["relu", "relu", "softmax"]
        assert model.get_layer(f"{head}_drop_fc").get_config()["rate"] == AUX_DROPOUT


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


# --------------------------------------------------------------------------- U-Net, figure 1

# Ronneberger, Fischer & Brox, "U-Net: Convolutional Networks for Biomedical Image
# Segmentation" (MICCAI 2015), figure 1 (sizes and channels printed at every
# feature map; legend: the arrow types below) and section 2 (the rules behind them).
CONV3 = "conv 3x3, ReLU"      # unpadded: x-y size - 2
POOL = "max pool 2x2"         # stride 2: x-y size / 2
UP = "up-conv 2x2"            # x-y size x 2, half the channels (section 2)
CROP = "copy and crop"
CONCAT = "concatenation"      # section 2: "a concatenation with the correspondingly cropped feature map"
CONV1 = "conv 1x1"
ARROW_CLASS = {CONV3: "Conv2D", POOL: "MaxPooling2D", UP: "Conv2DTranspose", CROP: "Cropping2D",
               CONCAT: "Concatenate", CONV1: "Conv2D"}
ARROW_KERNEL = {CONV3: 3, UP: 2, CONV1: 1}

UNET_INPUT = (572, 572, 1)     # figure 1: "input image tile", 572x572, one channel
UNET_OUTPUT = (388, 388, 2)    # figure 1: "output segmentation map", 388x388, two classes
UNET_CONV_LAYERS = 23          # section 2: "In total the network has 23 convolutional layers"

# (layer, arrow, output size from figure 1, inputs): every layer of the network.
FIGURE_1 = [
    ("enc1_1", CONV3, (570, 570, 64), ["input"]),
    ("enc1_2", CONV3, (568, 568, 64), ["enc1_1"]),
    ("pool1", POOL, (284, 284, 64), ["enc1_2"]),
    ("enc2_1", CONV3, (282, 282, 128), ["pool1"]),
    ("enc2_2", CONV3, (280, 280, 128), ["enc2_1"]),
    ("pool2", POOL, (140, 140, 128), ["enc2_2"]),
    ("enc3_1", CONV3, (138, 138, 256), ["pool2"]),
    ("enc3_2", CONV3, (136, 136, 256), ["enc3_1"]),
    ("pool3", POOL, (68, 68, 256), ["enc3_2"]),
    ("enc4_1", CONV3, (66, 66, 512), ["pool3"]),
    ("enc4_2", CONV3, (64, 64, 512), ["enc4_1"]),
    ("pool4", POOL, (32, 32, 512), ["enc4_2"]),
    ("bottom_1", CONV3, (30, 30, 1024), ["pool4"]),
    ("bottom_2", CONV3, (28, 28, 1024), ["bottom_1"]),
    ("up4", UP, (56, 56, 512), ["bottom_2"]),
    ("crop4", CROP, (56, 56, 512), ["enc4_2"]),      # 64 -> 56
    ("cat4", CONCAT, (56, 56, 1024), ["crop4", "up4"]),
    ("dec4_1", CONV3, (54, 54, 512), ["cat4"]),
    ("dec4_2", CONV3, (52, 52, 512), ["dec4_1"]),
    ("up3", UP, (104, 104, 256), ["dec4_2"]),
    ("crop3", CROP, (104, 104, 256), ["enc3_2"]),    # 136 -> 104
    ("cat3", CONCAT, (104, 104, 512), ["crop3", "up3"]),
    ("dec3_1", CONV3, (102, 102, 256), ["cat3"]),
    ("dec3_2", CONV3, (100, 100, 256), ["dec3_1"]),
    ("up2", UP, (200, 200, 128), ["dec3_2"]),
    ("crop2", CROP, (200, 200, 128), ["enc2_2"]),    # 280 -> 200
    ("cat2", CONCAT, (200, 200, 256), ["crop2", "up2"]),
    ("dec2_1", CONV3, (198, 198, 128), ["cat2"]),
    ("dec2_2", CONV3, (196, 196, 128), ["dec2_1"]),
    ("up1", UP, (392, 392, 64), ["dec2_2"]),
    ("crop1", CROP, (392, 392, 64), ["enc1_2"]),     # 568 -> 392
    ("cat1", CONCAT, (392, 392, 128), ["crop1", "up1"]),
    ("dec1_1", CONV3, (390, 390, 64), ["cat1"]),
    ("dec1_2", CONV3, (388, 388, 64), ["dec1_1"]),
    ("segmentation_map", CONV1, UNET_OUTPUT, ["dec1_2"]),
]
# "copy and crop": the contracting map, cut evenly to the up-convolution's size (figure 1's sizes):
# (crop layer, contracting size, expansive size); a side loses (contracting - expansive) / 2.
UNET_CROPS = [("crop4", 64, 56), ("crop3", 136, 104), ("crop2", 280, 200), ("crop1", 568, 392)]


def unet_expected_params(name: str) -> int:
    """A layer's params from its arrow and the channels of figure 1 alone: k*k*in*out + out."""
    shapes = {row[0]: row[2] for row in FIGURE_1} | {"input": UNET_INPUT}
    _, arrow, shape, inputs = next(row for row in FIGURE_1 if row[0] == name)
    if arrow not in ARROW_KERNEL:
        return 0
    channels_in = sum(shapes[i][-1] for i in inputs)
    return ARROW_KERNEL[arrow] ** 2 * channels_in * shape[-1] + shape[-1]


def test_unet_feature_maps_match_figure_1():
    """Every layer: class (the figure's arrow), output size, inputs and params as figure 1 draws them."""
    data = summary_json("unet")
    assert data["inputs"] == {"input": list(UNET_INPUT)}
    assert data["outputs"] == [{"name": "segmentation_map", "shape": list(UNET_OUTPUT)}]
    actual = {r["name"]: (r["class"], r["output_shape"], r["inputs"], r["params"]) for r in data["layers"]}
    expected = {name: (ARROW_CLASS[arrow], list(shape), inputs, unet_expected_params(name))
                for name, arrow, shape, inputs in FIGURE_1}
    assert actual == expected


@pytest.mark.parametrize("crop,contracting,expansive", UNET_CROPS, ids=[c[0] for c in UNET_CROPS])
def test_unet_copy_and_crop_sizes(crop, contracting, expansive):
    """Each crop takes the contracting map of figure 1's size and leaves the up-convolution's size."""
    layers = {r["name"]: r for r in summary_json("unet")["layers"]}
    (source,) = layers[crop]["inputs"]
    assert layers[source]["output_shape"][:2] == [contracting, contracting]
    assert layers[crop]["output_shape"][:2] == [expansive, expansive]
    (concat,) = [r for r in layers.values() if crop in r["inputs"]]
    up = [layers[i] for i in concat["inputs"] if i != crop]
    assert [r["class"] for r in up] == ["Conv2DTranspose"]
    assert up[0]["output_shape"][:2] == [expansive, expansive]
    assert (contracting - expansive) % 2 == 0  # an even cut: the same on both sides


def test_unet_has_23_convolutional_layers():
    classes = [r["class"] for r in summary_json("unet")["layers"]]
    assert classes.count("Conv2D") + classes.count("Conv2DTranspose") == UNET_CONV_LAYERS


@pytest.mark.slow
def test_unet_builds_with_figure_1_output(keras):
    """Built at figure 1's 572x572 (a symbolic build: no image is run through it)."""
    model = modelspec.build(spec_path("unet"))
    assert tuple(model.input.shape[1:]) == UNET_INPUT
    assert [tuple(t.shape[1:]) for t in model.outputs] == [UNET_OUTPUT]
    convs = [layer for layer in model.layers if type(layer).__name__ in ("Conv2D", "Conv2DTranspose")]
    assert len(convs) == UNET_CONV_LAYERS
    for name, arrow, shape, _ in FIGURE_1:
        layer = model.get_layer(name)
        assert tuple(layer.output.shape[1:]) == shape, name
        if arrow in ARROW_KERNEL:  # ReLU on the 3x3 convolutions only (section 2, figure 1's legend)
            config = layer.get_config()
            k = ARROW_KERNEL[arrow]
            assert (config["kernel_size"], config["padding"]) == ((k, k), "valid"), name
            assert config["activation"] == ("relu" if arrow == CONV3 else "linear"), name
            if arrow == UP:
                assert config["strides"] == (2, 2), name
    for name, contracting, expansive in UNET_CROPS:
        side = (contracting - expansive) // 2
        assert model.get_layer(name).get_config()["cropping"] == ((side, side), (side, side)), name


@pytest.mark.slow
def test_unet_runs_on_a_smaller_tile(keras):
    """The smallest tile the figure's rules allow, run through the model: 188x188 -> 4x4x2.

    By section 2's rules (a valid 3x3 conv: -2; pool: /2; up-conv: x2):
    188 -> 186 -> 184, 92 -> 90 -> 88, 44 -> 42 -> 40, 20 -> 18 -> 16, 8 -> 6 -> 4 (bottom);
    up 8 -> 6 -> 4 at every level (crops 16 -> 8, 40 -> 8, 88 -> 8, 184 -> 8: the same 4, 16, 40
    and 88 a side as at 572). On a tile that does not fit, a concat does not (568: 55 vs 54 at cat4).
    """
    text = Path(spec_path("unet")).read_text(encoding="utf-8")
    assert text.count("shape: [572, 572, 1]") == 1
    model = modelspec.build(modelspec.loads(text.replace("shape: [572, 572, 1]", "shape: [188, 188, 1]"), "unet188"))
    assert tuple(model.get_layer("bottom_2").output.shape[1:]) == (4, 4, 1024)
    y = np.asarray(model(np.random.default_rng(0).standard_normal((1, 188, 188, 1), dtype=np.float32)))
    assert y.shape == (1, 4, 4, UNET_OUTPUT[2])
    assert np.isfinite(y).all() and float(y.std()) > 0


def summary_json_path(path: Path) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["summary", "--json", str(path)]) == 0
    return json.loads(out.getvalue())
