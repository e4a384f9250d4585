"""extends, patch, insert, --set and expect: the merged document, and errors located in the file that wrote
the value (spec-v2 section 6)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

import modelspec
from modelspec import SpecError, compose
from modelspec.cli import main

BASE = """\
name: base
input: {shape: [32, 32, 3]}
defaults: {activation: relu}
blocks:
  - {name: stem, type: conv, filters: 16, kernel_size: 3, padding: same}
  - name: body
    type: sequence
    blocks:
      - {name: inner, type: conv, filters: 16, kernel_size: 3, padding: same}
      - {name: drop, type: dropout, rate: 0.1}
  - {name: pool, type: global_avg_pool}
  - {name: head, type: dense, units: 10, activation: softmax}
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def layers(spec_or_path, **kwargs) -> list[tuple[str, str, list]]:
    spec, graph = modelspec.check(str(spec_or_path), **kwargs)
    return [(n.name, n.layer.keras_class, list(n.output_shape)) for n in graph.nodes]


def errors(path: Path, overrides=()) -> list[str]:
    with pytest.raises(SpecError) as info:
        modelspec.load(path, overrides=overrides)
    from modelspec.errors import render

    return [render(p) for p in info.value.problems]


# --------------------------------------------------------------------------- merge semantics

MERGES = {
    # child text -> what the merged model's layers are (name, class, shape), as the base would be written
    "mapping-keys-merge": ("input: {shape: [64, 64, 3]}", {"stem": [64, 64, 16], "head": [10]}),
    "list-replaces": ("blocks: [{name: only, type: dense, units: 3}]\ninput: {shape: [8]}", {"only": [3]}),
    "patch-merges-fields": ("patch: {stem: {filters: 8}, inner: {filters: 4}}", {"stem": [32, 32, 8],
                                                                                   "inner": [32, 32, 4]}),
    "patch-null-removes": ("patch: {drop: null}", {"inner": [32, 32, 16], "drop": None}),
    "insert-after": ("insert: [{after: stem, blocks: [{name: extra, type: conv, filters: 4, kernel_size: 1}]}]\n"
                     "patch: {inner: {input: extra}}", {"extra": [32, 32, 4], "inner": [32, 32, 16]}),
    "insert-before-at-depth": ("insert: [{before: drop, blocks: [{name: bn, type: batch_norm}]}]",
                               {"bn": [32, 32, 16]}),
    "null-removes-a-key": ("defaults: {activation: null}\npatch: {stem: {activation: linear}}",
                           {"stem": [32, 32, 16]}),
}


@pytest.mark.parametrize("case", sorted(MERGES))
def test_merge_rules(tmp_path, case):
    child, expected = MERGES[case]
    write(tmp_path, {"base.yaml": BASE, "child.yaml": f"extends: base.yaml\nname: child\n{child}\n"})
    shapes = {name: shape for name, _, shape in layers(tmp_path / "child.yaml")}
    for name, shape in expected.items():
        assert shapes.get(name) == shape, (name, shapes)


def test_null_in_a_child_mapping_removes_the_key_so_the_default_applies(tmp_path):
    write(tmp_path, {"base.yaml": BASE, "child.yaml": "extends: base.yaml\ndefaults: {activation: null}\n"})
    spec = modelspec.load(tmp_path / "child.yaml")
    assert spec.defaults.activation is None  # the key is gone from the merged defaults
    # without the base's default, the stem conv falls back to the conv's own default, linear
    assert spec.blocks[0].activation == "linear"


def test_a_list_of_bases_merges_left_to_right(tmp_path):
    write(tmp_path, {
        "base.yaml": BASE,
        "wide.yaml": "patch: {stem: {filters: 64}}\ninput: {shape: [16, 16, 3]}\n",
        "small.yaml": "input: {shape: [8, 8, 3]}\n",
        "child.yaml": "extends: [base.yaml, wide.yaml, small.yaml]\nname: child\n",
    })
    # wide.yaml has no blocks of its own to patch: its patch applies to what it extends, which is nothing
    with pytest.raises(SpecError, match="patch names no block"):
        modelspec.load(tmp_path / "child.yaml")
    (tmp_path / "wide.yaml").write_text("extends: base.yaml\npatch: {stem: {filters: 64}}\n"
                                        "input: {shape: [16, 16, 3]}\n")
    shapes = {name: shape for name, _, shape in layers(tmp_path / "child.yaml")}
    assert shapes["stem"] == [8, 8, 64]  # wide's filters, small's input (the later base wins)


def test_bases_resolve_relative_to_the_file_that_names_them(tmp_path):
    write(tmp_path, {"lib/base.yaml": BASE, "lib/mid.yaml": "extends: base.yaml\nname: mid\n",
                     "exp/child.yaml": "extends: ../lib/mid.yaml\nname: child\n"})
    assert layers(tmp_path / "exp" / "child.yaml")[0][0] == "stem"


def test_a_base_is_read_once_however_many_children_extend_it(tmp_path, monkeypatch):
    files = {"base.yaml": BASE}
    files.update({f"c{i}.yaml": f"extends: base.yaml\nname: c{i}\npatch: {{stem: {{filters: {i + 1}}}}}\n"
                  for i in range(5)})
    write(tmp_path, files)
    read = []
    original = compose.read_source
    monkeypatch.setattr(compose, "read_source", lambda path, *args: read.append(Path(path).name) or original(path, *args))
    for i in range(5):
        modelspec.load(tmp_path / f"c{i}.yaml")
    assert read.count("base.yaml") == 1
    # an edited base is read again (a long-running process such as the language server sees the change)
    (tmp_path / "base.yaml").write_text(BASE.replace("units: 10", "units: 12345"))
    assert modelspec.load(tmp_path / "c0.yaml").blocks[-1].units == 12345


# --------------------------------------------------------------------------- errors and where they point

BAD = {
    # name -> (files, the child to load, overrides, the expected error lines' starts)
    "missing-base": ({"child.yaml": "extends: nowhere.yaml\nname: c\n"}, [],
                     ["child.yaml:1:10: error: extends: base file 'nowhere.yaml' not found"]),
    "missing-base-in-a-list": ({"child.yaml": "extends: [base.yaml, gone.yaml]\nname: c\n"}, [],
                               ["child.yaml:1:22: error: extends: base file 'gone.yaml' not found"]),
    "cycle": ({"child.yaml": "extends: a.yaml\nname: c\n", "a.yaml": "extends: b.yaml\n",
               "b.yaml": "extends: a.yaml\n"}, [],
              ["b.yaml:1:10: error: extends: extends itself: a.yaml -> b.yaml -> a.yaml"]),
    "self-cycle": ({"child.yaml": "extends: child.yaml\nname: c\n"}, [],
                   ["child.yaml:1:10: error: extends: extends itself: child.yaml -> child.yaml"]),
    "patch-names-no-block": ({"child.yaml": "extends: base.yaml\npatch:\n  stme: {filters: 3}\n"}, [],
                             ["child.yaml:3:3: error: patch.stme: patch names no block: 'stme'; did you mean "
                              "'stem'?"]),
    "insert-names-no-block": ({"child.yaml": "extends: base.yaml\ninsert:\n  - {after: hed, blocks: "
                                             "[{type: dropout, rate: 0.1}]}\n"}, [],
                              ["child.yaml:3:13: error: insert[0].after: insert names no block: 'hed'; did you "
                               "mean 'head'?"]),
    "insert-both-places": ({"child.yaml": "extends: base.yaml\ninsert:\n  - {after: stem, before: head, "
                                          "blocks: [{type: dropout, rate: 0.1}]}\n"}, [],
                           ["child.yaml:3:19: error: insert[0]: give exactly one of 'after: NAME' and "
                            "'before: NAME'"]),
    # a value written in the base is blamed on the base, at its line
    "error-in-the-base": ({"child.yaml": "extends: broken.yaml\nname: c\n",
                           "broken.yaml": BASE.replace("units: 10", "units: -10")}, [],
                          ["broken.yaml:12:38: error: blocks[3].units: must be greater than 0"]),
    # ... and a value written in the child on the child
    "error-in-the-child": ({"child.yaml": "extends: base.yaml\nname: c\npatch:\n  head: {units: 0}\n"}, [],
                           ["child.yaml:4:17: error: blocks[3].units: must be greater than 0"]),
    # a shape problem caused by the child's input, found in a block the base wrote
    "shape-error-from-the-child": ({"child.yaml": "extends: base.yaml\nname: c\npatch:\n  stem: {kernel_size: 40, "
                                                  "padding: valid}\n"}, [],
                                   ["child.yaml:4:23: error: blocks[0].kernel_size: stem: a kernel of 40"]),
    # and a value from --set, at its column in that argument
    "error-in-a-set": ({"child.yaml": "extends: base.yaml\nname: c\n"}, ["blocks.head.units=ten"],
                       ["<--set 1>:1:19: error: blocks[3].units: must be an integer"]),
    "unknown-field-in-a-set": ({"child.yaml": "extends: base.yaml\nname: c\n"},
                               ["input.shape=[8,8,3]", "blocks.stem.filterz=3"],
                               ["<--set 2>:1:13: error: blocks[0].filterz: unknown field 'filterz'; did you mean "
                                "'filters'?"]),
    "set-names-no-block": ({"child.yaml": "extends: base.yaml\nname: c\n"}, ["blocks.stme.filters=3"],
                           ["<--set 1>:1:8: error: blocks.stme: --set names no block: 'stme'; did you mean "
                            "'stem'?"]),
    "set-position-out-of-range": ({"child.yaml": "extends: base.yaml\nname: c\n"}, ["blocks[9].filters=3"],
                                  ["<--set 1>:1:7: error: $: [9]: blocks has 4 item(s)"]),
    "set-without-equals": ({"child.yaml": "extends: base.yaml\nname: c\n"}, ["blocks.stem.filters"],
                           ["<--set 1>:1:1: error: $: write PATH=VALUE"]),
    "set-bad-yaml": ({"child.yaml": "extends: base.yaml\nname: c\n"}, ["input.shape=[8, 8"],
                     ["<--set 1>:1:13: error: $: invalid YAML: this '[' is never closed (expected ',' or ']' before line 1, column 18)"]),
    "base-not-a-mapping": ({"child.yaml": "extends: list.yaml\nname: c\n", "list.yaml": "- 1\n- 2\n"}, [],
                           ["child.yaml:1:10: error: extends: base file 'list.yaml' is not a spec: a base is a "
                            "mapping"]),
    "empty-base": ({"child.yaml": "extends: empty.yaml\nname: c\n", "empty.yaml": "# nothing\n"}, [],
                   ["child.yaml:1:10: error: extends: base file 'empty.yaml' is empty"]),
    "base-is-a-directory": ({"child.yaml": "extends: lib\nname: c\n", "lib/x.yaml": "name: x\n"}, [],
                            ["child.yaml:1:10: error: extends: 'lib' is a directory, not a base spec file"]),
    "base-path-too-long": ({"child.yaml": "extends: " + "x" * 300 + ".yaml\nname: c\n"}, [],
                           ["child.yaml:1:10: error: extends: cannot read base file 'xxx"]),
    "extends-not-a-path": ({"child.yaml": "extends: 3\nname: c\n"}, [],
                           ["child.yaml:1:10: error: extends: must be a path to a base spec file"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_errors_point_at_the_file_that_wrote_the_value(tmp_path, monkeypatch, case):
    files, overrides, expected = BAD[case]
    write(tmp_path, {"base.yaml": BASE, **files})
    monkeypatch.chdir(tmp_path)
    lines = errors(Path("child.yaml"), overrides)
    assert len(lines) == len(expected), lines
    for line, start in zip(lines, expected):
        assert line.startswith(start), (line, start)


def test_set_reaches_every_kind_of_path(tmp_path):
    write(tmp_path, {"base.yaml": BASE})
    overrides = ["input.shape=[64, 64, 3]", "blocks.inner.filters=8", "blocks[0].filters=4",
                 "defaults.activation=gelu", 'blocks["head"].units=3', "blocks[-1].activation=linear"]
    spec = modelspec.load(tmp_path / "base.yaml", overrides=overrides)
    assert spec.input.shape == (64, 64, 3) or list(spec.input.shape) == [64, 64, 3]
    assert spec.blocks[0].filters == 4 and spec.blocks[0].activation == "gelu"
    assert spec.blocks[1].blocks[0].filters == 8
    assert spec.blocks[3].units == 3 and spec.blocks[3].activation == "linear"


def test_set_on_the_command_line_of_every_command_that_reads_a_spec(tmp_path, capsys):
    write(tmp_path, {"base.yaml": BASE})
    spec = str(tmp_path / "base.yaml")
    assert main(["validate", spec, "--set", "blocks.head.units=7"]) == 0
    assert main(["summary", "--json", spec, "--set", "blocks.head.units=7"]) == 0
    assert '"output_shape": [\n    7\n  ]' in capsys.readouterr().out
    assert main(["expand", spec, "--set", "blocks.head.units=7"]) == 0
    assert "units: 7" in capsys.readouterr().out
    assert main(["diff", spec, spec, "--set", "blocks.head.units=7"]) == 0
    assert main(["validate", spec, "--set", "blocks.head.units=x"]) == 1
    assert "<--set 1>:1:19: error: blocks[3].units:" in capsys.readouterr().err


# --------------------------------------------------------------------------- expect

EXPECT = {
    # expect mapping -> None when met, else the start of the one error's message
    "all-met": ("{params: 2938, trainable_params: 2938, output_shape: [10], max_params: 3000, max_macs: 1.0e7}",
                None),
    "params": ("{params: 2937}", "expected params 2,937, got 2,938 (+1)"),
    "trainable": ("{trainable_params: 1}", "expected trainable_params 1, got 2,938"),
    "output-shape": ("{output_shape: [11]}", "expected output_shape [11], got [10]"),
    "output-shapes": ("{output_shapes: [[10], [10]]}", "expected output_shapes [10], [10], got [10]"),
    "max-params": ("{max_params: 1000}", "expected at most 1,000 params, got 2,938 (+1,938 over)"),
    "max-macs": ("{max_macs: 1.0e3}", "expected at most 1,000 MACs, got"),
    "macs": ("{macs: 5}", "expected macs 5, got"),
    "fractional-limit": ("{max_params: 1.5}", "expected at most 1.5 params, got 2,938 (+2,936.5 over)"),
    "both-shape-figures": ("{output_shape: [10], output_shapes: [[10]]}", "give output_shape"),
}


@pytest.mark.parametrize("case", sorted(EXPECT))
def test_expect(tmp_path, case):
    # Keras' counts for the base: Conv2D(16, 3) on 3 channels 448, Conv2D(16, 3) on 16 channels 2,320,
    # Dense(10) on 16 features 170: 2,938 in all
    text, message = EXPECT[case]
    write(tmp_path, {"base.yaml": BASE, "child.yaml": f"extends: base.yaml\nname: c\nexpect: {text}\n"})
    if message is None:
        modelspec.load(tmp_path / "child.yaml")
        return
    lines = errors(tmp_path / "child.yaml")
    assert len(lines) == 1 and "error: expect" in lines[0] and message in lines[0], lines
    assert lines[0].startswith(str(tmp_path / "child.yaml") + ":3:")


MALFORMED_EXPECT = {
    # a malformed figure (in child.yaml's "expect: {...}" on line 3, the value at column 22) -> its one line
    "max-params-not-a-number": ("{max_params: 2.0e6x}", "3:22: error: expect.max_params: must be a number, not a "
                                "string ('2.0e6x')"),
    "max-macs-not-a-number": ("{max_params: 1e9, max_macs: 4e9x}", "3:37: error: expect.max_macs: must be a number, "
                              "not a string ('4e9x')"),
    "max-params-a-boolean": ("{max_params: true}", "3:22: error: expect.max_params: must be a number, not a boolean "
                             "(true)"),
    "max-params-a-list": ("{max_params: [1]}", "3:22: error: expect.max_params: must be a number, not a list"),
    "max-params-infinite": ("{max_params: .inf}", "3:22: error: expect.max_params: '.inf' is not allowed: sizes and "
                            "rates must be finite numbers"),
    "max-params-negative": ("{max_params: -1}", "3:22: error: expect.max_params: must be at least 0"),
    "params-not-an-integer": ("{max_params: 1e9, params: 2.9e3x}", "3:35: error: expect.params: must be an integer, "
                              "not a string ('2.9e3x')"),
    "output-shape-a-string-size": ("{output_shape: ['10']}", "3:25: error: expect.output_shape[0]: must be an "
                                   "integer, not a string ('10')"),
    "output-shape-zero": ("{output_shape: [0]}", "3:25: error: expect.output_shape[0]: must be greater than 0"),
    "output-shapes-an-empty-shape": ("{output_shapes: [[]]}", "3:26: error: expect.output_shapes[0]: must have at "
                                     "least 1 item(s) (it has 0)"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_EXPECT))
def test_a_malformed_expect_figure_is_one_line_at_the_figure(tmp_path, monkeypatch, capsys, case):
    text, line = MALFORMED_EXPECT[case]
    write(tmp_path, {"base.yaml": BASE, "child.yaml": f"extends: base.yaml\nname: c\nexpect: {text}\n"})
    monkeypatch.chdir(tmp_path)
    status = main(["validate", "child.yaml"])
    out, err = capsys.readouterr()
    assert (status, out, err.splitlines()) == (1, "", ["child.yaml:" + line])


def test_views_show_a_model_that_misses_its_expect(tmp_path, capsys):
    write(tmp_path, {"base.yaml": BASE, "child.yaml": "extends: base.yaml\nname: c\nexpect: {params: 1}\n"})
    child = str(tmp_path / "child.yaml")
    assert main(["validate", child]) == 1
    assert main(["summary", child]) == 0
    assert main(["diff", str(tmp_path / "base.yaml"), child]) == 0  # same architecture, other name
