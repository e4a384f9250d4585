"""Fuzzing: mutated bundled specs are a valid model or a located spec error, never anything else.

Each example takes a bundled spec from ``specs/`` (as written, or as JSON) and
mutates it — as text (truncate it, insert random bytes, delete a span, duplicate
or swap lines, replace a token by a troublesome one) or as data (delete,
duplicate, swap or rename keys, change a scalar's type or value) — then runs
the static pass only (no TensorFlow): read, validate, infer every shape.

The outcome must be a checked layer graph, or a SpecError whose every problem
has the file, a line and column inside the text, and a spec path, and renders
as one contract line. Any other exception fails the test.

The regular suite runs 2,000 seeded examples (the conftest derandomizes when CI
is set); ``MODELSPEC_FUZZ_EXAMPLES=100000 pytest tests/test_fuzz.py`` runs longer.
"""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from modelspec.analysis import analyze
from modelspec.blocks import block_class
from modelspec.errors import SpecError, render
from modelspec.limits import MAX_BYTES
from modelspec.loader import parse_text
from modelspec.spec import ModelSpec, parse_spec

EXAMPLES = int(os.environ.get("MODELSPEC_FUZZ_EXAMPLES", "2000"))
SPECS = sorted((Path(__file__).resolve().parent.parent / "specs").glob("*.yaml"))
assert SPECS, "no bundled specs"

# (name, text, is JSON): every bundled spec as written, and as JSON with a "$schema" key
SEEDS = [(p.name, p.read_text(encoding="utf-8"), False) for p in SPECS] + [
    (p.with_suffix(".json").name,
     json.dumps({"$schema": "../schemas/modelspec.schema.json", **yaml.safe_load(p.read_text())}, indent=2),
     True)
    for p in SPECS
]

LINE = re.compile(r"^[^\n]+:\d+:\d+: error: \S+: [^\n]+$")

# Tokens that have tripped YAML readers and validators before.
TOKENS = [
    "yes", "no", "on", "off", "y", "n", "010", "0o10", "0x10", "09", "1e3", "1e-4", "1E400", ".inf", "-.inf", ".nan",
    "NaN", "Infinity", "true", "True", "null", "~", "64.0", "64.5", "-1", "0", "-0", "1_000", "99999999999999999999",
    "9" * 120, "''", '""', "'64'", "[1, 2]", "[]", "{}", "{a: 1}", "*x", "&x", "&x [1, *x]", "!!str", "!!int",
    "!!float", "!!python/object/apply:os.system ['true']", "!!binary AAAA", "!custom", "<<", "<<: *x", "- ",
    ": ", "? ", "#", "%YAML 1.1", "---", "...", "\t", "\\", '"\\0"', '"\\ud800"', "\\u0000", "@", "`", "|", ">",
    "\ufeff", "\u2028", "\x85", "\x00", "\x1b", "é", "東", "\U0001F600", "vgg", "incepton", "filter", "relu",
    "reluu", "identity", "same", "$schema", '"', "'", "[", "]", "{", "}", ",", "\n", "\r", "\r\n",
]
KEYS = [
    "type", "name", "filters", "filter", "convs", "kernel_size", "pool_size", "pool_strides", "strides",
    "activation", "batch_norm", "use_bias", "kernel_initializer", "units", "rate", "padding", "shortcut",
    "expansion", "conv1x1", "conv3x3", "conv5x5", "reduce3x3", "reduce5x5", "pool_proj", "repeat", "epsilon",
    "momentum", "shape", "input", "blocks", "defaults", "description", "$schema", "<<", "1", "true", "",
]
VALUES = [
    0, 1, 2, 3, 5, 16, 33, 100, 300, -1, 7, 64, 10**9, 10**30, 2**63, 64.0, 0.5, 1e-4, 1e300, True, False, None,
    [8, 8, 3], [1, 1, 3], [3, 3, 1], [4, 300], [7, 7], "", "relu", "same",
    "valid", "identity", "projection", "vgg", "conv", "inception", "dense", "flatten", "he_normal", "x" * 300,
    [], [1], [2, 2], [0, 1], [1, 2, 3], [None, None, 3], [64, 64, 3], {}, {"epsilon": 0.1}, {"momentum": 1},
    {"type": "vgg", "filters": 4}, {"type": "flatten"}, {"type": "global_avg_pool"},
]
SCALAR = re.compile(r"(?<![\w.-])[\w.+-]+(?![\w.-])")


# --------------------------------------------------------------------------- text mutations


@st.composite
def text_mutation(draw, text: str) -> str:
    n = len(text)
    op = draw(st.sampled_from(["truncate", "insert_bytes", "delete", "duplicate_line", "swap_lines",
                               "replace_token", "insert_token"]))
    at = draw(st.integers(0, n))
    if op == "truncate":
        return text[:at]
    if op == "delete":
        return text[:at] + text[at + draw(st.integers(1, 40)):]
    if op == "insert_token":
        return text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
    lines = text.splitlines(keepends=True)
    if op in ("duplicate_line", "swap_lines") and lines:
        i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
        if op == "duplicate_line":  # a duplicate key, at whatever depth the line is
            lines.insert(j, lines[i])
        else:
            lines[i], lines[j] = lines[j], lines[i]
        return "".join(lines)
    if op == "replace_token":
        tokens = list(SCALAR.finditer(text))
        if tokens:
            m = tokens[draw(st.integers(0, len(tokens) - 1))]
            return text[: m.start()] + draw(st.sampled_from(TOKENS + KEYS)) + text[m.end():]
    return text  # insert_bytes is done on the encoded text


# --------------------------------------------------------------------------- data mutations


def _containers(node, path=()):
    yield node
    items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
    for child in items:
        if isinstance(child, (dict, list)):
            yield from _containers(child)


# Values that pass the schema but may break the model: shapes that collapse, shortcuts that
# cannot be identity, names that collide, sizes over budget.
TWEAKS = {
    "kernel_size": [1, 3, 7, 33, 300, [1, 300]], "pool_size": [1, 2, 3, 64, 300, [2, 64]],
    "strides": [1, 2, 7, 64, [1, 9]], "pool_strides": [1, 3, 50], "shortcut": ["identity", "projection"],
    "filters": [1, 3, 64, 10**9], "units": [1, 10**9], "repeat": [2, 5, 50, 20_000], "padding": ["valid", "same"],
    "convs": [1, 4, 40], "name": ["block1", "a", "a_conv1", "block2_conv1", "input"],
    "expansion": [1, 4, 1000], "conv1x1": [0, 8], "conv3x3": [0, 8], "conv5x5": [0, 8],
}
SHAPES = [[8, 8, 3], [1, 1, 3], [None, None, 3], [300, 300, 3], [64, None, 1], [100000, 100000, 3]]


@st.composite
def data_mutation(draw, data):
    data = copy.deepcopy(data)
    if isinstance(data.get("blocks"), list) and data["blocks"] and draw(st.booleans()):
        for _ in range(draw(st.integers(1, 2))):  # a tweak the schema lets through
            if draw(st.integers(0, 4)) == 0 and isinstance(data.get("input"), dict):
                data["input"]["shape"] = copy.deepcopy(draw(st.sampled_from(SHAPES)))
                continue
            block = draw(st.sampled_from(data["blocks"]))
            fields = sorted(set(TWEAKS) & set(block_class(block["type"]).model_fields))  # name at least
            field = draw(st.sampled_from(fields))
            block[field] = copy.deepcopy(draw(st.sampled_from(TWEAKS[field])))
        return data
    for _ in range(draw(st.integers(1, 3))):
        containers = list(_containers(data))
        node = containers[draw(st.integers(0, len(containers) - 1))]
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "rename", "set", "retype"]))
        value = copy.deepcopy(draw(st.sampled_from(VALUES)))
        if not keys:
            if isinstance(node, dict):
                node[draw(st.sampled_from(KEYS))] = value
            else:
                node.append(value)
            continue
        key = draw(st.sampled_from(keys))
        if op == "delete":
            del node[key]
        elif op == "duplicate" and isinstance(node, list):
            node.insert(key, copy.deepcopy(node[key]))
        elif op == "duplicate":  # a second key with the same value under another name
            node[draw(st.sampled_from(KEYS))] = copy.deepcopy(node[key])
        elif op == "swap":
            other = draw(st.sampled_from(keys))
            node[key], node[other] = node[other], node[key]
        elif op == "rename" and isinstance(node, dict):
            node[draw(st.sampled_from(KEYS))] = node.pop(key)
        elif op == "retype":  # the same value as another type: 64 -> "64", 64.0, [64], true
            old = node[key]
            node[key] = draw(st.sampled_from([str(old), [old], {"value": old}, bool(old) if not isinstance(
                old, (dict, list)) else old, float(old) if isinstance(old, int) else old]))
        else:
            node[key] = value
    return data


def dump(data, as_json: bool, style: str) -> str:
    if as_json:
        return json.dumps(data, indent=2 if style == "block" else None, ensure_ascii=style == "ascii")
    return yaml.safe_dump(data, default_flow_style=None if style == "block" else True, sort_keys=False,
                          allow_unicode=style != "ascii", width=10**6)


@st.composite
def mutated_spec(draw) -> tuple[str, bytes, bool]:
    """Half the examples change the data only (schema and static-pass errors, valid models),
    a quarter change the data then the text, a quarter the text only; one in eight gets random bytes."""
    name, text, as_json = draw(st.sampled_from(SEEDS))
    mode = draw(st.sampled_from(["data", "data", "data+text", "text"]))
    if mode.startswith("data"):
        data = yaml.safe_load(text) if not as_json else json.loads(text)
        data = draw(data_mutation(data))
        as_json = draw(st.booleans())
        text = dump(data, as_json, draw(st.sampled_from(["block", "flow", "ascii"])))
    for _ in range(draw(st.integers(1, 2)) if mode.endswith("text") else 0):
        text = draw(text_mutation(text))
    raw = text.encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 7)) == 0:
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
    return (name.rsplit(".", 1)[0] + (".json" if as_json else ".yaml")), raw, as_json


# --------------------------------------------------------------------------- the property


def check(name: str, raw: bytes, as_json: bool) -> str:
    """Run the static pass on one input, check its outcome and say what it was."""
    try:
        spec = parse_spec(parse_text(raw, name, as_json=as_json))
        graph = analyze(spec)
    except SpecError as e:
        assert e.problems, "a SpecError without problems"
        text = raw.decode("utf-8", "replace").removeprefix("\ufeff")
        lines = re.split("\r\n|\r|\n", text)
        for p in e.problems:
            assert p.file == name, p
            assert isinstance(p.line, int) and isinstance(p.column, int), p
            assert 1 <= p.line <= len(lines), (p, len(lines))
            if len(raw) <= MAX_BYTES:  # a line's last column + 1 is where a missing thing would go
                assert 1 <= p.column <= len(lines[p.line - 1]) + 1, (p, lines[p.line - 1])
            assert isinstance(p.path, tuple) and all(isinstance(k, (str, int)) for k in p.path), p
            assert p.message, p
            assert LINE.match(render(p)), render(p)
        return "invalid"
    assert isinstance(spec, ModelSpec)
    assert graph.nodes and graph.outputs[0][1].shape
    json.dumps(graph.summary(spec.name))
    return "valid"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None if os.environ.get("CI") else settings().database)
@given(case=mutated_spec())
@example(case=("t.yaml", b"", False))
@example(case=("t.json", b"\xef\xbb\xbf{", True))
@example(case=("t.yaml", b"a: &x [1, *x]", False))
@example(case=("t.yaml", b"blocks:\n- {type: [vgg]}\ndefaults: {}\n", False))
def test_mutated_specs_are_a_model_or_a_located_error(case):
    event(check(*case))


def test_every_seed_is_a_valid_model():
    for name, text, as_json in SEEDS:
        spec = parse_spec(parse_text(text, name, as_json=as_json))
        assert analyze(spec).nodes
