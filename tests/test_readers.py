"""The readers as parts: their limits are a parameter (ReaderLimits, as Budget is for the model), and the
PyYAML internals and messages the YAML reader builds on are pinned and checked here, so that a PyYAML
release that changes them fails loudly instead of silently degrading error messages."""

from __future__ import annotations

import pytest
import yaml

import modelspec
from modelspec import ReaderLimits, SpecError
from modelspec import limits as limits_module

SPEC = "name: m\ninput: {shape: [8]}\nblocks:\n" + "".join(f"  - {{type: dense, units: {i + 1}}}\n" for i in range(30))


@pytest.mark.parametrize("json", [False, True])
def test_limits_are_a_parameter_not_a_global(json):
    text = _as_json(SPEC) if json else SPEC
    modelspec.loads(text, json=json)  # the defaults admit it
    for tight, message in ((ReaderLimits(max_values=20), "more than 20 values"),
                           (ReaderLimits(max_depth=2), "nesting deeper than 2 levels"),
                           (ReaderLimits(max_bytes=100), "larger than 100 bytes"),
                           (ReaderLimits(max_int_digits=1), "with 2 (digits|characters) is too")):
        with pytest.raises(SpecError, match=message):
            modelspec.loads(text, json=json, limits=tight)
    modelspec.loads(text, json=json)  # nothing changed for the next caller
    assert limits_module.DEFAULT == ReaderLimits()


def _as_json(text: str) -> str:
    import json as json_module

    return json_module.dumps(yaml.safe_load(text), indent=1)


def test_pyyaml_is_the_major_version_the_reader_was_written_against():
    assert yaml.__version__.split(".")[0] == "6", yaml.__version__


# The PyYAML messages (problem or context) that modelspec.yaml_reader recognises to reword them, each
# with a document that makes PyYAML raise it.
PYYAML_MESSAGES = [
    ("a: [1, 2\nb: 3\n", "expected ',' or ']'"),
    ("a: {x: 1\nb: 3\n", "expected ',' or '}'"),
    ("a: 1\n b: 2\n", "mapping values are not allowed here"),
    ("a:\n  - 1\n - 2\n", "expected <block end>, but found"),
    ("a: b\nc\n", "could not find expected ':'"),
    ("a:\tb: 1\n", "found character '\\t'"),
    ("a: `b`\n", "cannot start any token"),
    ('a: "\\q"\n', "found unknown escape character"),
    ('a: "b\n', "found unexpected end of stream"),
    ("a: *nope\n", "found undefined alias"),
    ("a: &x 1\nb: &x 2\nc: *x\n", "found duplicate anchor"),
    ("a: 1\n--- \nb: 2\n", "expected a single document"),
    ("a: 1\n...\nb\n", "expected '<document start>'"),
]


@pytest.mark.parametrize("text, message", PYYAML_MESSAGES, ids=[m for _, m in PYYAML_MESSAGES])
def test_pyyaml_still_says_what_the_reader_recognises(text, message):
    try:
        list(yaml.compose_all(text)) if "single document" not in message else yaml.compose(text)
    except yaml.MarkedYAMLError as e:
        said = f"{e.context or ''} {e.problem or ''}"
        assert message in said, f"PyYAML now says {said!r}: update modelspec/yaml_reader.py"
    else:
        pytest.fail(f"PyYAML accepts {text!r}: update modelspec/yaml_reader.py")
