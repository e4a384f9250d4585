"""modelspec's MACs agree with an independent count: TensorFlow's own profiler.

For every spec file under ``specs/`` (found by a glob, so specs added later are
covered without editing this file), the Keras model that ``modelspec.build``
makes is traced as a ``tf.function`` at batch 1 (one ``tf.TensorSpec`` per
``model.inputs``), frozen (variables become constants), imported into a plain
``tf.Graph`` and handed to ``tf.compat.v1.profiler.profile`` with
``ProfileOptionBuilder.float_operation()``. The profiler's figure for an op is
its registered ``flops`` statistic; a multiply-accumulate is two of them, so
modelspec's MACs must equal FLOPs / 2 of the ops that multiply weights with
activations, exactly, and modelspec's total MACs must be the sum of those
layers' MACs (so no layer modelspec counts is left out of the comparison).

Which op types the profiler counts (installed TensorFlow 2.21: ``@ops.
RegisterStatistics(OP, "flops")`` in ``tensorflow/python/ops/nn_ops.py`` and
``tensorflow/python/profiler/internal/flops_registry.py``; an op type without
a registration counts nothing). ``test_every_registered_flops_op_is_classified``
re-reads the registry, so a TensorFlow that registers more fails here first.

* Multiply-accumulate ops (``MAC_OPS``), with TF's formula:
  ``Conv2D`` 2 x output elements x kh x kw x in-channels (the filter's);
  ``MatMul`` 2 x k x output elements; ``DepthwiseConv2dNative`` 2 x output
  elements x kh x kw; ``Conv2DBackpropInput`` (a transposed convolution)
  2 x output elements x filter elements / (out-channels x stride_h x stride_w);
  ``Conv3D``, ``BatchMatMul`` / ``V2`` / ``V3`` likewise (no modelspec layer
  emits them; if one ever appears unmatched, the comparison fails).
* Ops modelspec counts as 0 MACs (``NOT_MAC_OPS``, each with its reason), left
  out of the comparison on purpose: spec v2 section 5 says "merges,
  normalisation, rescaling, pooling and activations count 0", and its conv /
  dense formulas count kernel products only, so a layer's bias add is not a
  MAC either. In the bundled models these are ``BiasAdd`` (biases),
  ``Mul`` / ``AddV2`` / ``Sub`` / ``Rsqrt`` (inference batch norm;
  ``AddV2`` also the residual ``Add`` merge), ``MaxPool`` / ``AvgPool`` /
  ``Mean`` (pooling, global average pooling) and ``Softmax``.

Keras layer class (modelspec's ``summary`` ``class``) -> op types it emits on
the TensorFlow backend (Keras 3.15): ``Conv2D`` -> ``Conv2D``; ``Dense`` ->
``MatMul`` (on a map through ``Tensordot``, still ``MatMul``);
``Conv2DTranspose`` -> ``Conv2DBackpropInput``; ``DepthwiseConv2D`` ->
``DepthwiseConv2dNative`` and ``SeparableConv2D`` -> ``DepthwiseConv2dNative``
+ a 1x1 ``Conv2D`` (spec v2 section 5 layers; no bundled spec uses them yet).

One op the profiler counts approximately: TF's ``Conv2DBackpropInput``
formula divides output positions by the stride product, which is the number
of input positions only when the output is exactly input x stride ("same"
padding, or a kernel no larger than its stride, as U-Net's 2x2/2
up-convolutions). For any other transposed convolution (e.g. a valid 3x3/2,
whose output is 2n + 1) the test counts that node itself from the frozen
graph's own shapes instead: input positions x the filter's elements
(kh x kw x out x in), the textbook count (spec v2 section 5: "transposed:
input positions x kh x kw x in x filters");
``test_profiler_approximates_some_transposed_convolutions`` shows the
difference.

Freezing: ``convert_variables_to_constants_v2`` is two steps: make the frozen
GraphDef (``_FunctionConverterDataInEager`` + ``_replace_variables_by_constants``),
then wrap that GraphDef back into a ConcreteFunction, which the profiler does not
need and which is most of the time (for VGG16, 51 s of 57 s under cProfile; for
ResNet-152, 28 s for the public call against 8 s without the re-wrap, on two
busy cores). ``frozen_graph_def`` does the first step only
(falling back to the public call if those private names go away);
``test_fast_freeze_matches_convert_variables_to_constants_v2`` checks that the
two give the same profile.

Input sizes: batch 1 at each spec's own input size, except VGG16 / VGG19
(``PROFILE_INPUTS``): their fc1 kernel (25,088 x 4,096 at 224x224, 103 M of
their 138 M / 144 M parameters) makes a 411 MB frozen constant that costs
about 20 s a model to freeze, import and profile. At 64x64 the same layers
have the same formulas (fc1 becomes 2,048 x 4,096); the spec's text is
rewritten with that input, and modelspec's MACs are those of the rewritten
spec. (At 224x224 they agree too: VGG16 15,470,264,320 MACs, profiler
Conv2D 30,693,261,312 + MatMul 247,267,328 FLOPs.)
"""

from __future__ import annotations

import functools
import gc
import json
from collections import Counter
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml

import modelspec

pytestmark = pytest.mark.slow

SPECS = Path(__file__).resolve().parent.parent / "specs"
# every model file; specs/modules/ holds files of modules only, which are bases, not models
SPEC_FILES = sorted(p for p in SPECS.rglob("*") if p.suffix in {".yaml", ".yml", ".json"} and p.is_file()
                    and "modules" not in p.relative_to(SPECS).parts)

# Spec file (relative to specs/) -> the single input's shape to profile at instead of the
# spec's own (see the module docstring; modelspec's MACs are compared at this same size).
PROFILE_INPUTS = {
    "vgg16.yaml": [64, 64, 3],
    "vgg19.yaml": [64, 64, 3],
}

# Every op type TensorFlow 2.21 registers a "flops" statistic for, classified.
# MAC_OPS: each flop pair is one multiply-accumulate of weights (or activations) by activations.
MAC_OPS = {
    "Conv2D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "MatMul",
    "Conv3D", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3",
}
# Op type -> why modelspec counts it as 0 MACs (spec v2 section 5).
NOT_MAC_OPS = {
    "BiasAdd": "a layer's bias: one add per output, no product (conv/dense MACs are kernel products)",
    "Add": "element-wise add (add merge, batch-norm arithmetic): merges and normalisation count 0",
    "AddV2": "element-wise add (add merge, batch-norm arithmetic): merges and normalisation count 0",
    "AddN": "element-wise sum of several tensors: merges count 0",
    "Sub": "element-wise subtract (subtract merge, batch norm): merges and normalisation count 0",
    "Mul": "element-wise product (multiply merge, batch norm's scale, swish): merges, normalisation "
           "and activations count 0",
    "RealDiv": "element-wise divide (average merge): merges count 0",
    "Maximum": "element-wise maximum (maximum merge): merges count 0",
    "Minimum": "element-wise minimum: no product",
    "Rsqrt": "batch norm's 1/sqrt(variance + epsilon): normalisation counts 0",
    "Reciprocal": "element-wise 1/x: no product",
    "Square": "element-wise square: normalisation statistics count 0",
    "SquaredDifference": "layer norm's variance: normalisation counts 0",
    "Neg": "element-wise negation: no product",
    "Pow": "element-wise power: no product",
    "Log": "element-wise logarithm: no product",
    "Softmax": "an activation: activations count 0",
    "MaxPool": "pooling counts 0",
    "AvgPool": "pooling counts 0",
    "Mean": "global average pooling (and norm statistics): pooling counts 0",
    "Sum": "a reduction: pooling counts 0",
    "ArgMax": "an index search, no arithmetic on weights",
    "ArgMin": "an index search, no arithmetic on weights",
    "Equal": "a comparison", "NotEqual": "a comparison", "Greater": "a comparison",
    "GreaterEqual": "a comparison", "Less": "a comparison", "LessEqual": "a comparison",
    "Dilation2D": "morphological dilation: max of sums, no products",
    # Training-only ops: never in a frozen inference graph; seeing one is a problem in itself.
    "AssignAdd": "training only", "AssignSub": "training only", "L2Loss": "training only",
    "RsqrtGrad": "training only", "BiasAddGrad": "training only", "AvgPoolGrad": "training only",
    "MaxPoolGrad": "training only", "Conv2DBackpropFilter": "training only",
}
TRAINING_ONLY_OPS = {op for op, why in NOT_MAC_OPS.items() if why == "training only"}

# modelspec summary "class" (the Keras layer class) -> the MAC op types Keras' TensorFlow backend emits for it.
CLASS_OPS = {
    "Conv2D": {"Conv2D"},
    "Dense": {"MatMul"},
    "Conv2DTranspose": {"Conv2DBackpropInput"},
    "DepthwiseConv2D": {"DepthwiseConv2dNative"},
    "SeparableConv2D": {"DepthwiseConv2dNative", "Conv2D"},
}

# Op types that call a function: the profiler does not look inside one, so its ops would go uncounted.
CALL_OPS = {"PartitionedCall", "StatefulPartitionedCall"}


# --------------------------------------------------------------------------- the profiler side

def frozen_graph_def(concrete):
    """The GraphDef that ``convert_variables_to_constants_v2(concrete)`` freezes (see the docstring)."""
    from tensorflow.python.framework import convert_to_constants as c2c

    try:
        data = c2c._FunctionConverterDataInEager(func=concrete, lower_control_flow=True,
                                                 aggressive_inlining=False)
        graph_def, _ = c2c._replace_variables_by_constants(converter_data=data)
        return graph_def
    except AttributeError:  # a TensorFlow without these private names: the public, slower path
        return c2c.convert_variables_to_constants_v2(concrete).graph.as_graph_def()


def public_frozen_graph_def(concrete):
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    return convert_variables_to_constants_v2(concrete).graph.as_graph_def()


class Profile(NamedTuple):
    macs: dict        # MAC op type -> MACs (profiler FLOPs / 2; see transposed convolutions)
    other: dict       # any other op type the profiler counted -> its FLOPs
    flops: dict       # every counted op type -> the profiler's own FLOPs, as reported
    problems: list    # what makes the profile unusable as a count


def profile_model(model, freeze=frozen_graph_def) -> Profile:
    """TensorFlow's profiler on ``model`` frozen at batch 1, float operations by op type."""
    import tensorflow as tf

    signature = [tf.TensorSpec([1, *t.shape[1:]], t.dtype) for t in model.inputs]

    @tf.function
    def forward(*xs):
        return model(list(xs) if len(xs) > 1 else xs[0], training=False)

    graph_def = freeze(forward.get_concrete_function(*signature))
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")

    builder = tf.compat.v1.profiler.ProfileOptionBuilder
    options = builder(builder.float_operation()).with_empty_output().build()
    root = tf.compat.v1.profiler.profile(graph, cmd="op", options=options)

    # The "op" view is a chain: each child is one op type, its graph_nodes the nodes of that type.
    counted = {}  # node name -> its float ops
    flops = Counter()
    node = root
    while node.children:
        (node,) = node.children
        for n in node.graph_nodes:
            counted[n.name] = n.float_ops
        flops[node.name] += node.float_ops

    problems = []
    macs, other = Counter(), Counter()
    for op in graph.get_operations():
        if op.type in CALL_OPS:
            problems.append(f"{op.name}: a {op.type}; the profiler does not count the ops inside it")
        if op.type in TRAINING_ONLY_OPS:
            problems.append(f"{op.name}: a training-only {op.type} in an inference graph")
        if op.name not in counted:
            if op.type in MAC_OPS:  # an incomplete shape: tfprof_logger skips the node with a warning
                problems.append(f"{op.name}: a {op.type} the profiler did not count")
            continue
        if op.type == "Conv2DBackpropInput":
            macs[op.type] += transposed_conv_macs(op, counted[op.name])
        elif op.type in MAC_OPS:
            if counted[op.name] % 2:
                problems.append(f"{op.name}: an odd {op.type} count, {counted[op.name]} FLOPs")
            macs[op.type] += counted[op.name] // 2
        elif op.type in NOT_MAC_OPS:
            other[op.type] += counted[op.name]
        else:
            problems.append(f"{op.name}: the profiler counts {op.type}, which this test has not classified")
    return Profile(dict(macs), dict(other), dict(flops), problems)


def transposed_conv_macs(op, profiler_flops: int) -> int:
    """MACs of one Conv2DBackpropInput node: the profiler's FLOPs / 2 where its formula is exact,
    else input positions x filter elements, from the node's own shapes (module docstring)."""
    filter_shape = op.inputs[1].shape.as_list()   # [kh, kw, out channels, in channels]
    in_shape = op.inputs[2].shape.as_list()       # the layer's input: [batch, h, w, in channels]
    out_shape = op.outputs[0].shape.as_list()     # [batch, h', w', out channels]
    _, stride_h, stride_w, _ = op.get_attr("strides")
    positions = in_shape[0] * in_shape[1] * in_shape[2]
    kh, kw, out_channels, in_channels = filter_shape
    if out_shape[0] * out_shape[1] * out_shape[2] == positions * stride_h * stride_w:
        assert profiler_flops % 2 == 0, (op.name, profiler_flops)
        return profiler_flops // 2
    return positions * kh * kw * out_channels * in_channels


# --------------------------------------------------------------------------- the comparison

def compare(summary: dict, profile: Profile) -> list[str]:
    """Everything that keeps modelspec's MACs (``graph.summary()``) from matching the profile."""
    problems = list(profile.problems)
    by_class = Counter()
    for layer in summary["layers"]:
        if layer["macs"] is None:
            problems.append(f"{layer['name']}: modelspec has no MAC count (a size is unknown)")
        elif layer["class"] in CLASS_OPS:
            by_class[layer["class"]] += layer["macs"]
        elif layer["macs"]:
            problems.append(f"{layer['name']}: modelspec counts {layer['macs']:,} MACs for a "
                            f"{layer['class']}, a class with no profiler op in CLASS_OPS")
    if summary["macs"] != sum(by_class.values()):
        problems.append(f"modelspec's total, {summary['macs']:,} MACs, is not the sum of its "
                        f"profiler-counted layers, {sum(by_class.values()):,}")

    # Classes and op types that share an op (a separable conv and a conv both emit Conv2D) are
    # compared together; anything else class by class. Op types no class claims are compared with 0.
    groups = []  # [classes, op types]
    for cls in sorted(by_class):
        merged = [set([cls]), set(CLASS_OPS[cls])]
        for group in [g for g in groups if g[1] & merged[1]]:
            groups.remove(group)
            merged[0] |= group[0]
            merged[1] |= group[1]
        groups.append(merged)
    claimed = set().union(*(ops for _, ops in groups))
    groups += [[set(), {op}] for op in sorted(set(profile.macs) - claimed)]
    for classes, ops in groups:
        ours = sum(by_class[c] for c in classes)
        theirs = sum(profile.macs.get(op, 0) for op in ops)
        if ours != theirs:
            problems.append(f"modelspec {' + '.join(sorted(classes)) or '(no layer)'}: {ours:,} MACs; "
                            f"profiler {' + '.join(sorted(ops))}: {theirs:,} (FLOPs / 2)")
    return problems


# --------------------------------------------------------------------------- specs

def spec_for_profiling(path: Path):
    """The spec to build and profile: the file itself, or its text with PROFILE_INPUTS' input shape."""
    key = path.relative_to(SPECS).as_posix()
    if key not in PROFILE_INPUTS:
        return modelspec.load(path)
    text = path.read_text()
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    assert set(data["input"]) == {"shape"}, f"{key}: PROFILE_INPUTS rewrites a single `input: {{shape}}`"
    data["input"]["shape"] = PROFILE_INPUTS[key]
    return modelspec.loads(json.dumps(data), name=f"{key} at {PROFILE_INPUTS[key]}", json=True)


def check_model(spec) -> tuple[dict, Profile]:
    """modelspec's summary of ``spec`` and the profile of the model it builds (one build)."""
    import keras

    summary = modelspec.analyze(spec).summary(spec.name)
    for name, shape in summary["inputs"].items():
        assert None not in shape, (f"input {name} has shape {shape}: the profiler needs a fixed size; add the "
                                   "spec to PROFILE_INPUTS in tests/test_macs_profiler.py")
    try:
        profile = profile_model(modelspec.build(spec))
    finally:
        keras.backend.clear_session()
        gc.collect()
    return summary, profile


@functools.lru_cache(maxsize=None)
def checked_text(text: str) -> tuple[dict, Profile]:
    return check_model(modelspec.loads(text))


def test_spec_files_are_found():
    assert {"vgg16.yaml", "resnet50.yaml", "googlenet.yaml", "resnet20_cifar.json"} <= {
        p.relative_to(SPECS).as_posix() for p in SPEC_FILES}


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.relative_to(SPECS).as_posix())
def test_macs_equal_profiler_flops_over_two(path):
    summary, profile = check_model(spec_for_profiling(path))
    assert compare(summary, profile) == []
    assert summary["macs"] > 0 and sum(profile.macs.values()) == summary["macs"]


# --------------------------------------------------------------------------- small models, every MAC layer

# Each counts MACs in a way the bundled specs touch lightly or not at all.
SMALL_MODELS = {
    "dense_on_a_map": """
name: dense_on_a_map
input: {shape: [5, 7, 6]}
blocks:
  - {type: dense, units: 4}          # positions x in x units = 35 x 6 x 4; Keras uses Tensordot -> MatMul
""",
    "transposed_convs": """
name: transposed_convs
input: {shape: [6, 5, 3]}
blocks:
  - {type: conv_transpose, filters: 4, kernel_size: 2, strides: 2}                  # valid, k = s: exact
  - {type: conv_transpose, filters: 5, kernel_size: 3, strides: 2, padding: same}  # same: exact
  - {type: conv_transpose, filters: 2, kernel_size: 3, strides: 2}                  # valid, k > s: formula
  - {type: conv, filters: 3, kernel_size: 3, strides: 2, batch_norm: true}
""",
    "two_inputs": """
name: two_inputs
inputs:
  image: {shape: [9, 9, 2]}
  features: {shape: [5]}
blocks:
  - {name: conv, type: conv, filters: 4, kernel_size: 3, input: image}
  - {name: pool, type: global_avg_pool}
  - {name: side, type: dense, units: 4, input: features}
  - {name: both, type: concat, inputs: [pool, side]}
  - {name: head, type: dense, units: 3}
""",
}


@pytest.mark.parametrize("name", SMALL_MODELS)
def test_small_models(name):
    summary, profile = checked_text(SMALL_MODELS[name])
    assert compare(summary, profile) == []


def test_profiler_approximates_some_transposed_convolutions():
    """Why valid k > s transposed convolutions are counted from their shapes: a 3x3/2 valid one on a
    7x9x5 input, 4 filters, makes a 15x19 output; TF's formula gives 2 x (15 x 19 x 4) x (3 x 3 x 4 x 5)
    / (4 x 2 x 2) = 25,650 FLOPs (12,825 "MACs"), the textbook count is 7 x 9 x 3 x 3 x 5 x 4 = 11,340."""
    text = ("name: t\ninput: {shape: [7, 9, 5]}\n"
            "blocks:\n  - {type: conv_transpose, filters: 4, kernel_size: 3, strides: 2}\n")
    summary, profile = checked_text(text)
    assert profile.flops["Conv2DBackpropInput"] == 25_650
    assert profile.macs["Conv2DBackpropInput"] == 11_340 == summary["macs"]


# --------------------------------------------------------------------------- the comparison can fail

def tampered(summary: dict, index: int, delta: int) -> dict:
    layers = [dict(layer) for layer in summary["layers"]]
    layers[index]["macs"] += delta
    return {**summary, "layers": layers, "macs": summary["macs"] + delta}


@pytest.mark.parametrize("name", ["transposed_convs", "two_inputs"])
def test_every_counted_layer_is_checked(name):
    """One MAC more on any one layer (the total kept consistent) is caught: its class's sum is off."""
    summary, profile = checked_text(SMALL_MODELS[name])
    counted = [i for i, layer in enumerate(summary["layers"]) if layer["macs"]]
    assert len(counted) >= 3
    for i in counted:
        assert compare(tampered(summary, i, 1), profile) != [], summary["layers"][i]["name"]


def test_macs_on_a_zero_mac_layer_are_caught():
    """MACs modelspec would put on a layer the profiler's MAC ops don't cover (a batch norm) fail."""
    summary, profile = checked_text(SMALL_MODELS["transposed_convs"])
    (bn,) = [i for i, layer in enumerate(summary["layers"]) if layer["class"] == "BatchNormalization"]
    assert compare(tampered(summary, bn, 10), profile) != []
    wrong_total = {**summary, "macs": summary["macs"] + 1}
    assert compare(wrong_total, profile) != []


def test_a_different_model_does_not_match():
    """The Dense-on-a-map model against a flattened-then-dense one's figures: same kernel, fewer MACs."""
    flat = """
name: flat
input: {shape: [5, 7, 6]}
blocks:
  - {type: global_avg_pool}
  - {type: dense, units: 4}
"""
    on_map, map_profile = checked_text(SMALL_MODELS["dense_on_a_map"])
    pooled, pooled_profile = checked_text(flat)
    assert compare(on_map, map_profile) == [] and compare(pooled, pooled_profile) == []
    assert compare(pooled, map_profile) != [] and compare(on_map, pooled_profile) != []


# --------------------------------------------------------------------------- the test's own premises

def test_every_registered_flops_op_is_classified():
    """The op types in the module docstring are all TensorFlow registers flops for, and none is both."""
    from tensorflow.python.framework import ops
    from tensorflow.python.profiler.internal import flops_registry  # noqa: F401 (registers them)

    registered = {key.split(",")[0] for key in ops._stats_registry.list() if key.endswith(",flops")}
    assert not MAC_OPS & set(NOT_MAC_OPS)
    assert registered == MAC_OPS | set(NOT_MAC_OPS)
    assert set().union(*CLASS_OPS.values()) <= MAC_OPS


def test_fast_freeze_matches_convert_variables_to_constants_v2():
    """``frozen_graph_def`` profiles exactly as the public ``convert_variables_to_constants_v2`` does."""
    import keras

    for spec in [modelspec.load(SPECS / "resnet20_cifar.json"), modelspec.loads(SMALL_MODELS["transposed_convs"])]:
        model = modelspec.build(spec)
        try:
            fast, public = profile_model(model), profile_model(model, freeze=public_frozen_graph_def)
        finally:
            keras.backend.clear_session()
        assert fast == public and fast.problems == [] and fast.macs
