"""Property tests: random model graphs through the whole path, with Keras as the oracle.

The strategies draw spec *documents* (plain dicts) over every registered block
type (``modelspec.blocks.block_types()``), render them as YAML or JSON text, and
load that text through ``modelspec.loads`` — so the loader, pydantic,
``defaults`` and the static pass are all exercised.

* ``graph_docs`` draws valid graphs by construction: one or several model
  inputs (``input:`` / ``inputs:``), blocks that take the previous output or
  ``input:`` a random earlier name (a block, a copy ``NAME_k``, a model input),
  merges over random earlier names of compatible shapes, nested ``parallel``
  blocks with every merge (empty branches and squeeze-and-excitation gates
  ``[1, 1, C]`` included), ``sequence`` blocks, ``repeat`` on any of them, and
  every v2 layer and family block. Every block output is taken by a later
  block or listed in ``outputs``. The shapes, the names a block can see and
  which outputs are used come from this file's own reading of the contract
  (``Sim``: v1/v2 contract sections 1-4, Keras' documented shape rules and
  Keras Applications' ``correct_pad``), not from modelspec.
* ``invalid_docs`` takes such a graph and breaks it in one known way — a window
  that does not fit, an identity shortcut that cannot be, flatten on unknown
  sizes, a 2D layer on a flat tensor, a duplicate name, an unknown, later or own
  name, a sibling branch's or a repeated block's inner name, merged shapes
  that do not fit, a dangling output, an unused model input, a bad ``outputs``
  entry — so the test knows the one spec path the error must point at.

Property A (slow): every valid graph builds, and Keras agrees with the static
pass layer by layer (in ``model.layers`` order): class, output shape,
``count_params()`` and MACs — computed here from the built layer's kernel and
shapes — and on the model's inputs and outputs, which also equal this file's
predicted shapes; (fast) without TensorFlow, the static pass accepts every drawn
graph with the predicted inputs, outputs and block shapes.

Coverage: the types drawn come from the registry, every registered type must
have a strategy here, and each must appear in a fixed number of seeded draws
focused on it (fast); the few seeded graphs (every size known) that together hold
every type are built and compared on every run (slow).

Property B (fast): every invalid spec is one located problem at the right spec
path; (slow) Keras, given the same layers by hand, cannot build them either — the
static pass is not stricter than Keras there. A third (slow) property feeds
loosely drawn specs, valid or not, to ``modelspec.build``: either ``loads``
rejects them with a SpecError, or the build succeeds — no Keras exception may
escape.

Examples: ``MODELSPEC_PROPERTY_EXAMPLES`` (default 40) for the Keras-building
properties; the fast ones run 4x that.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from typing import NamedTuple, Optional

import pytest
import yaml
from hypothesis import HealthCheck, Phase, assume, event, example, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import modelspec
from modelspec import SpecError
from modelspec.blocks import block_types

EXAMPLES = int(os.environ.get("MODELSPEC_PROPERTY_EXAMPLES", "40"))
# Keras builds take ~0.1-1 s and graph drawing is not instant: no deadline, whatever profile is loaded.
SLOW = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=4 * EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
COVERAGE_DRAWS = 5  # seeded draws focused on each registered type, in which it must appear

# Keras 3 names the contract promises (written here, not imported from modelspec).
ACTIVATIONS = (
    "linear", "relu", "relu6", "leaky_relu", "elu", "selu", "celu", "gelu", "silu", "swish",
    "mish", "sigmoid", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "hard_shrink",
    "soft_shrink", "tanh", "tanh_shrink", "softmax", "log_softmax", "log_sigmoid", "softplus",
    "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax", "squareplus", "exponential",
)
INITIALIZERS = (
    "glorot_uniform", "glorot_normal", "he_normal", "he_uniform", "lecun_normal",
    "lecun_uniform", "orthogonal", "random_normal", "random_uniform", "truncated_normal",
    "variance_scaling", "zeros", "ones", "constant",
)

# Block types by what they take (contract v1 section 3, v2 sections 1-4).
SPATIAL = ("vgg", "inception", "residual", "bottleneck", "preact_bottleneck", "conv", "conv_transpose", "max_pool",
           "avg_pool", "zero_padding", "crop", "upsample", "global_avg_pool", "global_max_pool", "dense_block",
           "transition", "depthwise_conv", "separable_conv", "inverted_residual", "mbconv",
           "squeeze_excite")  # need (height, width, channels)
ANY_RANK = ("dense", "dropout", "batch_norm", "activation", "flatten", "reshape", "relu", "layer_norm", "rescale",
            "normalize")
MERGES = ("add", "multiply", "average", "maximum", "subtract", "concat")  # take `inputs: [...]`
COMPOSITES = ("sequence", "parallel")
PARALLEL_MERGES = ("concat", "add", "multiply", "average", "maximum")  # v2 section 2
STRIDED = ("residual", "bottleneck", "preact_bottleneck", "conv", "conv_transpose", "max_pool", "avg_pool",
           "depthwise_conv", "separable_conv", "inverted_residual", "mbconv")
MAX_DEPTH = 2  # composites inside composites inside the top level, no deeper
MAX_VALUES = 2 ** 16  # per tensor: keeps the drawn models small (a restraint of this test, not a rule)


# --------------------------------------------------------------------------- the test's own shape arithmetic


class Invalid(Exception):
    """The block cannot take this input (by the contract's rules, as this file computes them)."""


def pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def edges(v) -> tuple[tuple[int, int], tuple[int, int]]:
    """Padding / cropping as the contract writes it: ``n``, ``[rows, cols]`` or ``[[top, bottom], [left, right]]``."""
    if isinstance(v, int):
        return ((v, v), (v, v))
    if isinstance(v[0], int):
        return ((v[0], v[0]), (v[1], v[1]))
    return ((v[0][0], v[0][1]), (v[1][0], v[1][1]))


def count(shape) -> Optional[int]:
    return None if None in shape else math.prod(shape)


POOL, DILATED = 0, 1025  # the widths always taken (README, "Bounded before anything large is built")


def window(n: Optional[int], k: int, s: int, padding: str, wide: Optional[int] = None) -> Optional[int]:
    """Keras' conv/pool output length: valid ``floor((n - k) / s) + 1`` (must be >= 1); same ``ceil(n / s)``.
    ``wide``: a pool's window (POOL) or a dilated kernel (DILATED), refused with same padding past ``2n + 1``
    and past that width (README, "Bounded before anything large is built": beyond 2n + 1 only padding is
    covered, while TensorFlow's time grows with the width)."""
    if n is None:
        return None
    if padding == "same":
        if wide is not None and k > max(2 * n + 1, wide):
            raise Invalid(f"window {k} > 2 * {n} + 1, same padding")
        return math.ceil(n / s)
    if n < k:
        raise Invalid(f"window {k} > size {n}")
    return (n - k) // s + 1


def window2(shape, k, s, padding, channels, wide=(None, None)):
    (kh, kw), (sh, sw) = pair(k), pair(s)
    return (window(shape[0], kh, sh, padding, wide[0]), window(shape[1], kw, sw, padding, wide[1]), channels)


def convolved(shape: tuple, block: dict, channels: int) -> tuple:
    """A (dilated) convolution's output: a window of ``d * (k - 1) + 1`` (Keras' ``compute_conv_output_shape``).
    Keras' Conv2D refuses strides > 1 together with a dilation > 1 (its depthwise and separable ones do not)."""
    (kh, kw), (dh, dw) = pair(block["kernel_size"]), pair(block.get("dilation_rate", 1))
    strides = block.get("strides", 1)
    if block["type"] == "conv" and max(pair(strides)) > 1 and max(dh, dw) > 1:
        raise Invalid("strides and dilation")
    return window2(shape, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), strides, block.get("padding", "valid"), channels,
                   (DILATED if dh > 1 else None, DILATED if dw > 1 else None))


def depthwise_strided(shape: tuple, block: dict, channels: int) -> tuple:
    """MobileNetV2 / EfficientNet blocks (keras.applications): unstrided, a same-padded depthwise conv; strided,
    ``imagenet_utils.correct_pad`` then a valid one. correct_pad pads ``k // 2`` after and ``k // 2 - adjust``
    before, adjust being ``1 - n % 2`` per axis, or 1 on both axes when the height is unknown (an unknown
    width is taken as unknown too: Keras' own ``None % 2`` fails there)."""
    k, s = pair(block.get("kernel_size", 3)), pair(block.get("strides", 1))
    if s == (1, 1):
        return window2(shape, k, s, "same", channels)
    h, w = shape[:2]
    adjust = (1, 1) if h is None else (1 - h % 2, 1 if w is None else 1 - w % 2)
    padded = tuple(None if n is None else n + 2 * (kk // 2) - a for n, kk, a in zip((h, w), k, adjust))
    return window2(padded + (shape[2],), k, s, "valid", channels)


def transposed(n: Optional[int], k: int, s: int, padding: str) -> Optional[int]:
    """Keras' ``deconv_output_length`` without output padding: same ``n * s``; valid ``n * s + max(k - s, 0)``."""
    if n is None:
        return None
    return n * s if padding == "same" else n * s + max(k - s, 0)


def elementwise(shapes: list[tuple]) -> tuple:
    """Add, Multiply, ...: Keras' merge rule (``_compute_elemwise_op_output_shape``), between shapes of one
    rank (contract v2 section 5): per axis, unknown if either is, else equal, or 1 broadcast to the other."""
    if len({len(s) for s in shapes}) != 1:
        raise Invalid("merge of different ranks")
    out = list(shapes[0])
    for shape in shapes[1:]:
        for i, (a, b) in enumerate(zip(out, shape)):
            if a is None or b is None:
                out[i] = None
            elif a == 1:
                out[i] = b
            elif b != 1 and a != b:
                raise Invalid(f"cannot merge {shapes}")
    return tuple(out)


def concatenate(shapes: list[tuple], axis: int) -> tuple:
    """Keras' Concatenate: every axis but ``axis`` equal where both are known (its ``build`` check); the
    output is the first input's shape with the sizes on ``axis`` summed (unknown if any is). ``axis`` counts
    as Keras counts it: 0 is the batch axis, 1 the first axis of a sample, -1 the last."""
    rank = len(shapes[0])
    if len({len(s) for s in shapes}) != 1:
        raise Invalid("concatenation of different ranks")
    i = axis - 1 if axis > 0 else rank + axis
    if axis == 0 or not 0 <= i < rank:
        raise Invalid(f"no axis {axis} in rank {rank}")
    for shape in shapes[1:]:
        for j, (a, b) in enumerate(zip(shapes[0], shape)):
            if j != i and a is not None and b is not None and a != b:
                raise Invalid(f"cannot concatenate {shapes} on {axis}")
    out = list(shapes[0])
    out[i] = None if any(s[i] is None for s in shapes) else sum(s[i] for s in shapes)
    return tuple(out)


def merge_shape(kind: str, shapes: list[tuple], axis: int = -1) -> tuple:
    return concatenate(shapes, axis) if kind == "concat" else elementwise(shapes)


def compatible(kind: str, shapes: list[tuple], axis: int = -1) -> bool:
    try:
        merge_shape(kind, shapes, axis)
        return True
    except Invalid:
        return False


def reshaped(shape: tuple, target: list[int]) -> tuple:
    """Keras' Reshape: one -1 is inferred from the others; without one the sizes must multiply out."""
    size, known = count(shape), math.prod(d for d in target if d != -1)
    if -1 not in target:
        if size != known:  # also when the input's size is unknown: the contract wants -1 there
            raise Invalid(f"cannot reshape {shape} to {target}")
        return tuple(target)
    if size is None:
        return tuple(None if d == -1 else d for d in target)
    if size % known:
        raise Invalid(f"cannot reshape {shape} to {target}")
    return tuple(size // known if d == -1 else d for d in target)


def one_copy(block: dict, shape: tuple) -> tuple:
    """Output shape of one copy of a single-input, non-composite ``block`` on ``shape`` (batch axis left out)."""
    t = block["type"]
    if t in SPATIAL and len(shape) != 3:
        raise Invalid(f"{t} needs a rank-3 input")
    if t == "vgg":
        k = block.get("pool_size", 2)
        return window2(shape, k, block.get("pool_strides", k), "valid", block["filters"])
    if t == "inception":
        window2(shape, block.get("pool_size", 3), 1, "same", shape[2], (POOL, POOL))  # its pool branch's window
        pool = block.get("pool_proj", shape[2])
        return shape[:2] + (block["conv1x1"] + block["conv3x3"] + block["conv5x5"] + pool,)
    if t in ("residual", "bottleneck"):
        (sh, sw) = pair(block.get("strides", 1))
        out = block["filters"] * (block.get("expansion", 4) if t == "bottleneck" else 1)
        if block.get("shortcut") == "identity" and (out != shape[2] or (sh, sw) != (1, 1)):
            raise Invalid("identity shortcut cannot be")
        return window2(shape, 1, (sh, sw), "same", out)
    if t == "preact_bottleneck":  # keras resnet_v2 block2: 3x3 valid conv after a 1-pixel pad -> ceil(n / s)
        out = 4 * block["filters"]
        if block.get("shortcut") == "identity" and out != shape[2]:
            raise Invalid("identity shortcut cannot be")
        return window2(shape, 1, block.get("strides", 1), "same", out)
    if t == "dense_block":  # keras densenet: each conv block concatenates growth_rate channels
        return shape[:2] + (shape[2] + block["layers"] * block.get("growth_rate", 32),)
    if t == "transition":  # keras densenet: 1x1 conv to floor(c * reduction), 2x2 average pool, stride 2
        channels = math.floor(shape[2] * block.get("reduction", 0.5))
        if channels < 1:
            raise Invalid("transition keeps no channel")
        return window2(shape, 2, 2, "valid", channels)
    if t == "conv":
        groups = block.get("groups", 1)
        if shape[2] % groups or block["filters"] % groups:
            raise Invalid("groups must divide the channels and the filters")
        return convolved(shape, block, block["filters"])
    if t == "depthwise_conv":
        return convolved(shape, block, shape[2] * block.get("depth_multiplier", 1))
    if t == "separable_conv":
        return convolved(shape, block, block["filters"])
    if t in ("inverted_residual", "mbconv"):
        return depthwise_strided(shape, block, block["filters"])
    if t == "squeeze_excite":
        return shape
    if t == "conv_transpose":
        (kh, kw), (sh, sw) = pair(block["kernel_size"]), pair(block.get("strides", 1))
        padding = block.get("padding", "valid")
        return (transposed(shape[0], kh, sh, padding), transposed(shape[1], kw, sw, padding), block["filters"])
    if t in ("max_pool", "avg_pool"):
        k = block.get("pool_size", 2)
        return window2(shape, k, block.get("strides", k), block.get("padding", "valid"), shape[2], (POOL, POOL))
    if t in ("zero_padding", "crop"):
        sign = 1 if t == "zero_padding" else -1
        sizes = []
        for n, (a, b) in zip(shape[:2], edges(block["padding" if t == "zero_padding" else "cropping"])):
            if n is not None and sign < 0 and a + b >= n:
                raise Invalid("cropped to nothing")
            sizes.append(None if n is None else n + sign * (a + b))
        return (*sizes, shape[2])
    if t == "upsample":
        (a, b) = pair(block.get("size", 2))
        return (None if shape[0] is None else shape[0] * a, None if shape[1] is None else shape[1] * b, shape[2])
    if t in ("global_avg_pool", "global_max_pool"):
        return (1, 1, shape[2]) if block.get("keepdims", False) else (shape[2],)
    if t == "flatten":
        if None in shape:
            raise Invalid("flatten needs known sizes")
        return (math.prod(shape),)
    if t == "reshape":
        return reshaped(shape, block["shape"])
    if t == "dense":
        if None in shape:  # modelspec refuses a dense over a map of unknown size (README, issue 2)
            raise Invalid("dense on unknown sizes")
        return shape[:-1] + (block["units"],)
    if t in ("dropout", "batch_norm", "activation", "relu", "layer_norm", "rescale", "normalize"):
        return shape
    raise AssertionError(f"no shape rule for {t}")


def later_copy(block: dict) -> dict:
    """A repeated block after its first copy: strides back to the default (1, or for pools the pool size)."""
    if block["type"] in ("max_pool", "avg_pool"):
        return {k: v for k, v in block.items() if k != "strides"}
    if block["type"] in STRIDED:
        return {**block, "strides": 1}
    return block


# --------------------------------------------------------------------------- the test's own dataflow


class Scope:
    """Names visible at one place; a child sees its parent's names (contract v2 section 1)."""

    def __init__(self, parent: Optional["Scope"] = None):
        self.parent, self.names = parent, {}

    def get(self, name: str) -> Optional[int]:
        scope = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def visible(self) -> dict[str, int]:
        out: dict[str, int] = {}
        scope = self
        while scope is not None:
            for name, tid in scope.names.items():
                out.setdefault(name, tid)
            scope = scope.parent
        return out


_MISSING = object()


class Sim:
    """This file's reading of the contract's dataflow: every block output is a tensor id with a shape.

    Names: a top-level block's ``name`` (default ``block{N}``), the copies
    ``NAME_k`` of a repeated block (plain ``NAME`` is the last), named blocks
    inside composites (local to each copy of a repeated composite; visible
    after a ``parallel``'s last branch, never to a sibling branch), model inputs.
    ``consumed`` holds the tensors some block takes: the rest must be outputs.
    Every change is journaled, so a drawn block that does not fit is undone.
    """

    def __init__(self, inputs: dict[str, tuple], v1: bool):
        self.shapes: list[tuple] = []
        self.consumed: set[int] = set()
        self.log: list[tuple] = []
        self.root = self.scope = Scope()
        self.v1 = v1
        self.inputs: dict[str, int] = {}
        self.tops: list[tuple[str, tuple]] = []  # (top-level block or copy name, its output shape)
        for name, shape in inputs.items():
            self.inputs[name] = self.new(shape)
            self.root.names[name] = self.inputs[name]

    # journal
    def checkpoint(self):
        return (len(self.shapes), len(self.log), self.scope, len(self.tops))

    def rollback(self, cp) -> None:
        n, m, scope, tops = cp
        for entry in reversed(self.log[m:]):
            if entry[0] == "c":
                self.consumed.discard(entry[1])
            else:
                _, where, name, old = entry
                if old is _MISSING:
                    del where.names[name]
                else:
                    where.names[name] = old
        del self.log[m:], self.shapes[n:], self.tops[tops:]
        self.scope = scope

    def new(self, shape) -> int:
        shape = tuple(shape)
        if (count(shape) or 0) > MAX_VALUES:
            raise Invalid("too big for this test")
        self.shapes.append(shape)
        return len(self.shapes) - 1

    def consume(self, tid: int) -> None:
        if tid not in self.consumed:
            self.consumed.add(tid)
            self.log.append(("c", tid))

    def bind(self, name: str, tid: int) -> None:
        old = self.scope.get(name)
        # v1's single input, named 'input', is the one name a block may take over
        if old is not None and not (self.v1 and name == "input" and old == self.inputs.get("input")):
            raise Invalid(f"name {name!r} is taken")
        self.log.append(("b", self.scope, name, self.scope.names.get(name, _MISSING)))
        self.scope.names[name] = tid

    def resolve(self, name: str) -> int:
        tid = self.scope.get(name)
        if tid is None:
            raise Invalid(f"{name!r} names nothing visible here")
        return tid

    def names_of(self, tid: int) -> list[str]:
        return sorted(n for n, t in self.scope.visible().items() if t == tid)

    def pending(self) -> list[int]:
        return [t for t in range(len(self.shapes)) if t not in self.consumed]

    # the walk
    def block(self, b: dict, x: Optional[int], index: Optional[int] = None) -> int:
        """Add block ``b`` (all its copies) chained from ``x``; ``index``: its 1-based top-level position."""
        t = b["type"]
        if t in MERGES:
            ins = [self.resolve(n) for n in b["inputs"]]
        elif "input" in b:
            ins = [self.resolve(b["input"])]
        elif x is None:
            raise Invalid("several model inputs: a chain's first block names its input")
        else:
            ins = [x]
        handle = b.get("name") or (f"block{index}" if index is not None else None)
        n = b.get("repeat", 1)
        for k in range(n):
            out = self.one(b if k == 0 else later_copy(b), ins, repeated=n > 1)
            if n > 1 and handle is not None:
                self.bind(f"{handle}_{k + 1}", out)
            if index is not None:
                self.tops.append((f"{handle}_{k + 1}" if n > 1 else handle, self.shapes[out]))
            ins = [out]
        if handle is not None:
            self.bind(handle, out)
        return out

    def one(self, b: dict, ins: list[int], repeated: bool) -> int:
        t = b["type"]
        outer = self.scope
        if t == "sequence":
            if repeated:  # each copy's inner names are its own
                self.scope = Scope(outer)
            try:
                y = ins[0]
                for inner in b["blocks"]:
                    y = self.block(inner, y)
            finally:
                self.scope = outer
            return y
        if t == "parallel":
            base = Scope(outer) if repeated else outer
            outs, scopes = [], []
            try:
                for branch in b["branches"]:
                    self.scope = Scope(base)  # a branch does not see its siblings
                    y = ins[0]
                    for inner in branch:
                        y = self.block(inner, y)
                    outs.append(y)
                    scopes.append(self.scope)
                self.scope = base  # ... whose names are visible after the last branch
                for scope in scopes:
                    for name, tid in scope.names.items():
                        self.bind(name, tid)
            finally:
                self.scope = outer
            return self.merge(b["merge"], outs, b.get("axis", -1))
        if t in MERGES:
            return self.merge(t, ins, b.get("axis", -1))
        (x,) = ins
        shape = one_copy(b, self.shapes[x])
        self.consume(x)
        return self.new(shape)

    def merge(self, kind: str, ins: list[int], axis: int) -> int:
        shape = merge_shape(kind, [self.shapes[i] for i in ins], axis)
        for i in ins:
            self.consume(i)
        return self.new(shape)


class Prediction(NamedTuple):
    outputs: list[tuple[str, tuple]]  # (name, shape), in order
    blocks: list[tuple[str, tuple]]  # top-level blocks and copies
    inputs: dict[str, tuple]


def input_shapes(doc: dict) -> dict[str, tuple]:
    if "input" in doc:
        return {"input": tuple(doc["input"]["shape"])}
    return {name: tuple(spec["shape"]) for name, spec in doc["inputs"].items()}


def predict(doc: dict) -> Prediction:
    """What the contract says a valid ``doc`` gives; raises Invalid for a doc this file thinks is not."""
    inputs = input_shapes(doc)
    sim = Sim(inputs, "input" in doc)
    x = next(iter(sim.inputs.values())) if len(inputs) == 1 else None
    for i, b in enumerate(doc["blocks"]):
        x = sim.block(b, x, i + 1)
    names = doc.get("outputs") or [doc["blocks"][-1].get("name", f"block{len(doc['blocks'])}")]
    tids = [sim.resolve(n) for n in names]
    if len(set(tids)) != len(tids) or set(tids) & set(sim.inputs.values()):
        raise Invalid("bad outputs")
    if set(sim.pending()) - set(tids):
        raise Invalid("a dangling output")
    return Prediction([(n, sim.shapes[t]) for n, t in zip(names, tids)], sim.tops, inputs)


# --------------------------------------------------------------------------- strategies: the fields of each type

sizes = lambda hi: st.one_of(st.integers(1, hi), st.lists(st.integers(1, hi), min_size=2, max_size=2))  # noqa: E731


def windows(shape: tuple, hi: int):
    """A window size, sometimes exactly the map's known height/width (the edge of ``valid`` padding)."""
    if len(shape) != 3 or shape[0] is None and shape[1] is None:
        return sizes(hi)
    exact = [shape[0] or 1, shape[1] or 1]
    return st.one_of(sizes(hi), st.just(exact), st.just(exact[0]))


activations = st.sampled_from(ACTIVATIONS)
initializers = st.sampled_from(INITIALIZERS)
epsilons = st.one_of(st.sampled_from([1e-3, 1e-5, 0.1]), st.floats(1e-6, 0.5, allow_subnormal=False))
momenta = st.one_of(st.sampled_from([0.0, 0.9, 0.99]), st.floats(0, 0.999, allow_subnormal=False))
bn_settings = st.fixed_dictionaries({}, optional={"epsilon": epsilons, "momentum": momenta,
                                                  "center": st.booleans(), "scale": st.booleans()})
batch_norms = st.one_of(st.booleans(), bn_settings)
family_batch_norms = st.one_of(st.just(True), bn_settings)  # these blocks always have batch norm
WORDS = ("input", "stem", "head", "res", "a.b", "x-1", "_p", "Incep", "out", "conv", "fc", "gate", "up")
names = st.one_of(st.sampled_from(WORDS), st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,8}", fullmatch=True))


def name_ok(name: str, used: list[str]) -> bool:
    """Explicit names that cannot collide with each other or with generated layer names."""
    if re.match(r"block\d", name):  # block{N} is a default name
        return False
    return all(name != u and not name.startswith(u + "_") and not u.startswith(name + "_") for u in used)


def optional(draw, block: dict, key: str, strategy) -> None:
    """Set ``key`` in about half the draws, so defaults and `defaults:` get exercised too."""
    if draw(st.booleans()):
        block[key] = draw(strategy)


class Ctx(NamedTuple):
    depth: int = 0  # composites around this block
    hidden: bool = False  # inside a repeated composite: inner names are local to each copy
    family_bn: bool = False  # `defaults: {batch_norm: false}`: family blocks must set their own batch_norm


def conv_fields(draw, block: dict) -> None:
    optional(draw, block, "activation", activations)
    optional(draw, block, "batch_norm", batch_norms)
    optional(draw, block, "use_bias", st.booleans())
    optional(draw, block, "kernel_initializer", initializers)


def family_fields(draw, block: dict, ctx: Ctx) -> None:
    """Family blocks (preact_bottleneck, dense_block, transition, inverted_residual, mbconv) always have batch
    norm: `true` or settings; with `defaults: {batch_norm: false}` they must say so themselves."""
    if ctx.family_bn or draw(st.booleans()):
        block["batch_norm"] = draw(family_batch_norms)
    optional(draw, block, "kernel_initializer", initializers)


def f_vgg(draw, shape, ctx):
    b = {"type": "vgg", "filters": draw(st.integers(1, 8))}
    optional(draw, b, "convs", st.integers(1, 2))
    optional(draw, b, "kernel_size", sizes(5))
    optional(draw, b, "pool_size", windows(shape, 3))
    optional(draw, b, "pool_strides", sizes(3))
    conv_fields(draw, b)
    return b


def f_inception(draw, shape, ctx):
    b = {"type": "inception"}
    for f in ("conv1x1", "conv3x3", "conv5x5"):
        b[f] = draw(st.integers(0, 6))
    if b["conv3x3"]:
        optional(draw, b, "reduce3x3", st.integers(1, 6))
    if b["conv5x5"]:
        optional(draw, b, "reduce5x5", st.integers(1, 6))
    optional(draw, b, "pool_proj", st.integers(1, 6))
    optional(draw, b, "pool_size", sizes(5))
    conv_fields(draw, b)
    return b


def f_residual(draw, shape, ctx):
    channels = shape[-1]
    b = {"type": "residual"}
    shortcut = draw(st.sampled_from([None, "auto", "identity", "projection"]))
    if shortcut == "identity":
        b.update(filters=channels, shortcut="identity")
        optional(draw, b, "strides", st.sampled_from([1, [1, 1]]))
    else:
        b["filters"] = draw(st.one_of(st.just(channels), st.integers(1, 8)))
        if shortcut:
            b["shortcut"] = shortcut
        optional(draw, b, "strides", sizes(3))
    optional(draw, b, "kernel_size", sizes(5))
    conv_fields(draw, b)
    return b


def f_bottleneck(draw, shape, ctx):
    channels = shape[-1]
    b = {"type": "bottleneck"}
    shortcut = draw(st.sampled_from([None, "auto", "identity", "projection"]))
    if shortcut == "identity":
        f = draw(st.sampled_from([d for d in range(1, channels + 1) if channels % d == 0]))
        b.update(filters=f, shortcut="identity")
        if channels // f != 4 or draw(st.booleans()):
            b["expansion"] = channels // f
    else:
        b["filters"] = draw(st.integers(1, 4))
        optional(draw, b, "expansion", st.integers(1, 4))
        if shortcut:
            b["shortcut"] = shortcut
        optional(draw, b, "strides", sizes(3))
    conv_fields(draw, b)
    return b


def f_preact_bottleneck(draw, shape, ctx):
    channels = shape[-1]
    b = {"type": "preact_bottleneck"}
    shortcut = draw(st.sampled_from([None, "auto", "identity", "projection"]))
    if shortcut == "identity" and channels % 4 == 0:
        b.update(filters=channels // 4, shortcut="identity")
    else:
        b["filters"] = draw(st.one_of(st.just(max(1, channels // 4)), st.integers(1, 4)))
        if shortcut and shortcut != "identity":
            b["shortcut"] = shortcut
    optional(draw, b, "strides", sizes(2))  # a strided identity is a 1x1 max pool
    family_fields(draw, b, ctx)
    return b


def f_dense_block(draw, shape, ctx):
    b = {"type": "dense_block", "layers": draw(st.integers(1, 2))}
    optional(draw, b, "growth_rate", st.integers(1, 6))
    optional(draw, b, "bottleneck", st.integers(1, 4))
    family_fields(draw, b, ctx)
    return b


def f_transition(draw, shape, ctx):
    b = {"type": "transition"}
    optional(draw, b, "reduction", st.one_of(st.sampled_from([0.25, 0.5, 0.75, 1.0]),
                                             st.floats(0.05, 1.0, allow_subnormal=False)))
    family_fields(draw, b, ctx)
    return b


def dilation_or_strides(draw, b: dict, both: bool = False) -> None:
    """A dilation rate or strides (Keras' Conv2D refuses both above 1), or with ``both`` either or both."""
    dilated = draw(st.integers(0, 2)) == 0
    if dilated:
        b["dilation_rate"] = draw(sizes(2))
    if not dilated or both and draw(st.booleans()):
        optional(draw, b, "strides", sizes(3))


def f_conv(draw, shape, ctx):
    b = {"type": "conv", "filters": draw(st.integers(1, 8)), "kernel_size": draw(windows(shape, 5))}
    if draw(st.integers(0, 3)) == 0:  # grouped: the groups divide the input channels and the filters
        b["groups"] = g = draw(st.sampled_from([d for d in range(1, shape[-1] + 1) if shape[-1] % d == 0]))
        b["filters"] = g * draw(st.integers(1, 3))
    dilation_or_strides(draw, b)
    optional(draw, b, "padding", st.sampled_from(["valid", "same"]))
    conv_fields(draw, b)
    return b


def f_depthwise(t):
    def fields(draw, shape, ctx):
        b = {"type": t, "kernel_size": draw(windows(shape, 4))}
        if t == "separable_conv":
            b["filters"] = draw(st.integers(1, 8))
        optional(draw, b, "depth_multiplier", st.integers(1, 3))
        dilation_or_strides(draw, b, both=True)
        optional(draw, b, "padding", st.sampled_from(["valid", "same"]))
        conv_fields(draw, b)
        return b
    return fields


def f_mobile(t):
    """inverted_residual (MobileNetV2) / mbconv (EfficientNet): strides 1 or 2, as the papers' tables."""
    def fields(draw, shape, ctx):
        b = {"type": t, "filters": draw(st.one_of(st.just(shape[-1]), st.integers(1, 8)))}
        optional(draw, b, "expansion", st.sampled_from([1, 2, 6]))
        optional(draw, b, "kernel_size", st.sampled_from([3, 5, [3, 5]]))
        optional(draw, b, "strides", st.sampled_from([1, 2]))
        optional(draw, b, "activation", activations)
        if t == "mbconv":
            optional(draw, b, "se_ratio", st.one_of(st.sampled_from([0.0, 0.25]), st.floats(0, 1)))
            optional(draw, b, "drop_rate", st.one_of(st.sampled_from([0.0, 0.2]), st.floats(0, 0.5)))
        family_fields(draw, b, ctx)
        return b
    return fields


def f_squeeze_excite(draw, shape, ctx):
    b = {"type": "squeeze_excite"}
    which = draw(st.integers(0, 2))
    if which == 1:
        b["ratio"] = draw(st.one_of(st.just(0.25), st.floats(0.05, 1)))
    elif which == 2:
        b["filters"] = draw(st.integers(1, 8))
    optional(draw, b, "activation", activations)
    optional(draw, b, "gate", activations)
    optional(draw, b, "kernel_initializer", initializers)
    return b


def f_relu(draw, shape, ctx):
    b = {"type": "relu"}
    optional(draw, b, "max_value", st.one_of(st.none(), st.just(6.0), st.floats(0, 10)))
    optional(draw, b, "negative_slope", st.floats(0, 1))
    optional(draw, b, "threshold", st.floats(0, 1))
    return b


def f_layer_norm(draw, shape, ctx):
    b = {"type": "layer_norm"}
    optional(draw, b, "epsilon", epsilons)
    optional(draw, b, "center", st.booleans())
    optional(draw, b, "scale", st.booleans())
    return b


def f_rescale(draw, shape, ctx):
    b = {"type": "rescale", "scale": draw(st.one_of(st.just(1 / 255), st.floats(0.001, 2)))}
    optional(draw, b, "offset", st.floats(-1, 1))
    return b


def f_normalize(draw, shape, ctx):
    """Given statistics (numbers or one per channel), or none: an adaptable layer."""
    b = {"type": "normalize"}
    if draw(st.booleans()):
        # one per channel, except inside a repeated composite, whose later copies may see other channels
        per_channel = not ctx.hidden and draw(st.booleans())
        c = shape[-1]
        b["mean"] = draw(st.lists(st.floats(-2, 2), min_size=c, max_size=c) if per_channel else st.floats(-2, 2))
        b["variance"] = draw(st.lists(st.floats(0.01, 4), min_size=c, max_size=c) if per_channel
                             else st.floats(0.01, 4))
    return b


def f_conv_transpose(draw, shape, ctx):
    b = {"type": "conv_transpose", "filters": draw(st.integers(1, 6)), "kernel_size": draw(sizes(4))}
    optional(draw, b, "strides", sizes(3))
    optional(draw, b, "padding", st.sampled_from(["valid", "same"]))
    conv_fields(draw, b)
    return b


def f_pool(t):
    def fields(draw, shape, ctx):
        b = {"type": t}
        optional(draw, b, "pool_size", windows(shape, 4))
        optional(draw, b, "strides", sizes(3))
        optional(draw, b, "padding", st.sampled_from(["valid", "same"]))
        return b
    return fields


def edge_values(draw, limits: tuple[int, int]):
    """An int, a [rows, cols] pair or [[top, bottom], [left, right]], each side at most its limit."""
    lh, lw = limits
    form = draw(st.integers(0, 2))
    if form == 0:
        return draw(st.integers(0, min(lh, lw)))
    if form == 1:
        return [draw(st.integers(0, lh)), draw(st.integers(0, lw))]
    return [[draw(st.integers(0, lh)), draw(st.integers(0, lh))], [draw(st.integers(0, lw)), draw(st.integers(0, lw))]]


def f_zero_padding(draw, shape, ctx):
    return {"type": "zero_padding", "padding": edge_values(draw, (3, 3))}


def f_crop(draw, shape, ctx):
    limits = tuple(2 if n is None else max(0, (n - 1) // 2) for n in shape[:2])  # leave at least one row
    return {"type": "crop", "cropping": edge_values(draw, limits)}


def f_upsample(draw, shape, ctx):
    b = {"type": "upsample"}
    optional(draw, b, "size", sizes(3))
    optional(draw, b, "interpolation", st.sampled_from(["nearest", "bilinear"]))
    return b


def f_global(t):
    def fields(draw, shape, ctx):
        b = {"type": t}
        optional(draw, b, "keepdims", st.booleans())
        return b
    return fields


def f_flatten(draw, shape, ctx):
    return {"type": "flatten"}


def f_reshape(draw, shape, ctx):
    """A target of rank 1-3 with the same number of values, one size sometimes -1 (inferred)."""
    size = count(shape)
    if size is None:  # only -1 can stand for an unknown size; keep the channels as they are
        target = draw(st.sampled_from([[-1, shape[-1]], [-1, 1, shape[-1]]]))
        return {"type": "reshape", "shape": target}
    target, rest = [], size
    for _ in range(draw(st.integers(0, 2))):
        d = draw(st.sampled_from([d for d in range(1, rest + 1) if rest % d == 0][:12]))
        target.append(d)
        rest //= d
    target = draw(st.permutations(target + [rest]))
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return {"type": "reshape", "shape": list(target)}


def f_dense(draw, shape, ctx):
    b = {"type": "dense", "units": draw(st.integers(1, 8))}
    optional(draw, b, "activation", activations)
    optional(draw, b, "use_bias", st.booleans())
    optional(draw, b, "kernel_initializer", initializers)
    return b


def f_dropout(draw, shape, ctx):
    b = {"type": "dropout", "rate": draw(st.one_of(st.just(0.0), st.floats(0, 0.9, allow_subnormal=False)))}
    if shape and draw(st.integers(0, 3)) == 0:  # the batch axis first; 1 (or the size) elsewhere
        b["noise_shape"] = [None] + [draw(st.sampled_from([None, 1] + ([d] if d else []))) for d in shape]
    return b


def f_batch_norm(draw, shape, ctx):
    b = {"type": "batch_norm"}
    optional(draw, b, "epsilon", epsilons)
    optional(draw, b, "momentum", momenta)
    optional(draw, b, "center", st.booleans())
    optional(draw, b, "scale", st.booleans())
    return b


def f_activation(draw, shape, ctx):
    return {"type": "activation", "activation": draw(activations)}


# Every single-input, non-composite type: its fields for an input of ``shape``. Merges and composites are drawn
# by the Drawer (they need the names in scope). test_every_registered_type_has_a_strategy holds this to the registry.
FIELDS = {
    "vgg": f_vgg, "inception": f_inception, "residual": f_residual, "bottleneck": f_bottleneck,
    "preact_bottleneck": f_preact_bottleneck, "conv": f_conv, "conv_transpose": f_conv_transpose,
    "max_pool": f_pool("max_pool"), "avg_pool": f_pool("avg_pool"), "zero_padding": f_zero_padding,
    "crop": f_crop, "upsample": f_upsample, "global_avg_pool": f_global("global_avg_pool"),
    "global_max_pool": f_global("global_max_pool"), "dense_block": f_dense_block, "transition": f_transition,
    "dense": f_dense, "dropout": f_dropout, "batch_norm": f_batch_norm, "activation": f_activation,
    "flatten": f_flatten, "reshape": f_reshape, "depthwise_conv": f_depthwise("depthwise_conv"),
    "separable_conv": f_depthwise("separable_conv"), "inverted_residual": f_mobile("inverted_residual"),
    "mbconv": f_mobile("mbconv"), "squeeze_excite": f_squeeze_excite, "relu": f_relu, "layer_norm": f_layer_norm,
    "rescale": f_rescale, "normalize": f_normalize,
}
STRATEGY_TYPES = set(FIELDS) | set(MERGES) | set(COMPOSITES)
DRAWABLE = [t for t in block_types() if t in STRATEGY_TYPES]  # the registry decides what is drawn


@st.composite
def block_of(draw, t: str, shape: tuple, ctx: Ctx = Ctx()) -> dict:
    """A schema-valid block of single-input type ``t``, its sizes loosely fitted to ``shape``."""
    return FIELDS[t](draw, shape, ctx)


# --------------------------------------------------------------------------- strategies: graphs


class Drawer:
    """Draws blocks into a :class:`Sim`, keeping only those that fit (each is checked by ``Sim.block``)."""

    def __init__(self, draw, sim: Sim, used: list[str], focus: Optional[str] = None):
        self.draw, self.sim, self.used = draw, sim, used
        self.focus = focus  # a type to draw whenever it fits, until a top-level block holds one

    def fresh_name(self, chance: int) -> Optional[str]:
        """An explicit name in about ``chance``/6 of the draws (or None)."""
        if self.draw(st.integers(0, 5)) >= chance:
            return None
        name = self.draw(names)
        if not name_ok(name, self.used) or (name == "input" and not self.sim.v1):
            return None
        self.used.append(name)
        return name

    def skippable(self, x: Optional[int], ctx: Ctx) -> bool:
        """Whether the next block may leave ``x`` untaken: it is taken already, or it can be an output later
        (a model input is taken by a block added at the end)."""
        sim = self.sim
        return (x is None or x in sim.consumed or x in sim.inputs.values()
                or (not ctx.hidden and bool(sim.names_of(x))))

    def rescuable(self) -> bool:
        """After a top-level block: every untaken block output has a name an ``outputs`` entry can use."""
        named = set(self.sim.root.names.values())
        return all(t in named or t in self.sim.inputs.values() for t in self.sim.pending())

    def chain(self, x: Optional[int], n: int, ctx: Ctx, top: bool = False) -> tuple[list[dict], Optional[int]]:
        blocks: list[dict] = []
        for _ in range(n):
            got = self.block(x, ctx, len(blocks) + 1 if top else None)
            if got is not None:
                blocks.append(got[0])
                x = got[1]
        return blocks, x

    def block(self, x: Optional[int], ctx: Ctx, index: Optional[int]) -> Optional[tuple[dict, int]]:
        sim = self.sim
        for _attempt in range(3):
            cp, mark = sim.checkpoint(), len(self.used)
            try:
                b = self.candidate(x, ctx)
                try:
                    y = sim.block(b, x, index)
                except Invalid:
                    if b.get("repeat", 1) == 1:
                        raise
                    sim.rollback(cp)  # a later copy does not fit: once, then
                    del b["repeat"]
                    y = sim.block(b, x, index)
                if index is not None and not self.rescuable():
                    raise Invalid("an output nobody takes and nobody can name")
                if index is not None and self.focus in types_in({"blocks": [b]}):
                    self.focus = None
                return b, y
            except Invalid:
                sim.rollback(cp)
                del self.used[mark:]
        return None

    def types_for(self, shape: tuple, ctx: Ctx, x: Optional[int]) -> list[str]:
        out = []
        for t in DRAWABLE:
            if t in SPATIAL and len(shape) != 3:
                continue
            if t in ("flatten", "dense") and None in shape:
                continue
            if t in COMPOSITES and ctx.depth >= MAX_DEPTH:
                continue
            if t in MERGES and not (self.skippable(x, ctx) or self.sim.names_of(x)):
                continue
            out.append(t)
        return out

    def candidate(self, x: Optional[int], ctx: Ctx) -> dict:
        draw, sim = self.draw, self.sim
        visible = sim.scope.visible()
        jump, src = None, x
        if x is None or (self.skippable(x, ctx) and draw(st.integers(0, 3)) == 0):
            jump = draw(st.sampled_from(sorted(visible)))  # `input:` any earlier name
            src = visible[jump]
        types = self.types_for(sim.shapes[src], ctx, x)
        if self.focus in types and draw(st.booleans()):
            t = self.focus
        else:
            t = draw(st.sampled_from(types))
        repeat = 1
        if t not in MERGES and draw(st.integers(0, 3)) == 0:
            repeat = draw(st.integers(2, 2 if t in COMPOSITES else 3))
        name = self.fresh_name(2 if ctx.depth == 0 else 3)
        inner = Ctx(ctx.depth + 1, ctx.hidden or repeat > 1, ctx.family_bn)
        if t in MERGES:
            b = self.merge(t, x, ctx)
        elif t == "sequence":
            b = self.sequence(src, inner, repeat)
        elif t == "parallel":
            b = self.parallel(src, inner, repeat)
        else:
            b = FIELDS[t](draw, sim.shapes[src], ctx)
        if jump is not None and t not in MERGES:
            b["input"] = jump
        if repeat > 1:
            b["repeat"] = repeat
        if name is not None:
            b["name"] = name
        return b

    def merge(self, t: str, x: Optional[int], ctx: Ctx) -> dict:
        """A merge over visible names of compatible shapes; it takes ``x`` unless ``x`` may be left."""
        draw, sim = self.draw, self.sim
        visible = sim.scope.visible()
        own = sim.names_of(x) if x is not None else []
        if own and (not self.skippable(x, ctx) or draw(st.booleans())):
            first = draw(st.sampled_from(own))
        else:
            first = draw(st.sampled_from(sorted(visible)))
        inputs, shapes = [first], [sim.shapes[visible[first]]]
        axis = -1
        if t == "concat" and draw(st.integers(0, 2)) == 0:
            rank = len(shapes[0])
            axis = draw(st.sampled_from([a for a in range(1, rank + 1)] + [-a for a in range(1, rank + 1)]))
        for _ in range(1 if t == "subtract" else draw(st.integers(1, 2))):
            ok = [n for n in sorted(visible) if compatible(t, shapes + [sim.shapes[visible[n]]], axis)]
            others = [n for n in ok if visible[n] not in {visible[i] for i in inputs}]
            name = draw(st.sampled_from(others if others and draw(st.integers(0, 4)) else ok))
            inputs.append(name)  # a tensor may be merged with itself: [a, a]
            shapes.append(sim.shapes[visible[name]])
        b = {"type": t, "inputs": inputs}
        if t == "concat" and (axis != -1 or draw(st.booleans())):
            b["axis"] = axis
        return b

    def sequence(self, src: int, ctx: Ctx, repeat: int) -> dict:
        sim = self.sim
        cp = sim.checkpoint()
        if repeat > 1:
            sim.scope = Scope(sim.scope)
        try:
            blocks, _ = self.chain(src, self.draw(st.integers(1, 3)), ctx)
        finally:
            sim.rollback(cp)  # drawn on a scratch run; Sim.block then walks the whole block, every copy
        if not blocks:
            raise Invalid("no inner block fits")
        return {"type": "sequence", "blocks": blocks}

    def parallel(self, src: int, ctx: Ctx, repeat: int) -> dict:
        draw, sim = self.draw, self.sim
        merge = draw(st.sampled_from(PARALLEL_MERGES))
        shape = sim.shapes[src]
        axis = -1
        if merge == "concat" and draw(st.integers(0, 3)) == 0:
            axis = draw(st.sampled_from([a for a in range(1, len(shape) + 1)] + [-a for a in range(1, len(shape) + 1)]))
        cp = sim.checkpoint()
        base = Scope(sim.scope) if repeat > 1 else sim.scope
        branches, outs = [], []
        se = merge in ("multiply", "add") and len(shape) == 3 and draw(st.integers(0, 2)) == 0
        try:
            for i in range(draw(st.integers(2, 3))):
                got = self.gate(src, base) if se and i == 1 else None
                if got is not None and not compatible(merge, [sim.shapes[o] for o in outs + [got[1]]], axis):
                    got = None
                for _attempt in range(2):
                    if got is None:
                        got = self.branch(src, base, ctx, merge, axis, outs)
                if got is None:  # an empty branch, the identity, if it fits the others
                    if not compatible(merge, [sim.shapes[o] for o in outs + [src]], axis):
                        raise Invalid("no branch fits")
                    got = ([], src)
                branches.append(got[0])
                outs.append(got[1])
            if merge == "concat" and axis == -1 and draw(st.integers(0, 3)) == 0:  # an axis of the branch outputs
                shapes, rank = [sim.shapes[o] for o in outs], len(sim.shapes[outs[0]])
                axis = draw(st.sampled_from([a for a in list(range(1, rank + 1)) + list(range(-rank, 0))
                                             if compatible("concat", shapes, a)]))
        finally:
            sim.rollback(cp)
        b = {"type": "parallel", "merge": merge, "branches": branches}
        if merge == "concat" and (axis != -1 or draw(st.booleans())):
            b["axis"] = axis
        return b

    def gate(self, src: int, base: Scope) -> tuple[list[dict], int]:
        """Squeeze-and-excitation as data (contract v2 section 2): a [1, 1, C] gate for a multiply."""
        sim, channels = self.sim, self.sim.shapes[src][2]
        blocks = [{"type": "global_avg_pool", "keepdims": True},
                  {"type": "conv", "filters": self.draw(st.integers(1, max(1, channels))), "kernel_size": 1,
                   "activation": "relu"},
                  {"type": "conv", "filters": channels, "kernel_size": 1, "activation": "sigmoid"}]
        sim.scope = Scope(base)
        y = src
        for b in blocks:
            y = sim.block(b, y)
        return blocks, y

    def branch(self, src, base, ctx, merge, axis, outs) -> Optional[tuple[list[dict], int]]:
        """One branch whose output merges with ``outs``; a 1x1 conv fixes the channels where that is all."""
        draw, sim = self.draw, self.sim
        cp, mark = sim.checkpoint(), len(self.used)
        sim.scope = Scope(base)
        blocks, y = self.chain(src, draw(st.integers(0, 3)), ctx)
        shapes = [sim.shapes[o] for o in outs]
        if not compatible(merge, shapes + [sim.shapes[y]], axis):
            shape, ok = sim.shapes[y], False
            if len(shape) == 3 and shapes and len(shapes[0]) == 3:
                fix = {"type": "conv", "filters": merge_channels(shapes), "kernel_size": 1}
                if compatible(merge, shapes + [shape[:2] + (fix["filters"],)], axis):
                    try:
                        y = sim.block(fix, y)
                        blocks.append(fix)
                        ok = True
                    except Invalid:
                        pass
            if not ok:
                sim.rollback(cp)
                del self.used[mark:]
                return None
        return blocks, y


def merge_channels(shapes: list[tuple]) -> int:
    """The channels a further input of an elementwise merge should have (not 1 if avoidable)."""
    known = [s[-1] for s in shapes if s[-1] not in (None, 1)]
    return known[0] if known else max(1, shapes[0][-1] or 1)


class Drawn(NamedTuple):
    doc: dict
    sim: Sim  # after every block
    used: list[str]  # explicit names (and v2 input names)
    last: int  # the last top-level block's output


@st.composite
def headers(draw, force: Optional[str] = None) -> dict:
    """Everything but the blocks and outputs: name, description, input(s), defaults, a JSON `$schema`.

    ``force``: "map" (the first input is [h, w, c]), "map_known" (... with a known side), "map_unknown"
    (... with an unknown side), "v2" (named `inputs:`), "known" (no unknown sizes).
    """
    doc: dict = {}
    if draw(st.booleans()):
        doc["$schema"] = "../schemas/modelspec.schema.json"
    doc["name"] = draw(names)
    if draw(st.integers(0, 3)) == 0:
        doc["description"] = draw(st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=20))
    def side():  # null about one time in six
        return None if force != "known" and draw(st.integers(0, 5)) == 0 else draw(st.integers(1, 24))

    def shape(first: bool) -> list:
        if first and force in ("map", "map_known", "map_unknown") or draw(st.integers(0, 3)):
            h, w = side(), side()
            if first and force == "map_known" and h is None and w is None:
                h = draw(st.integers(1, 16))
            if first and force == "map_unknown" and None not in (h, w):
                h = None
            return [h, w, draw(st.integers(1, 8))]
        return [draw(st.integers(1, 16))]

    if force != "v2" and draw(st.booleans()):
        doc["input"] = {"shape": shape(True)}
    else:
        inputs: dict = {}
        for i in range(draw(st.integers(1, 3))):
            name = draw(names)
            if not name_ok(name, list(inputs)):
                name = f"in{i}"
            inputs[name] = {"shape": shape(i == 0)}
        doc["inputs"] = inputs
    if draw(st.booleans()):
        doc["defaults"] = draw(st.fixed_dictionaries({}, optional={
            "activation": activations, "batch_norm": batch_norms,
            "kernel_initializer": initializers, "use_bias": st.booleans()}))
    return doc


def ender(shape: tuple) -> dict:
    """A block that takes any tensor of this rank: what an otherwise unused model input is given to."""
    return {"type": "global_max_pool"} if len(shape) == 3 else {"type": "activation", "activation": "tanh"}


@st.composite
def graph_docs(draw, force: Optional[str] = None, focus: Optional[str] = None, max_blocks: int = 8) -> Drawn:
    """A valid graph: every block fits, every name it uses is visible, every output is used.

    ``focus``: a registered type drawn whenever it fits until the graph holds one (default: one drawn from
    the registry), so that every type gets its share of the examples.
    """
    doc = draw(headers(force))
    inputs = input_shapes(doc)
    sim = Sim(inputs, "input" in doc)
    used = [] if "input" in doc else list(inputs)
    drawer = Drawer(draw, sim, used, focus or draw(st.sampled_from(DRAWABLE)))
    ctx = Ctx(family_bn=doc.get("defaults", {}).get("batch_norm") is False)
    x = next(iter(sim.inputs.values())) if len(inputs) == 1 else None
    blocks, x = drawer.chain(x, draw(st.integers(min(2, max_blocks), max_blocks)), ctx, top=True)
    for name, tid in sim.inputs.items():  # every model input is used
        if tid not in sim.consumed:
            b = {**ender(sim.shapes[tid]), "input": name}
            x = sim.block(b, None, len(blocks) + 1)
            blocks.append(b)
    doc["blocks"] = blocks
    # every output nobody takes is a model output; sometimes an intermediate one too
    pending = [t for t in sim.pending() if t not in sim.inputs.values()]
    if pending != [x] or draw(st.booleans()):
        named = {t for t in sim.root.names.values() if t not in sim.inputs.values()}
        extra = sorted(named - set(pending))
        tids = pending + (draw(st.lists(st.sampled_from(extra), max_size=2, unique=True)) if extra else [])
        tids = draw(st.permutations(tids))
        doc["outputs"] = [draw(st.sampled_from(sorted(n for n, t in sim.root.names.items() if t == tid)))
                          for tid in tids]
    return Drawn(doc, sim, used, x)


def valid_docs(focus: Optional[str] = None, force: Optional[str] = None):
    return graph_docs(force=force, focus=focus).map(lambda g: g.doc)


def walk(blocks: list[dict], path: tuple = ("blocks",)):
    """Every block at any depth, with its spec path."""
    for i, b in enumerate(blocks):
        yield path + (i,), b
        if b.get("type") == "sequence" and isinstance(b.get("blocks"), list):
            yield from walk(b["blocks"], path + (i, "blocks"))
        if b.get("type") == "parallel" and isinstance(b.get("branches"), list):
            for j, branch in enumerate(b["branches"]):
                yield from walk(branch, path + (i, "branches", j))


def types_in(doc: dict) -> set[str]:
    return {b["type"] for _, b in walk(doc["blocks"])}


def all_names(doc: dict, inputs: bool = True) -> set[str]:
    """Every name a doc defines, at any depth: explicit, top-level default, copy (and input) names."""
    out = set(input_shapes(doc)) if inputs else set()
    for path, b in walk(doc["blocks"]):
        name = b.get("name") or (f"block{path[1] + 1}" if len(path) == 2 else None)
        if name is not None:
            out.add(name)
            out.update(f"{name}_{k}" for k in range(1, b.get("repeat", 1) + 1))
    return out


# --------------------------------------------------------------------------- rendering


FORMATS = st.sampled_from(["yaml", "yaml-lines", "json-lines"])
LINE_FORMATS = st.sampled_from(["yaml-lines", "json-lines"])  # one block per line: the line of a block is known


class Rendered(NamedTuple):
    text: str
    as_json: bool
    lines: list[int]  # 1-based line of each top-level block (empty for free-form YAML)
    head: dict[str, int]  # 1-based line of each top-level key but blocks (line formats)


class Dumper(yaml.SafeDumper):
    """PyYAML writes YAML 1.1, which modelspec reads as YAML 1.2 (core schema): quote a string that 1.2 reads
    as a number (``0E0``, ``0o7``, ``1e3``), which 1.1 leaves plain."""


_NOT_STR_IN_YAML12 = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?|0o[0-7]+|0x[0-9a-fA-F]+"
                                r"|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
Dumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="'" if _NOT_STR_IN_YAML12.fullmatch(value) else None))


def dump(value, **kwargs) -> str:
    return yaml.dump(value, Dumper=Dumper, sort_keys=False, **kwargs)


def flow(value) -> str:
    """A value as one line of YAML flow style."""
    text = dump({"k": value}, default_flow_style=True, width=10**6).strip()
    assert text.startswith("{k: ") and text.endswith("}"), text
    return text[len("{k: "):-1]


def render(doc: dict, fmt: str) -> Rendered:
    head = {k: v for k, v in doc.items() if k != "blocks"}
    if fmt == "yaml":
        head.pop("$schema", None)
        return Rendered(dump({**head, "blocks": doc["blocks"]}), False, [], {})
    if fmt == "yaml-lines":
        head.pop("$schema", None)
        rows = [f"{k}: {flow(v)}" for k, v in head.items()] + ["blocks:"]
        heads = {k: i + 1 for i, k in enumerate(head)}
        first = len(rows) + 1
        rows += [f"- {flow(b)}" for b in doc["blocks"]]
        return Rendered("\n".join(rows) + "\n", False, [first + i for i in range(len(doc["blocks"]))], heads)
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()] + ['  "blocks": [']
    heads = {k: i + 2 for i, k in enumerate(head)}
    first = len(lines) + 1
    rows = [json.dumps(b) for b in doc["blocks"]]
    lines += [f"    {r}," for r in rows[:-1]] + [f"    {rows[-1]}", "  ]", "}"]
    return Rendered("\n".join(lines) + "\n", True, [first + i for i in range(len(rows))], heads)


def show(text: str) -> None:
    """Print the spec text with a failing example (and not fail when called outside hypothesis)."""
    try:
        note(text)
    except InvalidArgument:
        pass


def load(doc: dict, fmt: str):
    r = render(doc, fmt)
    show(r.text)
    return modelspec.loads(r.text, json=r.as_json)


def weights_size(weights) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


# --------------------------------------------------------------------------- property A: Keras agrees


def keras_macs(layer) -> Optional[int]:
    """Multiply-accumulates of one built Keras layer, from its kernel and its shapes (None: a size unknown).

    Conv2D and DepthwiseConv2D: output positions x prod(kernel.shape) (a grouped kernel is (kh, kw,
    in/groups, filters), a depthwise one (kh, kw, in, multiplier), so the same formula holds);
    SeparableConv2D: output positions x (prod(depthwise kernel) + prod(pointwise kernel)); Dense: positions of
    its input map x prod(kernel.shape); Conv2DTranspose: input positions x prod(kernel.shape) (each input
    position spreads one kernel); every other layer: 0 (contract v2 section 5).
    """
    cls = type(layer).__name__
    if cls in ("Conv2D", "DepthwiseConv2D"):
        positions, kernels = layer.output.shape[1:3], [layer.kernel]
    elif cls == "SeparableConv2D":
        positions, kernels = layer.output.shape[1:3], [layer.depthwise_kernel, layer.pointwise_kernel]
    elif cls == "Conv2DTranspose":
        positions, kernels = layer.input.shape[1:3], [layer.kernel]
    elif cls == "Dense":
        positions, kernels = layer.input.shape[1:-1], [layer.kernel]
    else:
        return 0
    if None in positions:
        return None
    return math.prod(positions) * sum(math.prod(int(d) for d in k.shape) for k in kernels)


def total(values: list[Optional[int]]) -> Optional[int]:
    return None if None in values else sum(values)


def check_against_keras(doc: dict, fmt: str) -> None:
    import keras

    keras.backend.clear_session()
    expected = predict(doc)
    spec = load(doc, fmt)
    summary = modelspec.analyze(spec).summary(spec.name)
    model = modelspec.build(spec)  # check_model compares too; the asserts below do it independently
    built = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    rows = summary["layers"]
    assert [layer.name for layer in built] == [row["name"] for row in rows]
    macs = {}
    for layer, row in zip(built, rows):
        macs[layer.name] = keras_macs(layer)
        assert type(layer).__name__ == row["class"], row["name"]
        assert list(layer.output.shape[1:]) == row["output_shape"], row["name"]
        assert layer.count_params() == row["params"], row["name"]
        assert macs[layer.name] == row["macs"], (row["name"], row["class"], macs[layer.name], row["macs"])
    params = summary["params"]
    assert model.count_params() == params["total"]
    assert weights_size(model.trainable_weights) == params["trainable"]
    assert weights_size(model.non_trainable_weights) == params["non_trainable"]
    assert summary["macs"] == total(list(macs.values()))
    for block in summary["blocks"]:
        assert block["macs"] == total([macs[r["name"]] for r in rows if r["block"] == block["name"]]), block
    # The model's inputs and outputs, against the summary and against this file's own arithmetic.
    assert list(summary["inputs"].items()) == [(k, list(v)) for k, v in expected.inputs.items()]
    assert [list(t.shape[1:]) for t in model.inputs] == [list(v) for v in expected.inputs.values()]
    shapes = [list(t.shape[1:]) for t in model.outputs]
    assert shapes == [o["shape"] for o in summary["outputs"]] == [list(s) for _, s in expected.outputs]
    assert [o["name"] for o in summary["outputs"]] == [n for n, _ in expected.outputs]
    assert summary["output_shape"] == shapes[0]
    assert [(b["name"], b["output_shape"]) for b in summary["blocks"]] == [(n, list(s)) for n, s in expected.blocks]
    # Every layer is named under a block's name (an explicit one at any depth, or a top-level default).
    prefixes = all_names(doc, inputs=False)
    for layer in built:
        assert any(layer.name == p or layer.name.startswith(p + "_") for p in prefixes), layer.name


REGRESSIONS_A = [
    # Keras 3 cannot make the "constant" initializer from its name (KeyError: 'value').
    {"name": "m", "input": {"shape": [None, None, 1]},
     "blocks": [{"type": "vgg", "filters": 1, "kernel_initializer": "constant"}]},
    # A block named "input" clashed with the InputLayer's name (Keras: 'The name "input" is used 2 times').
    {"name": "input", "input": {"shape": [None, None, 1]},
     "blocks": [{"type": "zero_padding", "padding": 0, "name": "input"},
                {"type": "dropout", "rate": 0.5, "name": "input_1"}]},
    # A concat parallel's axis is an axis of its branch outputs, whose rank may differ from its input's; the
    # static pass checked it against the input ("axis 3 is not an axis of a sample of rank 1"), Keras builds it.
    {"name": "m", "input": {"shape": [12]},
     "blocks": [{"type": "parallel", "merge": "concat", "axis": 3,
                 "branches": [[{"type": "reshape", "shape": [2, 2, 3]}], [{"type": "reshape", "shape": [3, 2, 2]},
                                                                         {"type": "reshape", "shape": [2, 2, 3]}]]}]},
]


# The MACs of the layers whose count depends on more than the output map (contract v2 section 5: "dense on a
# map: positions x in x units"; "transposed: input positions x kh x kw x in x filters"), always in the run.
MACS_EXAMPLE = {
    "name": "macs", "inputs": {"map": {"shape": [5, 3, 4]}, "small": {"shape": [3, 5, 2]}},
    "blocks": [
        {"type": "dense", "units": 6, "input": "map", "name": "on_map"},
        {"type": "reshape", "shape": [-1, 6]},
        {"type": "dense", "units": 2, "name": "on_rows"},
        {"type": "flatten"},
        {"type": "conv_transpose", "filters": 3, "kernel_size": 3, "strides": 2, "input": "small", "name": "up"},
        {"type": "conv_transpose", "filters": 2, "kernel_size": [2, 3], "strides": [1, 2], "padding": "same",
         "batch_norm": True},
    ],
    "outputs": ["block4", "block6"],
}


@pytest.mark.slow
@SLOW
@given(doc=valid_docs(), fmt=FORMATS)
@example(doc=REGRESSIONS_A[0], fmt="yaml")
@example(doc=REGRESSIONS_A[1], fmt="json-lines")
@example(doc=REGRESSIONS_A[2], fmt="yaml")
@example(doc=MACS_EXAMPLE, fmt="yaml-lines")
def test_keras_agrees_with_static_pass(doc, fmt):
    for t in sorted(types_in(doc)):
        event(t)
    check_against_keras(doc, fmt)


@FAST
@given(doc=valid_docs(), fmt=FORMATS)
@example(doc=MACS_EXAMPLE, fmt="json-lines")
@example(doc=REGRESSIONS_A[1], fmt="yaml")
@example(doc=REGRESSIONS_A[2], fmt="json-lines")
def test_static_pass_accepts_valid_graphs(doc, fmt):
    """Without TensorFlow: every drawn graph is valid, with the inputs, outputs and block shapes predicted."""
    expected = predict(doc)
    summary = modelspec.analyze(load(doc, fmt)).summary(doc["name"])
    assert list(summary["inputs"].items()) == [(k, list(v)) for k, v in expected.inputs.items()]
    assert summary["outputs"] == [{"name": n, "shape": list(s)} for n, s in expected.outputs]
    assert summary["output_shape"] == list(expected.outputs[0][1])
    assert [(b["name"], b["output_shape"]) for b in summary["blocks"]] == [(n, list(s)) for n, s in expected.blocks]


# --------------------------------------------------------------------------- every registered type


def seeded_docs(strategy, n: int) -> list[dict]:
    """The first ``n`` examples of ``strategy`` under a fixed seed (derandomized, no example database)."""
    docs: list[dict] = []

    @settings(database=None, derandomize=True, max_examples=n, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(doc=strategy)
    def collect(doc):
        docs.append(doc)

    collect()
    return docs


@functools.lru_cache(maxsize=None)
def coverage_sample() -> tuple[dict, tuple]:
    """For each registered type, the types in COVERAGE_DRAWS seeded draws of ``valid_docs`` (property A's
    strategy) focused on it; and, from as many focused draws with every size known (so that every MACs
    figure is a number), a few docs that together hold every type (picked greedily)."""
    seen, known = {}, []
    for t in block_types():
        focus = t if t in DRAWABLE else None
        seen[t] = frozenset().union(*(types_in(d) for d in seeded_docs(valid_docs(focus), COVERAGE_DRAWS)))
        # Hypothesis' draws under a fixed seed still depend on what ran before in the process (the fuzz
        # test, say): draw more known-size graphs until the type is among them, within a bound.
        for n in (COVERAGE_DRAWS, 4 * COVERAGE_DRAWS, 16 * COVERAGE_DRAWS):
            drawn = seeded_docs(valid_docs(focus, force="known"), n)
            if any(t in types_in(d) for d in drawn):
                break
        known += drawn
    cover, missing = [], set().union(*(types_in(d) for d in known))
    while missing:
        best = max(known, key=lambda d: (len(types_in(d) & missing), -len(list(walk(d["blocks"])))))
        cover.append(best)
        missing -= types_in(best)
    return seen, tuple(cover)


def test_every_registered_type_has_a_strategy():
    registered = set(block_types())
    assert registered - STRATEGY_TYPES == set(), "registered block types this file cannot draw"
    assert STRATEGY_TYPES - registered == set(), "strategies for types that are not registered"


def test_every_registered_type_is_drawn():
    seen, _ = coverage_sample()
    never = [t for t in block_types() if t not in seen[t]]
    assert never == [], f"never drawn in {COVERAGE_DRAWS} seeded draws focused on them"


@pytest.mark.slow
def test_keras_agrees_on_every_registered_type():
    """The few seeded graphs (every size known) that together hold every registered type, built and
    compared on every run."""
    _, cover = coverage_sample()
    assert set().union(*(types_in(d) for d in cover)) >= set(block_types())
    for doc in cover:
        check_against_keras(doc, "yaml")


# --------------------------------------------------------------------------- property B: invalid specs

V1_BREAKS = ("collapse", "identity", "flatten_unknown", "flat_input", "duplicate")
GRAPH_BREAKS = ("unknown", "forward", "self", "mismatch", "dangling", "sibling", "hidden", "unused_input",
                "bad_output")
BREAKS = V1_BREAKS + GRAPH_BREAKS
FORCE = {"collapse": "map_known", "identity": "map", "flatten_unknown": "map_unknown", "unused_input": "v2"}


class Case(NamedTuple):
    doc: dict
    valid: dict  # the graph it breaks, which loads
    kind: str
    paths: tuple  # the spec paths the one problem may have
    prefix: bool = False  # ... or any path under paths[0]
    value: Optional[str] = None  # the reference the problem's column points at
    key: Optional[str] = None  # the mapping key whose value the problem's column points at
    hint: bool = False  # a did-you-mean is due
    keras: Optional[tuple] = None  # the same thing in plain Keras layers (see raw_keras), or None


def copies(block: dict) -> list[dict]:
    return [block] + [later_copy(block)] * (block.get("repeat", 1) - 1)


def fresh(draw, g: Drawn, plain: bool = False) -> str:
    """A name no block or input of ``g`` has, that no generated layer name can clash with."""
    taken = sorted(all_names(g.doc) | set(g.used))
    name = draw(st.from_regex(r"[a-z]{3,6}", fullmatch=True) if plain else names)
    if name == "input" or not name_ok(name, taken):
        name = next(f"fresh{k}" for k in range(100) if name_ok(f"fresh{k}", taken))
    return name


def visible(g: Drawn) -> dict[str, tuple]:
    """Names visible after the last block, with their shapes."""
    return {n: g.sim.shapes[t] for n, t in sorted(g.sim.root.names.items())}


def takes(draw, g: Drawn, name: str) -> dict:
    """How a new block takes ``name``: by default (it is the previous block's output), or by `input:`."""
    if g.sim.root.names[name] == g.last and draw(st.booleans()):
        return {}
    return {"input": name}


def appended(g: Drawn, *blocks: dict) -> dict:
    doc = json.loads(json.dumps(g.doc))
    doc["blocks"] += [json.loads(json.dumps(b)) for b in blocks]
    return doc


def family_ctx(doc: dict) -> Ctx:
    return Ctx(family_bn=doc.get("defaults", {}).get("batch_norm") is False)


@st.composite
def invalid_docs(draw, kinds=BREAKS):
    kind = draw(st.sampled_from(kinds))
    g = draw(graph_docs(force=FORCE.get(kind), max_blocks=3))
    return draw(BREAKERS[kind](g))


@st.composite
def break_collapse(draw, g: Drawn) -> Case:
    """A window bigger than the map (or copies that run out of rows); a crop of every row."""
    cands = [n for n, s in visible(g).items() if len(s) == 3 and (s[0] is not None or s[1] is not None)]
    assume(cands)
    src = draw(st.sampled_from(cands))
    shape = visible(g)[src]
    axis = draw(st.sampled_from([a for a in (0, 1) if shape[a] is not None]))
    n = shape[axis]
    kinds = ["conv", "max_pool", "avg_pool", "vgg", "crop"] + (["transition"] if n == 1 else [])
    t = draw(st.sampled_from([k for k in kinds if k in DRAWABLE]))
    too_big = draw(st.integers(n + 1, n + 3))
    other = draw(st.integers(1, 2)) if shape[1 - axis] is None or shape[1 - axis] >= 2 else 1
    window_ = [too_big, other] if axis == 0 else [other, too_big]
    repeat_collapse = t in ("conv", "max_pool", "avg_pool") and n >= 3 and draw(st.booleans())
    if repeat_collapse:  # the first copies fit; a later one does not
        k = draw(st.integers(2, n))
        window_ = [k, 1] if axis == 0 else [1, k]
        repeat = (n - 1) // (k - 1) + 1  # with stride 1 each copy takes k - 1 rows: enough copies to run out
    field = "pool_size"
    if t == "conv":
        b = {"type": "conv", "filters": draw(st.integers(1, 8)), "kernel_size": window_}
        field = "kernel_size"
        if repeat_collapse:
            b["repeat"] = repeat
        elif draw(st.booleans()):
            b["padding"] = "valid"
    elif t == "vgg":
        b = {"type": "vgg", "filters": draw(st.integers(1, 8)), "pool_size": window_}
    elif t == "crop":
        cut = [draw(st.integers(0, n)), 0]
        cut[1] = n - cut[0] + draw(st.integers(0, 2))
        b = {"type": "crop", "cropping": [cut, [0, 0]] if axis == 0 else [[0, 0], cut]}
        field = "cropping"
    elif t == "transition":  # its 2x2 average pool on a map of one row or column
        b = {"type": "transition", "reduction": 1.0}
        family_fields(draw, b, family_ctx(g.doc))
        field = None
    else:
        b = {"type": t, "pool_size": window_, "strides": 1 if repeat_collapse else draw(sizes(3))}
        if repeat_collapse:
            b["repeat"] = repeat
    if repeat_collapse:  # the first copy fits, so the number of copies is to blame (README, "Every refusal")
        field = "repeat"
    if "batch_norm" not in b and t in ("conv", "vgg"):
        optional(draw, b, "batch_norm", batch_norms)
    b.update(takes(draw, g, src))
    i = len(g.doc["blocks"])
    return Case(appended(g, b), g.doc, "collapse", (("blocks", i, field) if field else ("blocks", i),),
                keras=("block", shape, b))


@st.composite
def break_identity(draw, g: Drawn) -> Case:
    """shortcut: identity on a block that changes the channels (or, v1 blocks, strides)."""
    cands = [n for n, s in visible(g).items() if len(s) == 3]
    assume(cands)
    src = draw(st.sampled_from(cands))
    shape = visible(g)[src]
    channels = shape[2]
    t = draw(st.sampled_from([k for k in ("residual", "bottleneck", "preact_bottleneck") if k in DRAWABLE]))
    by_stride = t != "preact_bottleneck" and draw(st.booleans())  # else by channels
    b: dict = {"type": t, "shortcut": "identity"}
    if t == "residual":
        b["filters"] = channels if by_stride else draw(st.sampled_from([f for f in range(1, 9) if f != channels]))
    elif t == "preact_bottleneck":
        b["filters"] = draw(st.sampled_from([f for f in range(1, 5) if 4 * f != channels]))
        optional(draw, b, "strides", sizes(2))
    elif by_stride:
        f = draw(st.sampled_from([d for d in range(1, channels + 1) if channels % d == 0]))
        b.update(filters=f, expansion=channels // f)
    else:
        b["filters"] = f = draw(st.integers(1, 4))
        b["expansion"] = draw(st.sampled_from([e for e in range(1, 5) if e * f != channels]))
    if by_stride:
        s = [1, 1]
        s[draw(st.integers(0, 1))] = draw(st.integers(2, 3))
        b["strides"] = s
    if t == "preact_bottleneck":
        family_fields(draw, b, family_ctx(g.doc))
    else:
        optional(draw, b, "batch_norm", batch_norms)
    b.update(takes(draw, g, src))
    i = len(g.doc["blocks"])
    return Case(appended(g, b), g.doc, "identity", (("blocks", i, "shortcut"),),
                keras=("block", shape, b) if add_keras_would_refuse(shape, b) else None)


@st.composite
def break_flatten_unknown(draw, g: Drawn) -> Case:
    """flatten (then dense) on a tensor of unknown size."""
    cands = [n for n, s in visible(g).items() if None in s]
    assume(cands)
    src = draw(st.sampled_from(cands))
    b = {"type": "flatten", **takes(draw, g, src)}
    i = len(g.doc["blocks"])
    return Case(appended(g, b, {"type": "dense", "units": draw(st.integers(1, 8))}), g.doc, "flatten_unknown",
                (("blocks", i),), keras=("flatten", visible(g)[src]))


@st.composite
def break_flat_input(draw, g: Drawn) -> Case:
    """A 2D layer (any type that needs a map) on a tensor of rank 1 or 2."""
    vis = visible(g)
    cands = [n for n, s in vis.items() if len(s) != 3]
    helper = []
    if cands:
        src = draw(st.sampled_from(cands))
        shape, how = vis[src], takes(draw, g, src)
    else:  # pool a map flat first
        src = draw(st.sampled_from(sorted(vis)))
        helper = [{"type": draw(st.sampled_from(["global_avg_pool", "global_max_pool"])), **takes(draw, g, src)}]
        shape, how = (vis[src][2],), {}
    t = draw(st.sampled_from([t for t in SPATIAL if t in DRAWABLE]))
    b = {**draw(block_of(t, (4, 4, shape[-1]), family_ctx(g.doc))), **how}  # fields for a small map
    i = len(g.doc["blocks"]) + len(helper)
    return Case(appended(g, *helper, b), g.doc, "flat_input", (("blocks", i),), prefix=True,
                keras=("block", shape, b))


@st.composite
def break_duplicate(draw, g: Drawn) -> Case:
    """A name some earlier block, copy, model input or layer has; or the default name of the next block."""
    i = len(g.doc["blocks"])
    implicit = "input" in g.doc and g.sim.root.names.get("input") == g.sim.inputs["input"]
    names_ = [n for n in sorted(g.sim.root.names) if not (implicit and n == "input")]
    layers_ = [f"{b.get('name', f'block{j + 1}')}_{role}" for j, b in enumerate(g.doc["blocks"])
               if b.get("repeat", 1) == 1
               for role in {"vgg": ["pool"], "residual": ["add"], "bottleneck": ["add"],
                            "inception": ["concat"]}.get(b["type"], [])]
    variant = draw(st.sampled_from(["name"] * 2 + (["layer"] if layers_ else []) + ["default"]))
    shape = g.sim.shapes[g.last]
    b = draw(block_of(draw(st.sampled_from(["dropout", "activation", "batch_norm"])), shape))
    if variant == "default":  # the next block's default name, taken first
        b["name"] = f"block{i + 2}"
        return Case(appended(g, b, {"type": "dropout", "rate": 0.5}), g.doc, "duplicate", (("blocks", i + 1),),
                    keras=("names", [b["name"]] * 2))
    b["name"] = draw(st.sampled_from(names_ if variant == "name" else layers_))
    return Case(appended(g, b), g.doc, "duplicate", (("blocks", i), ("blocks", i, "name")),
                keras=("names", [b["name"]] * 2))


@st.composite
def break_unknown(draw, g: Drawn) -> Case:
    """A reference to a name nothing has: a typo of a visible one (then a did-you-mean is due), or any."""
    known = all_names(g.doc)
    base = draw(st.sampled_from(sorted(g.sim.root.names)))
    bad = base + draw(st.sampled_from(["x", "z", "q"]))
    hint = len(base) >= 4
    if bad in known or draw(st.integers(0, 3)) == 0:
        bad, hint = fresh(draw, g), False
    return draw(referring(g, "unknown", bad, hint))


@st.composite
def referring(draw, g: Drawn, kind: str, ref: str, hint: bool = False, own: Optional[str] = None,
              after: tuple = ()) -> Case:
    """A block at the end whose `input:` (or a merge's `inputs[k]`, or an inner block's `input:`) is ``ref``."""
    i = len(g.doc["blocks"])
    vis = sorted(g.sim.root.names)
    form = draw(st.integers(0, 3))
    if form == 0:
        b, at = {"type": "activation", "activation": draw(activations), "input": ref}, ("input",)
    elif form == 1:
        before = draw(st.lists(st.sampled_from(vis), min_size=1 if draw(st.booleans()) else 0, max_size=2))
        later = draw(st.lists(st.sampled_from(vis), min_size=0 if before else 1, max_size=1))
        t = draw(st.sampled_from([m for m in MERGES if m != "subtract"] if len(before) + len(later) > 1 else MERGES))
        b, at = {"type": t, "inputs": before + [ref] + later}, ("inputs", len(before))
    elif form == 2:
        b = {"type": "sequence", "blocks": [{"type": "dropout", "rate": 0.0},
                                            {"type": "activation", "activation": "relu", "input": ref}]}
        at = ("blocks", 1, "input")
    else:
        b = {"type": "parallel", "merge": draw(st.sampled_from(PARALLEL_MERGES)),
             "branches": [[], [{"type": "dropout", "rate": 0.0, "input": ref}]]}
        at = ("branches", 1, 0, "input")
    if own is not None:
        b["name"] = own
    return Case(appended(g, b, *after), g.doc, kind, (("blocks", i) + at,), value=ref, hint=hint)


@st.composite
def break_forward(draw, g: Drawn) -> Case:
    """A reference to a block (or one of its copies) that comes later."""
    i = len(g.doc["blocks"])
    later = draw(st.one_of(st.none(), st.just(fresh(draw, g))))
    c = {"type": "dropout", "rate": 0.0}
    if later is not None:
        c["name"] = later
    handle = later or f"block{i + 2}"
    ref = handle
    if draw(st.booleans()):
        c["repeat"] = draw(st.integers(2, 3))
        ref = draw(st.sampled_from([handle] + [f"{handle}_{k}" for k in range(1, c["repeat"] + 1)]))
    return draw(referring(g, "forward", ref, after=(c,)))


@st.composite
def break_self(draw, g: Drawn) -> Case:
    """A reference to the block's own name (explicit or default, a copy name), or to a block it is inside."""
    i = len(g.doc["blocks"])
    own = draw(st.one_of(st.none(), st.just(fresh(draw, g))))
    handle = own or f"block{i + 1}"
    form = draw(st.integers(0, 2))
    if form == 2:  # inside itself
        b = {"type": "sequence", "blocks": [{"type": "activation", "activation": "relu", "input": handle}]}
        if own is not None:
            b["name"] = own
        return Case(appended(g, b), g.doc, "self", (("blocks", i, "blocks", 0, "input"),), value=handle)
    if form == 1:
        b = {"type": "activation", "activation": draw(activations), "repeat": draw(st.integers(2, 3))}
        ref = draw(st.sampled_from([handle] + [f"{handle}_{k}" for k in range(1, b["repeat"] + 1)]))
        b["input"] = ref
        if own is not None:
            b["name"] = own
        return Case(appended(g, b), g.doc, "self", (("blocks", i, "input"),), value=ref)
    case = draw(referring(g, "self", handle, own=own))
    assume(case.paths[0][2] in ("input", "inputs"))  # not an inner block: the composite's own name
    return case


@st.composite
def break_mismatch(draw, g: Drawn) -> Case:
    """A merge (a merge layer over names, or a parallel's branches) of shapes that do not fit."""
    i = len(g.doc["blocks"])
    vis = visible(g)
    t = draw(st.sampled_from(MERGES))
    if draw(st.booleans()):  # among the names there are
        pairs = [(a, b) for a in vis for b in vis if not compatible(t, [vis[a], vis[b]])]
        if pairs:
            a, b = draw(st.sampled_from(pairs))
            refused = len(vis[a]) == len(vis[b]) or t == "concat"  # Keras broadcasts other ranks
            return Case(appended(g, {"type": t, "inputs": [a, b]}), g.doc, "mismatch", (("blocks", i, "inputs"),),
                        keras=("merge", t, [vis[a], vis[b]], -1) if refused else None)
    src = draw(st.sampled_from([n for n in vis if len(vis[n]) in (1, 3)] or sorted(vis)))
    shape = vis[src]
    assume(len(shape) in (1, 3))
    p, q = draw(st.permutations(draw(st.lists(st.integers(2, 6), min_size=2, max_size=2, unique=True))))
    axis = -1
    if len(shape) == 3:
        if t == "concat":
            axis = 1  # on the height: the channels must agree
        unit = lambda f: {"type": "conv", "filters": f, "kernel_size": 1}  # noqa: E731
        sides = [(shape[0], shape[1], p), (shape[0], shape[1], q)]
    else:
        if t == "concat":
            t = draw(st.sampled_from([m for m in MERGES if m != "concat"]))
        unit = lambda f: {"type": "dense", "units": f}  # noqa: E731
        sides = [(p,), (q,)]
    if draw(st.booleans()) and src in g.sim.root.names and g.sim.root.names[src] == g.last:  # parallel branches
        b = {"type": "parallel", "merge": t if t != "subtract" else "add", "branches": [[unit(p)], [unit(q)]]}
        if axis != -1:
            b["axis"] = axis
        return Case(appended(g, b), g.doc, "mismatch", (("blocks", i, "branches"),),
                    keras=("merge", b["merge"], sides, axis))
    h1, h2 = fresh(draw, g), None
    h2 = next(f"{h1}{k}x" for k in range(10) if name_ok(f"{h1}{k}x", sorted(all_names(g.doc)) + [h1]))
    b = {"type": t, "inputs": [h1, h2]}
    if axis != -1:
        b["axis"] = axis
    helpers = [{**unit(p), "name": h1, **takes(draw, g, src)}, {**unit(q), "name": h2, "input": src}]
    return Case(appended(g, *helpers, b), g.doc, "mismatch", (("blocks", i + 2, "inputs"),),
                keras=("merge", t, sides, axis))


@st.composite
def break_dangling(draw, g: Drawn) -> Case:
    """A block that takes an earlier name, leaving the previous output to nobody (or itself not an output)."""
    i = len(g.doc["blocks"])
    others = [n for n, t in sorted(g.sim.root.names.items()) if t != g.last]
    if "outputs" not in g.doc:
        assume(others)
        src = draw(st.sampled_from(others))
        where = ("blocks", i - 1)  # the previous block: no longer the default output, and nobody takes it
    else:
        src = draw(st.sampled_from(sorted(g.sim.root.names)))
        where = ("blocks", i)  # this block, not in the outputs
    b = {"type": draw(st.sampled_from(["activation", "dropout", "batch_norm"]))}
    b = {**draw(block_of(b["type"], ())), "input": src}
    return Case(appended(g, b), g.doc, "dangling", (where,))


@st.composite
def break_sibling(draw, g: Drawn) -> Case:
    """A branch that refers to a name in a sibling branch."""
    i = len(g.doc["blocks"])
    s = fresh(draw, g)
    ref: dict = {"type": "dropout", "rate": 0.0, "input": s}
    at = ("branches", 1, 0, "input")
    if draw(st.booleans()):
        ref, at = {"type": "sequence", "blocks": [ref]}, ("branches", 1, 0, "blocks", 0, "input")
    b = {"type": "parallel", "merge": draw(st.sampled_from(PARALLEL_MERGES)),
         "branches": [[{"type": "activation", "activation": draw(activations), "name": s}], [ref]]}
    return Case(appended(g, b), g.doc, "sibling", (("blocks", i) + at,), value=s)


@st.composite
def break_hidden(draw, g: Drawn) -> Case:
    """A reference, from outside, to a named block inside a repeated composite."""
    i = len(g.doc["blocks"])
    h = fresh(draw, g)
    inner = {"type": "activation", "activation": draw(activations), "name": h}
    if draw(st.booleans()):
        b = {"type": "sequence", "repeat": draw(st.integers(2, 3)), "blocks": [inner]}
    else:
        b = {"type": "parallel", "repeat": 2, "merge": draw(st.sampled_from(["add", "maximum", "average"])),
             "branches": [[], [inner]]}
    c = {"type": "dropout", "rate": 0.0, "input": h}
    return Case(appended(g, b, c), g.doc, "hidden", (("blocks", i + 1, "input"),), value=h)


@st.composite
def break_unused_input(draw, g: Drawn) -> Case:
    """A model input no block takes."""
    extra = fresh(draw, g, plain=True)
    doc = json.loads(json.dumps(g.doc))
    items = list(doc["inputs"].items())
    items.insert(draw(st.integers(0, len(items))), (extra, {"shape": draw(st.sampled_from([[4, 4, 2], [3]]))}))
    doc["inputs"] = dict(items)
    first = doc["blocks"][0]
    if first["type"] not in MERGES and "input" not in first:  # several inputs: a chain's start names its input
        first["input"] = next(iter(g.doc["inputs"]))
    return Case(doc, g.doc, "unused_input", (("inputs", extra),), key=extra)


@st.composite
def break_bad_output(draw, g: Drawn) -> Case:
    """An `outputs` entry that names nothing, names a model input, or repeats an earlier entry."""
    doc = json.loads(json.dumps(g.doc))
    outputs = doc.get("outputs") or [doc["blocks"][-1].get("name", f"block{len(doc['blocks'])}")]
    inputs = [n for n, t in g.sim.inputs.items() if g.sim.root.names.get(n) == t]
    variant = draw(st.sampled_from(["unknown", "repeat"] + (["input"] if inputs else [])))
    if variant == "repeat":
        j = draw(st.integers(0, len(outputs) - 1))
        k = draw(st.integers(j + 1, len(outputs)))
        bad = outputs[j]
    else:
        k = draw(st.integers(0, len(outputs)))
        bad = fresh(draw, g) if variant == "unknown" else draw(st.sampled_from(inputs))
    doc["outputs"] = outputs[:k] + [bad] + outputs[k:]
    return Case(doc, g.doc, "bad_output", (("outputs", k),), value=bad)


BREAKERS = {
    "collapse": break_collapse, "identity": break_identity, "flatten_unknown": break_flatten_unknown,
    "flat_input": break_flat_input, "duplicate": break_duplicate, "unknown": break_unknown,
    "forward": break_forward, "self": break_self, "mismatch": break_mismatch, "dangling": break_dangling,
    "sibling": break_sibling, "hidden": break_hidden, "unused_input": break_unused_input,
    "bad_output": break_bad_output,
}


def spec_path(path: tuple) -> str:
    """A spec path as the contract writes it: ``blocks[2].branches[0][1].input``, ``inputs.meta``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def written(text: str) -> tuple[str, ...]:
    """How a name may be written in the rendered spec: plain, or quoted (JSON, YAML)."""
    return (text, json.dumps(text), f"'{text}'")


@FAST
@given(case=invalid_docs(), fmt=LINE_FORMATS)
def test_static_pass_rejects_invalid_specs(case, fmt):
    event(case.kind)
    r = render(case.doc, fmt)
    show(r.text)
    with pytest.raises(SpecError) as info:
        modelspec.loads(r.text, json=r.as_json)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    (p,) = problems
    assert p.path in case.paths or case.prefix and p.path[:len(case.paths[0])] == case.paths[0], p
    line = r.lines[p.path[1]] if p.path[0] == "blocks" else r.head[p.path[0]]
    assert (p.file, p.line) == ("<spec>", line), p
    assert p.column is not None and p.column >= 1
    text = r.text.split("\n")[line - 1]
    if case.value is not None:  # the column points at the reference itself
        assert text[p.column - 1:].startswith(written(case.value)), (text, p.column)
    if case.key is not None:  # ... at the value of that key
        assert text[:p.column - 1].rstrip().endswith(tuple(w + ":" for w in written(case.key))), (text, p.column)
    if case.hint:
        assert "did you mean" in p.message, p.message
    assert str(info.value).startswith(f"<spec>:{line}:{p.column}: error: {spec_path(p.path)}: ")
    modelspec.loads(render(case.valid, fmt).text, json=r.as_json)  # the graph it breaks is fine


def raw_keras(what: tuple):
    """The thing ``what`` describes, made of plain Keras layers as the contract describes them."""
    import keras
    from keras import layers as L

    kind = what[0]
    if kind == "names":
        x = inp = keras.Input(shape=(4,))
        for name in what[1]:
            x = L.Activation("linear", name=name)(x)
        return keras.Model(inp, x)
    if kind == "merge":
        _, t, shapes, axis = what
        ins = [keras.Input(shape=s) for s in shapes]
        if t == "concat":
            return L.Concatenate(axis=axis)(ins)
        return {"add": L.Add, "multiply": L.Multiply, "average": L.Average, "maximum": L.Maximum,
                "subtract": L.Subtract}[t]()(ins)
    if kind == "flatten":
        return L.Dense(4)(L.Flatten()(keras.Input(shape=what[1])))
    _, shape, block = what
    x = keras.Input(shape=shape)
    t = block["type"]
    for b in copies(block):
        if t == "conv":
            x = L.Conv2D(b["filters"], b["kernel_size"], strides=b.get("strides", 1),
                         padding=b.get("padding", "valid"))(x)
        elif t == "conv_transpose":
            x = L.Conv2DTranspose(b["filters"], b["kernel_size"], strides=b.get("strides", 1),
                                  padding=b.get("padding", "valid"))(x)
        elif t in ("max_pool", "avg_pool"):
            cls = L.MaxPooling2D if t == "max_pool" else L.AveragePooling2D
            k = b.get("pool_size", 2)
            x = cls(k, strides=b.get("strides", k), padding=b.get("padding", "valid"))(x)
        elif t == "vgg":
            for _ in range(b.get("convs", 1)):
                x = L.Conv2D(b["filters"], b.get("kernel_size", 3), padding="same")(x)
            k = b.get("pool_size", 2)
            x = L.MaxPooling2D(k, strides=b.get("pool_strides", k))(x)
        elif t == "inception":
            x = L.Concatenate()([L.Conv2D(1, 1)(x), L.MaxPooling2D(3, strides=1, padding="same")(x)])
        elif t == "residual":
            y = L.Conv2D(b["filters"], b.get("kernel_size", 3), strides=b.get("strides", 1), padding="same")(x)
            y = L.Conv2D(b["filters"], b.get("kernel_size", 3), padding="same")(y)
            x = L.Add()([y, x])
        elif t == "bottleneck":
            y = L.Conv2D(b["filters"], 1, strides=b.get("strides", 1))(x)
            y = L.Conv2D(b["filters"], 3, padding="same")(y)
            y = L.Conv2D(b["filters"] * b.get("expansion", 4), 1)(y)
            x = L.Add()([x, y])
        elif t == "preact_bottleneck":  # keras resnet_v2 residual_block_v2, identity shortcut
            s = b.get("strides", 1)
            pre = L.Activation("relu")(L.BatchNormalization()(x))
            short = L.MaxPooling2D(1, strides=s)(x) if pair(s) != (1, 1) else x
            y = L.Activation("relu")(L.BatchNormalization()(L.Conv2D(b["filters"], 1, use_bias=False)(pre)))
            y = L.Conv2D(b["filters"], 3, strides=s, use_bias=False)(L.ZeroPadding2D(1)(y))
            y = L.Conv2D(4 * b["filters"], 1)(L.Activation("relu")(L.BatchNormalization()(y)))
            x = L.Add()([short, y])
        elif t == "dense_block":  # keras densenet conv_block
            y = L.Activation("relu")(L.BatchNormalization()(x))
            y = L.Conv2D(b.get("bottleneck", 4) * b.get("growth_rate", 32), 1, use_bias=False)(y)
            y = L.Activation("relu")(L.BatchNormalization()(y))
            x = L.Concatenate()([x, L.Conv2D(b.get("growth_rate", 32), 3, padding="same", use_bias=False)(y)])
        elif t == "transition":  # keras densenet transition_block
            y = L.Activation("relu")(L.BatchNormalization()(x))
            y = L.Conv2D(int(x.shape[-1] * b.get("reduction", 0.5)), 1, use_bias=False)(y)
            x = L.AveragePooling2D(2, strides=2)(y)
        elif t in ("depthwise_conv", "inverted_residual", "mbconv"):  # (a flat input fails at the depthwise conv)
            x = L.DepthwiseConv2D(b.get("kernel_size", 3), padding="same")(x)
        elif t == "separable_conv":
            x = L.SeparableConv2D(b["filters"], b["kernel_size"])(x)
        elif t == "squeeze_excite":
            x = L.Multiply()([x, L.GlobalAveragePooling2D(keepdims=True)(x)])
        elif t == "zero_padding":
            x = L.ZeroPadding2D(edges(b["padding"]))(x)
        elif t == "crop":
            x = L.Cropping2D(edges(b["cropping"]))(x)
        elif t == "upsample":
            x = L.UpSampling2D(b.get("size", 2))(x)
        elif t in ("global_avg_pool", "global_max_pool"):
            x = (L.GlobalAveragePooling2D if t == "global_avg_pool" else L.GlobalMaxPooling2D)()(x)
        else:
            raise AssertionError(f"no raw Keras form for {t}")
    return x


def add_keras_would_refuse(shape: tuple, breaker: dict) -> bool:
    """Whether Keras' Add itself refuses this identity shortcut's two inputs.

    Keras' Add broadcasts a size of 1 and cannot compare unknown sizes, so it
    builds (and for unknown sizes fails only when run) an identity that maps 1
    channel to many, or strides a map of size 1 or of unknown size. modelspec
    refuses every identity whose channels or strides differ, as the contract's
    "identity when channels and strides match" says; those cases are covered by
    the fast property only. (preact_bottleneck's strided identity is a 1x1 max
    pool: only its channels can differ.)
    """
    t = breaker["type"]
    out = breaker["filters"] * {"bottleneck": breaker.get("expansion", 4), "preact_bottleneck": 4}.get(t, 1)
    strides = (1, 1) if t == "preact_bottleneck" else pair(breaker.get("strides", 1))
    sizes_out = tuple(None if n is None else math.ceil(n / s) for n, s in zip(shape[:2], strides)) + (out,)
    return any(a is not None and b is not None and a != b and 1 not in (a, b)
               for a, b in zip(shape, sizes_out))


@pytest.mark.slow
@SLOW
@given(case=invalid_docs(kinds=V1_BREAKS + ("mismatch",)))
def test_keras_cannot_build_what_the_static_pass_rejects(case):
    """Not over-strict: the breaking block (or merge), made of plain Keras layers, fails in Keras too."""
    import keras

    keras.backend.clear_session()
    assume(case.keras is not None)
    event(case.kind)
    with pytest.raises(SpecError):
        modelspec.loads(render(case.doc, "yaml").text)
    with pytest.raises((ValueError, TypeError)):
        raw_keras(case.keras)


# --------------------------------------------------------------------------- the static pass guards Keras


@st.composite
def loose_docs(draw):
    """Specs drawn partly without looking at shapes: a valid graph, then blocks drawn for a made-up shape,
    taking the previous output or a random visible name, and merges over random visible names."""
    g = draw(graph_docs(max_blocks=3))
    doc = g.doc
    vis = sorted(g.sim.root.names)
    for _ in range(draw(st.integers(0, 2))):
        if draw(st.integers(0, 3)) == 0:
            t = draw(st.sampled_from([m for m in MERGES if m in DRAWABLE]))
            most = 2 if t == "subtract" else 3
            b = {"type": t, "inputs": draw(st.lists(st.sampled_from(vis), min_size=2, max_size=most))}
        else:
            fake = draw(st.sampled_from([(8, 8, 4), (2, 3, 1), (None, 5, 2), (6,), (3, 4)]))
            kinds = [t for t in FIELDS if t in DRAWABLE and (len(fake) == 3 or t in ANY_RANK)]
            b = draw(block_of(draw(st.sampled_from(kinds)), fake, family_ctx(doc)))
            optional(draw, b, "repeat", st.integers(1, 3))
            if draw(st.integers(0, 2)) == 0:
                b["input"] = draw(st.sampled_from(vis))
        optional(draw, b, "name", names)
        doc["blocks"].append(b)
    return doc


@pytest.mark.slow
@SLOW
@given(doc=loose_docs(), fmt=FORMATS)
@example(doc=REGRESSIONS_A[0], fmt="json-lines")
@example(doc=REGRESSIONS_A[1], fmt="yaml")
def test_no_keras_error_escapes_build(doc, fmt):
    """A spec the static pass accepts builds; one it refuses is a located SpecError, before TensorFlow."""
    import keras

    keras.backend.clear_session()
    r = render(doc, fmt)
    show(r.text)
    try:
        spec = modelspec.loads(r.text, json=r.as_json)
    except SpecError as e:
        assert all(p.path[:1] == ("blocks",) and p.line for p in e.problems), e
        return
    modelspec.build(spec)  # any exception here (Keras', or InternalError) fails the test
