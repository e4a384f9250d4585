"""Property tests: random specs through the whole path, with Keras as the oracle.

The strategies draw spec *documents* (plain dicts) over every block and layer
type, render them as YAML or JSON text, and load that text through
``modelspec.loads`` — so the loader, pydantic, ``defaults`` and the static pass
are all exercised.

* ``valid_docs`` keeps every drawn spec valid by construction: it tracks the
  running shape with this file's own window arithmetic (written from the
  contract and Keras' documented formulas, not taken from modelspec) and only
  appends a block whose every copy fits.
* ``invalid_docs`` takes a valid prefix and appends one block that breaks it in
  a known way (a window that does not fit, an identity shortcut that cannot be,
  flatten + dense on unknown sizes, a 2D layer on a flat tensor, a duplicate
  name), so the test knows which block the error must point at.

Property A (slow): every valid spec builds, and Keras' own layers agree with the
static pass row by row. Property B (fast): every invalid spec is rejected by the
static pass with an error located at the breaking block; (slow) Keras, given
the same layers by hand, cannot build them either — the static pass is not
stricter than Keras there. A third (slow) property feeds loosely drawn specs,
valid or not, to ``modelspec.build``: either ``loads`` rejects them with a
SpecError, or the build succeeds — no Keras exception may escape.

Examples: ``MODELSPEC_PROPERTY_EXAMPLES`` (default 40) for the Keras-building
properties; the fast ones run 4× that.
"""

from __future__ import annotations

import json
import math
import os
import re
from typing import Optional

import pytest
import yaml
from hypothesis import HealthCheck, assume, event, example, given, note, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import modelspec
from modelspec import SpecError

EXAMPLES = int(os.environ.get("MODELSPEC_PROPERTY_EXAMPLES", "40"))
# Keras builds take ~0.1-0.5 s: no deadline, whatever profile is loaded.
SLOW = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FAST = settings(max_examples=4 * EXAMPLES, deadline=None)

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

SPATIAL = ("vgg", "inception", "residual", "bottleneck", "conv", "max_pool", "avg_pool", "zero_padding",
           "global_avg_pool", "global_max_pool")  # need (height, width, channels)
ANY_RANK = ("dense", "dropout", "batch_norm", "activation", "flatten")
# Drawn on a (height, width, channels) map: the blocks more often than the heads that flatten it.
KINDS3 = ("vgg", "inception", "residual", "bottleneck", "conv") * 3 + (
    "max_pool", "avg_pool", "zero_padding") * 2 + ("global_avg_pool", "global_max_pool") + ANY_RANK
STRIDED = ("residual", "bottleneck", "conv", "max_pool", "avg_pool")  # have a `strides` field


# --------------------------------------------------------------------------- the test's own shape arithmetic


class Invalid(Exception):
    """The block cannot take this input (by the contract's rules, as this file computes them)."""


def pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def window(n: Optional[int], k: int, s: int, padding: str) -> Optional[int]:
    """Keras' conv/pool output length: valid ``floor((n - k) / s) + 1`` (must be >= 1); same ``ceil(n / s)``."""
    if n is None:
        return None
    if padding == "same":
        return math.ceil(n / s)
    if n < k:
        raise Invalid(f"window {k} > size {n}")
    return (n - k) // s + 1


def window2(shape, k, s, padding, channels):
    (kh, kw), (sh, sw) = pair(k), pair(s)
    return (window(shape[0], kh, sh, padding), window(shape[1], kw, sw, padding), channels)


def one_copy(block: dict, shape: tuple) -> tuple:
    """Output shape of one copy of ``block`` on ``shape`` (batch axis left out)."""
    t = block["type"]
    if t in SPATIAL and len(shape) != 3:
        raise Invalid(f"{t} needs a rank-3 input")
    if t == "vgg":
        k = block.get("pool_size", 2)
        return window2(shape, k, block.get("pool_strides", k), "valid", block["filters"])
    if t == "inception":
        pool = block.get("pool_proj", shape[2])
        return shape[:2] + (block["conv1x1"] + block["conv3x3"] + block["conv5x5"] + pool,)
    if t in ("residual", "bottleneck"):
        (sh, sw) = pair(block.get("strides", 1))
        out = block["filters"] * (block.get("expansion", 4) if t == "bottleneck" else 1)
        if block.get("shortcut") == "identity" and (out != shape[2] or (sh, sw) != (1, 1)):
            raise Invalid("identity shortcut cannot be")
        return window2(shape, 1, (sh, sw), "same", out)
    if t == "conv":
        return window2(shape, block["kernel_size"], block.get("strides", 1), block.get("padding", "valid"),
                       block["filters"])
    if t in ("max_pool", "avg_pool"):
        k = block.get("pool_size", 2)
        return window2(shape, k, block.get("strides", k), block.get("padding", "valid"), shape[2])
    if t == "zero_padding":
        r, c = pair(block["padding"])
        return (None if shape[0] is None else shape[0] + 2 * r, None if shape[1] is None else shape[1] + 2 * c,
                shape[2])
    if t in ("global_avg_pool", "global_max_pool"):
        return (shape[2],)
    if t == "flatten":
        if None in shape:
            raise Invalid("flatten needs known sizes")
        return (math.prod(shape),)
    if t == "dense":
        if None in shape:  # modelspec refuses a dense over a map of unknown size (README, issue 2)
            raise Invalid("dense on unknown sizes")
        return shape[:-1] + (block["units"],)
    return shape  # dropout, batch_norm, activation


def copies(block: dict) -> list[dict]:
    """The copies ``repeat`` stacks: strides (when the type has them) on the first copy only;
    later copies take the default (1, or for pools the pool size)."""
    n = block.get("repeat", 1)
    later = block
    if block["type"] in ("max_pool", "avg_pool"):
        later = {k: v for k, v in block.items() if k != "strides"}
    elif block["type"] in STRIDED:
        later = {**block, "strides": 1}
    return [block] + [later] * (n - 1)


def simulate(block: dict, shape: tuple) -> tuple:
    for copy in copies(block):
        shape = one_copy(copy, shape)
    return shape


# --------------------------------------------------------------------------- strategies

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
batch_norms = st.one_of(
    st.booleans(),
    st.fixed_dictionaries({}, optional={"epsilon": epsilons, "momentum": momenta}),
)
WORDS = ("input", "stem", "head", "res", "a.b", "x-1", "_p", "Incep", "out", "conv", "fc")
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


def conv_fields(draw, block: dict) -> None:
    optional(draw, block, "activation", activations)
    optional(draw, block, "batch_norm", batch_norms)
    optional(draw, block, "use_bias", st.booleans())
    optional(draw, block, "kernel_initializer", initializers)


@st.composite
def block_of(draw, t: str, shape: tuple) -> dict:
    """A schema-valid block of type ``t``, its sizes loosely fitted to ``shape`` (the caller checks the fit)."""
    b: dict = {"type": t}
    channels = shape[-1]
    if t == "vgg":
        b["filters"] = draw(st.integers(1, 8))
        optional(draw, b, "convs", st.integers(1, 3))
        optional(draw, b, "kernel_size", sizes(5))
        optional(draw, b, "pool_size", windows(shape, 3))
        optional(draw, b, "pool_strides", sizes(3))
        conv_fields(draw, b)
    elif t == "inception":
        for f in ("conv1x1", "conv3x3", "conv5x5"):
            b[f] = draw(st.integers(0, 6))
        if b["conv3x3"]:
            optional(draw, b, "reduce3x3", st.integers(1, 6))
        if b["conv5x5"]:
            optional(draw, b, "reduce5x5", st.integers(1, 6))
        optional(draw, b, "pool_proj", st.integers(1, 6))
        optional(draw, b, "pool_size", sizes(5))
        conv_fields(draw, b)
    elif t == "residual":
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
    elif t == "bottleneck":
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
    elif t == "conv":
        b["filters"] = draw(st.integers(1, 8))
        b["kernel_size"] = draw(windows(shape, 5))
        optional(draw, b, "strides", sizes(3))
        optional(draw, b, "padding", st.sampled_from(["valid", "same"]))
        conv_fields(draw, b)
    elif t in ("max_pool", "avg_pool"):
        optional(draw, b, "pool_size", windows(shape, 4))
        optional(draw, b, "strides", sizes(3))
        optional(draw, b, "padding", st.sampled_from(["valid", "same"]))
    elif t == "zero_padding":
        b["padding"] = draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), min_size=2, max_size=2)))
    elif t == "dense":
        b["units"] = draw(st.integers(1, 8))
        optional(draw, b, "activation", activations)
        optional(draw, b, "use_bias", st.booleans())
        optional(draw, b, "kernel_initializer", initializers)
    elif t == "dropout":
        b["rate"] = draw(st.one_of(st.just(0.0), st.floats(0, 0.9, allow_subnormal=False)))
    elif t == "batch_norm":
        optional(draw, b, "epsilon", epsilons)
        optional(draw, b, "momentum", momenta)
    elif t == "activation":
        b["activation"] = draw(activations)
    return b


@st.composite
def headers(draw) -> dict:
    """Everything but the blocks: name, description, input, defaults, a JSON `$schema`."""
    doc: dict = {}
    if draw(st.booleans()):
        doc["$schema"] = "../schemas/modelspec.schema.json"
    doc["name"] = draw(names)
    if draw(st.integers(0, 3)) == 0:
        doc["description"] = draw(st.text(st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=20))
    side = st.one_of(st.integers(1, 8), st.integers(1, 32), st.none())  # null about a third of the time
    doc["input"] = {"shape": [draw(side), draw(side), draw(st.integers(1, 8))]}
    if draw(st.booleans()):
        doc["defaults"] = draw(st.fixed_dictionaries({}, optional={
            "activation": activations, "batch_norm": batch_norms,
            "kernel_initializer": initializers, "use_bias": st.booleans()}))
    return doc


@st.composite
def valid_blocks(draw, shape: tuple, used: list[str], max_blocks: int = 5, min_blocks: int = 1):
    """Blocks that fit ``shape`` one after the other; returns (blocks, output shape)."""
    blocks: list[dict] = []
    for _ in range(draw(st.integers(min_blocks, max_blocks))):
        for _attempt in range(2):  # a block that does not fit is drawn again, then left out
            b = draw(block_of(draw(st.sampled_from(KINDS3 if len(shape) == 3 else ANY_RANK)), shape))
            optional(draw, b, "repeat", st.integers(1, 3))
            if draw(st.integers(0, 2)) == 0:
                name = draw(names)
                if name_ok(name, used):
                    b["name"] = name
            try:
                out = simulate(b, shape)
                break
            except Invalid:
                continue
        else:
            continue
        if "name" in b:
            used.append(b["name"])
        blocks.append(b)
        shape = out
    if not blocks and min_blocks:  # every draw collapsed: a block that always fits
        blocks.append({"type": "activation", "activation": draw(activations)})
    return blocks, shape


@st.composite
def valid_docs(draw):
    """(document, the output shape this file predicts for it)."""
    doc = draw(headers())
    blocks, shape = draw(valid_blocks(tuple(doc["input"]["shape"]), []))
    doc["blocks"] = blocks
    return doc, shape


FORMATS = st.sampled_from(["yaml", "yaml-lines", "json-lines"])
LINE_FORMATS = st.sampled_from(["yaml-lines", "json-lines"])  # one block per line: the line of a block is known


def render(doc: dict, fmt: str) -> tuple[str, bool, list[int]]:
    """(text, is JSON, 1-based line of each block; empty for free-form YAML)."""
    head = {k: v for k, v in doc.items() if k != "blocks"}
    if fmt == "yaml":
        head.pop("$schema", None)
        return yaml.safe_dump({**head, "blocks": doc["blocks"]}, sort_keys=False), False, []
    if fmt == "yaml-lines":
        head.pop("$schema", None)
        text = yaml.safe_dump(head, sort_keys=False, width=10**6) + "blocks:\n"
        first = text.count("\n") + 1
        rows = [yaml.safe_dump(b, default_flow_style=True, width=10**6).strip() for b in doc["blocks"]]
        return text + "".join(f"- {r}\n" for r in rows), False, [first + i for i in range(len(rows))]
    lines = ["{"] + [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in head.items()] + ['  "blocks": [']
    first = len(lines) + 1
    rows = [json.dumps(b) for b in doc["blocks"]]
    lines += [f"    {r}," for r in rows[:-1]] + [f"    {rows[-1]}", "  ]", "}"]
    return "\n".join(lines) + "\n", True, [first + i for i in range(len(rows))]


def show(text: str) -> None:
    """Print the spec text with a failing example (and not fail when called outside hypothesis)."""
    try:
        note(text)
    except InvalidArgument:
        pass


def load(doc: dict, fmt: str):
    text, as_json, lines = render(doc, fmt)
    show(text)
    return modelspec.loads(text, json=as_json), lines


def block_names(doc: dict) -> list[str]:
    return [b.get("name", f"block{i + 1}") for i, b in enumerate(doc["blocks"])]


def weights_size(weights) -> int:
    return sum(math.prod(int(d) for d in w.shape) for w in weights)


# --------------------------------------------------------------------------- property A: Keras agrees


def check_against_keras(doc: dict, shape: tuple, fmt: str) -> None:
    import keras

    keras.backend.clear_session()
    spec, _ = load(doc, fmt)
    summary = modelspec.analyze(spec).summary(spec.name)
    model = modelspec.build(spec)  # check_model compares too; the asserts below do it independently
    built = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    rows = summary["layers"]
    assert [layer.name for layer in built] == [row["name"] for row in rows]
    for layer, row in zip(built, rows):
        assert type(layer).__name__ == row["class"], row["name"]
        assert list(layer.output.shape[1:]) == row["output_shape"], row["name"]
        assert layer.count_params() == row["params"], row["name"]
    params = summary["params"]
    assert model.count_params() == params["total"]
    assert weights_size(model.trainable_weights) == params["trainable"]
    assert weights_size(model.non_trainable_weights) == params["non_trainable"]
    # Against this file's own arithmetic: the model's output, and layer names under the block names.
    assert list(model.output.shape[1:]) == list(shape) == summary["output_shape"]
    prefixes = block_names(doc)
    for layer in built:
        assert any(layer.name == p or layer.name.startswith(p + "_") for p in prefixes), layer.name


REGRESSIONS_A = [
    # Keras 3 cannot make the "constant" initializer from its name (KeyError: 'value').
    ({"name": "m", "input": {"shape": [None, None, 1]},
      "blocks": [{"type": "vgg", "filters": 1, "kernel_initializer": "constant"}]}, (None, None, 1)),
    # A block named "input" clashed with the InputLayer's name (Keras: 'The name "input" is used 2 times').
    ({"name": "input", "input": {"shape": [None, None, 1]},
      "blocks": [{"type": "zero_padding", "padding": 0, "name": "input"},
                 {"type": "dropout", "rate": 0.5, "name": "input_1"}]}, (None, None, 1)),
]


@pytest.mark.slow
@SLOW
@given(case=valid_docs(), fmt=FORMATS)
@example(case=REGRESSIONS_A[0], fmt="yaml")
@example(case=REGRESSIONS_A[1], fmt="json-lines")
def test_keras_agrees_with_static_pass(case, fmt):
    doc, shape = case
    check_against_keras(doc, shape, fmt)


# --------------------------------------------------------------------------- property B: invalid specs

BREAKS = ("collapse", "identity", "flatten_unknown", "flat_input", "duplicate")


@st.composite
def invalid_docs(draw):
    """(document, index of the breaking block, kind, shape that block gets, the breaking block)."""
    doc = draw(headers())
    kind = draw(st.sampled_from(BREAKS))
    if kind == "flatten_unknown":  # an input of unknown size, kept unknown by a same-padded prefix
        doc["input"]["shape"][draw(st.integers(0, 1))] = None
    used: list[str] = []
    prefix, shape = draw(valid_blocks(tuple(doc["input"]["shape"]), used, max_blocks=3, min_blocks=0))
    if kind == "flatten_unknown" and (len(shape) != 3 or None not in shape):
        prefix, shape = [], tuple(doc["input"]["shape"])
    if kind == "collapse" and (len(shape) != 3 or shape[0] is None and shape[1] is None):
        prefix, shape = [], tuple(doc["input"]["shape"])
        if shape[0] is None and shape[1] is None:
            doc["input"]["shape"][0] = draw(st.integers(1, 32))
            shape = tuple(doc["input"]["shape"])
    if kind in ("identity",) and len(shape) != 3:
        prefix, shape = [], tuple(doc["input"]["shape"])
    if kind == "flat_input" and len(shape) != 1:
        flat = draw(st.sampled_from(["global_avg_pool", "global_max_pool"]) if None in shape
                    else st.sampled_from(["global_avg_pool", "global_max_pool", "flatten"]))
        prefix = prefix + [{"type": flat}]
        shape = simulate(prefix[-1], shape)
    breaker = draw(breaking_block(kind, shape, prefix, used))
    blocks = prefix + [breaker]
    if kind == "flatten_unknown":
        blocks.append({"type": "dense", "units": draw(st.integers(1, 8))})
    doc["blocks"] = blocks
    return doc, len(prefix), kind, shape, breaker


@st.composite
def breaking_block(draw, kind: str, shape: tuple, prefix: list[dict], used: list[str]) -> dict:
    if kind == "collapse":
        axis = draw(st.sampled_from([a for a in (0, 1) if shape[a] is not None]))
        n = shape[axis]
        t = draw(st.sampled_from(["conv", "max_pool", "avg_pool", "vgg"]))
        too_big = draw(st.integers(n + 1, n + 3))
        other = draw(st.integers(1, 2)) if shape[1 - axis] is None or shape[1 - axis] >= 2 else 1
        window_ = [too_big, other] if axis == 0 else [other, too_big]
        repeat_collapse = t in ("conv", "max_pool", "avg_pool") and n >= 3 and draw(st.booleans())
        if repeat_collapse:  # the first copies fit; a later one does not
            k = draw(st.integers(2, n))
            window_ = [k, 1] if axis == 0 else [1, k]
            # with stride 1 each copy takes k - 1 rows: enough copies to run out
            repeat = (n - 1) // (k - 1) + 1
        if t == "conv":
            b = {"type": "conv", "filters": draw(st.integers(1, 8)), "kernel_size": window_}
            if repeat_collapse:
                b["repeat"] = repeat
            elif draw(st.booleans()):
                b["padding"] = "valid"
        elif t == "vgg":
            b = {"type": "vgg", "filters": draw(st.integers(1, 8)), "pool_size": window_}
        else:
            b = {"type": t, "pool_size": window_, "strides": 1 if repeat_collapse else draw(sizes(3))}
            if repeat_collapse:
                b["repeat"] = repeat
        if "batch_norm" not in b and t in ("conv", "vgg"):
            optional(draw, b, "batch_norm", batch_norms)
        return b
    if kind == "identity":
        t = draw(st.sampled_from(["residual", "bottleneck"]))
        channels = shape[2]
        by_stride = draw(st.booleans())  # else by channels
        b: dict = {"type": t, "shortcut": "identity"}
        if t == "residual":
            b["filters"] = channels if by_stride else draw(st.sampled_from([f for f in range(1, 9) if f != channels]))
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
        optional(draw, b, "batch_norm", batch_norms)
        return b
    if kind == "flatten_unknown":
        return {"type": "flatten"}
    if kind == "flat_input":
        t = draw(st.sampled_from(SPATIAL))
        return draw(block_of(t, (4, 4) + shape))  # fields for a small map; the input is flat
    # duplicate: an explicit name equal to an earlier block's name or one of its layers' names
    earlier = block_names({"blocks": prefix}) if prefix else []
    b = draw(block_of(draw(st.sampled_from(["dropout", "activation", "batch_norm"])), shape))
    if earlier:
        j = draw(st.integers(0, len(prefix) - 1))
        b["name"] = earlier[j]
        if prefix[j]["type"] == "vgg" and prefix[j].get("repeat", 1) == 1 and draw(st.booleans()):
            b["name"] = earlier[j] + "_pool"  # a layer of that block
    else:  # no earlier block: this one takes the default name of the one after it, which repeats it
        b["name"] = "block2"
    return b


def expected_index(doc: dict, index: int, kind: str) -> int:
    """Where the error must point: the breaking block, or (duplicate with no prefix) the one after."""
    if kind == "duplicate" and index == 0:
        return 1
    return index


@st.composite
def invalid_docs_complete(draw):
    doc, index, kind, shape, breaker = draw(invalid_docs())
    if kind == "duplicate" and index == 0:  # add the block whose default name "block2" is taken
        doc["blocks"].append({"type": "dropout", "rate": 0.5})
    return doc, index, kind, shape, breaker


@FAST
@given(case=invalid_docs_complete(), fmt=LINE_FORMATS)
def test_static_pass_rejects_invalid_specs(case, fmt):
    doc, index, kind, shape, breaker = case
    event(f"{kind}: {breaker['type']}")
    text, as_json, lines = render(doc, fmt)
    show(text)
    with pytest.raises(SpecError) as info:
        modelspec.loads(text, json=as_json)
    problems = info.value.problems
    where = expected_index(doc, index, kind)
    assert len(problems) == 1
    (p,) = problems
    assert p.path[:2] == ("blocks", where), p
    assert (p.file, p.line) == ("<spec>", lines[where]), p
    assert p.column is not None and p.column >= 1
    if kind == "identity":
        assert p.path == ("blocks", where, "shortcut"), p
    elif kind == "duplicate":
        assert p.path in (("blocks", where), ("blocks", where, "name")), p
    elif kind == "collapse":
        assert p.path[2:] in (("kernel_size",), ("pool_size",)), p
    rendered = str(info.value)
    assert rendered.startswith(f"<spec>:{lines[where]}:{p.column}: error: blocks[{where}]")
    # the same blocks without the breaking one (and what follows it) are fine
    if where > 0:
        modelspec.loads(render({**doc, "blocks": doc["blocks"][:where]}, fmt)[0], json=as_json)


def raw_keras(kind: str, shape: tuple, block: dict, taken: list[str]):
    """Build ``block`` on an input of ``shape`` with plain Keras layers, as the contract describes it."""
    import keras
    from keras import layers as L

    x = inp = keras.Input(shape=shape)
    if kind == "duplicate":
        for name in taken + [block["name"]]:
            x = L.Activation("linear", name=name)(x)
        return keras.Model(inp, x)
    if kind == "flatten_unknown":
        return L.Dense(4)(L.Flatten()(x))
    t = block["type"]
    for i, b in enumerate(copies(block)):
        if t == "conv":
            x = L.Conv2D(b["filters"], b["kernel_size"], strides=b.get("strides", 1),
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
        elif t == "zero_padding":
            x = L.ZeroPadding2D(b["padding"])(x)
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
    the fast property only.
    """
    out = breaker["filters"] * (breaker.get("expansion", 4) if breaker["type"] == "bottleneck" else 1)
    sizes_in = (shape[0], shape[1], shape[2])
    strides = pair(breaker.get("strides", 1))
    sizes_out = tuple(None if n is None else math.ceil(n / s) for n, s in zip(shape[:2], strides)) + (out,)
    return any(a is not None and b is not None and a != b and 1 not in (a, b)
               for a, b in zip(sizes_in, sizes_out))


@pytest.mark.slow
@SLOW
@given(case=invalid_docs_complete())
def test_keras_cannot_build_what_the_static_pass_rejects(case):
    """Not over-strict: the breaking block, made of plain Keras layers, fails in Keras too."""
    import keras

    keras.backend.clear_session()
    doc, index, kind, shape, breaker = case
    if kind == "identity":
        assume(add_keras_would_refuse(shape, breaker))
    event(f"{kind}: {breaker['type']}")
    with pytest.raises(SpecError):
        modelspec.loads(render(doc, "yaml")[0])
    taken = []
    if kind == "duplicate":
        taken = [breaker["name"]] if index == 0 else block_names({"blocks": doc["blocks"][:index]})
        if index and breaker["name"].endswith("_pool"):
            taken.append(breaker["name"])
    with pytest.raises((ValueError, TypeError)):
        raw_keras(kind, shape, breaker, taken)


# --------------------------------------------------------------------------- the static pass guards Keras


@st.composite
def loose_docs(draw):
    """Specs drawn without looking at shapes: a valid prefix, then blocks drawn for a made-up shape."""
    doc = draw(headers())
    used: list[str] = []
    blocks, shape = draw(valid_blocks(tuple(doc["input"]["shape"]), used, max_blocks=3))
    for _ in range(draw(st.integers(0, 2))):
        fake = draw(st.sampled_from([(8, 8, 4), (2, 3, 1), (None, 5, 2), (6,)]))
        kinds = SPATIAL + ANY_RANK if len(fake) == 3 else ANY_RANK
        b = draw(block_of(draw(st.sampled_from(kinds)), fake))
        optional(draw, b, "repeat", st.integers(1, 3))
        optional(draw, b, "name", names)
        blocks.append(b)
    doc["blocks"] = blocks
    return doc


@pytest.mark.slow
@SLOW
@given(doc=loose_docs(), fmt=FORMATS)
@example(doc=REGRESSIONS_A[0][0], fmt="json-lines")
@example(doc=REGRESSIONS_A[1][0], fmt="yaml")
def test_no_keras_error_escapes_build(doc, fmt):
    """A spec the static pass accepts builds; one it refuses is a located SpecError, before TensorFlow."""
    import keras

    keras.backend.clear_session()
    text, as_json, _ = render(doc, fmt)
    show(text)
    try:
        spec = modelspec.loads(text, json=as_json)
    except SpecError as e:
        assert all(p.path[:1] == ("blocks",) and p.line for p in e.problems), e
        return
    modelspec.build(spec)  # any exception here (Keras', or InternalError) fails the test
