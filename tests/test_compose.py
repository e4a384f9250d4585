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


# --------------------------------------------------------------------------- each mistake: one located line

# what every "not a spec path" error suggests
PATH_HINT = ('write keys with dots and list positions in brackets, e.g. blocks.conv1.filters or blocks[2].filters '
             '(blocks["a.b"] for a key that is not a plain word)')
NOT_ASCII = "which is not an ASCII character"

# name -> (the child that extends base.yaml, or None for base.yaml itself; the --set arguments; the one line)
# A --set is located at <--set N>:1:COLUMN of its argument: a mistake in the path at the part that is wrong,
# one in the value at the value (column len(PATH) + 2); the spec path is the one set. Exit 1, as a spec error.
ONE_LINE = {
    # the syntax of PATH=VALUE
    "no-equals": (None, ["blocks.stem.filters"],
                  "<--set 1>:1:1: error: $: write PATH=VALUE (e.g. blocks.conv1.filters=128), not "
                  "'blocks.stem.filters'"),
    "unclosed-bracket": (None, ["blocks[0.filters=3"], f"<--set 1>:1:7: error: $: not a spec path at '[0.filters': "
                         f"{PATH_HINT}"),
    "empty-path": (None, ["=3"], "<--set 1>:1:1: error: $: the path before '=' is empty (e.g. "
                   "blocks.conv1.filters=128)"),
    "empty-key": (None, ["blocks..filters=3"], f"<--set 1>:1:8: error: $: not a spec path at '.filters': {PATH_HINT}"),
    "leading-dot": (None, [".blocks=3"], f"<--set 1>:1:1: error: $: not a spec path at '.blocks': {PATH_HINT}"),
    "empty-brackets": (None, ["blocks[]=3"], f"<--set 1>:1:7: error: $: not a spec path at '[]': {PATH_HINT}"),
    "unclosed-quoted-key": (None, ['blocks["stem].filters=3'],
                            f"<--set 1>:1:7: error: $: not a spec path at '[\"stem].filters': {PATH_HINT}"),
    "bad-escape-in-a-quoted-key": (None, [r'blocks["st\q"].filters=3'],
                                   r"""<--set 1>:1:7: error: $: not a spec path at '"st\\q"': a key in brackets is """
                                   r"""a JSON string (blocks["a.b"])"""),
    "a-position-of-5000-digits": (None, ["blocks[" + "9" * 5000 + "].filters=3"],
                                  "<--set 1>:1:7: error: $: [" + "9" * 36 + "...: a list position of 5,000 digits is "
                                  "past the end of any list"),
    "unclosed-list-value": (None, ["input.shape=[8, 8"],
                            "<--set 1>:1:13: error: input.shape: invalid YAML: this '[' is never closed (expected ',' "
                            "or ']' before line 1, column 18)"),
    "empty-value": (None, ["blocks.stem.filters="], "<--set 1>:1:21: error: blocks[0].filters: give a value after "
                    "'=' (read as YAML: 128, [64, 64, 3], relu, null)"),
    "comment-for-a-value": (None, ["blocks.stem.filters=# none"], "<--set 1>:1:21: error: blocks[0].filters: give a "
                            "value after '=' (read as YAML: 128, [64, 64, 3], relu, null)"),
    "duplicate-key-in-the-value": (None, ["input={shape: [8], shape: [9]}"],
                                   "<--set 1>:1:20: error: input.shape: duplicate key 'shape' (first written at line "
                                   "1, column 8)"),
    "python-tag-in-the-value": (None, ["blocks.stem.filters=!!python/object x"],
                                "<--set 1>:1:21: error: blocks[0].filters: YAML tag !!python/object is not allowed: a "
                                "spec is plain data"),
    "number-out-of-range": (None, ["blocks.stem.filters=1e999"],
                            "<--set 1>:1:21: error: blocks[0].filters: number 1e999 is out of range"),
    "a-path-deeper-than-a-file": (None, [".".join(["a"] * 65) + "=1"],  # a file nests 64 levels at most
                                  "<--set 1>:1:129: error: a.a.a.a.a.a...a.a.a.a: the path nests deeper than 64 "
                                  "levels, as no spec does"),
    "a-value-too-deep-under-its-path": (None, ["blocks[0].filters=" + "[" * 64 + "]" * 64],
                                        "<--set 1>:1:19: error: blocks[0].filters: the path and the value nest deeper "
                                        "than 64 levels, as no spec does"),
    "a-key-resolved-before-set": (None, ["patch={stem: {filters: 3}}"],
                                  "<--set 1>:1:1: error: patch: 'patch' cannot be set: bases, patches and inserts are "
                                  "applied before --set; set the values they lead to instead"),
    # a path that leads nowhere, or a value wrong for its field: the spec path set
    "negative-filters-by-name": (None, ["blocks.stem.filters=-3"],
                                 "<--set 1>:1:21: error: blocks[0].filters: must be greater than 0"),
    "negative-filters-by-position": (None, ["blocks[0].filters=-3"],
                                     "<--set 1>:1:19: error: blocks[0].filters: must be greater than 0"),
    "position-out-of-range": (None, ["blocks[9999].filters=3"],
                              "<--set 1>:1:7: error: blocks[9999].filters: [9999]: blocks has 4 item(s)"),
    "negative-position-out-of-range": (None, ["blocks[-5].filters=3"],
                                       "<--set 1>:1:7: error: blocks[-5].filters: [-5]: blocks has 4 item(s)"),
    "the-second-set": (None, ["input.shape=[8, 8, 3]", "blocks[7].units=3"],
                       "<--set 2>:1:7: error: blocks[7].units: [7]: blocks has 4 item(s)"),
    "a-key-under-a-number": (None, ["blocks.stem.filters.x=3"],
                             "<--set 1>:1:21: error: blocks.stem.filters.x: 'x': blocks[0].filters is not a mapping"),
    "a-position-in-a-mapping": (None, ["blocks[0][1]=3"],
                                "<--set 1>:1:10: error: blocks[0][1]: [1]: blocks[0] is not a list"),
    "names-no-block": (None, ["blocks.stme.filters=3"],
                       "<--set 1>:1:8: error: blocks.stme.filters: --set names no block: 'stme'; did you mean 'stem'?"),
    "null-input": (None, ["input=null"], "<--set 1>:1:7: error: input: must be a mapping, not null"),
    "an-item-of-the-value": (None, ["blocks.stem.kernel_size=[3, 0]"],
                             "<--set 1>:1:29: error: blocks[0].kernel_size[1]: must be greater than 0"),
    # a name given by --set, a patch or an insert that a block of the files has: blamed on the one given
    "set-renames-into-a-later-name": (None, ["blocks.stem.name=head"],
                                      "<--set 1>:1:18: error: blocks[0].name: block name 'head' is already used by "
                                      "blocks[3]"),
    "set-renames-into-an-earlier-name": (None, ["blocks.head.name=stem"],
                                         "<--set 1>:1:18: error: blocks[3].name: block name 'stem' is already used by "
                                         "blocks[0]"),
    "set-renames-inside-a-sequence": (None, ["blocks.inner.name=drop"],
                                      "<--set 1>:1:19: error: blocks[1].blocks[0].name: block name 'drop' is already "
                                      "used by blocks[1].blocks[1]"),
    "patch-renames-into-a-later-name": ("extends: base.yaml\nname: c\npatch:\n  stem: {name: head}\n", [],
                                        "child.yaml:4:16: error: blocks[0].name: block name 'head' is already used by "
                                        "blocks[3]"),
    "patch-renames-into-an-earlier-name": ("extends: base.yaml\nname: c\npatch:\n  head: {name: stem}\n", [],
                                           "child.yaml:4:16: error: blocks[3].name: block name 'stem' is already used "
                                           "by blocks[0]"),
    "insert-a-name-before-its-block": ("extends: base.yaml\nname: c\ninsert:\n"
                                       "  - {before: stem, blocks: [{name: head, type: dropout, rate: 0.1}]}\n", [],
                                       "child.yaml:4:36: error: blocks[0].name: block name 'head' is already used by "
                                       "blocks[4]"),
    # a look-alike or invisible character in a path: escaped and named, as in a file's keys
    "patch-look-alike-name": ("extends: base.yaml\nname: c\npatch:\n  \u0455tem: {filters: 3}\n", [],
                              'child.yaml:4:3: error: patch["\\u0455tem"]: patch names no block: \'\\u0455tem\' (it '
                              f"contains U+0455 CYRILLIC SMALL LETTER DZE, {NOT_ASCII}); did you mean 'stem'?"),
    "insert-look-alike-key": ("extends: base.yaml\nname: c\ninsert:\n  - {aft\u0435r: stem, blocks: [{type: dropout, "
                              "rate: 0.1}]}\n", [],
                              'child.yaml:4:6: error: insert[0]["aft\\u0435r"]: unknown key \'aft\\u0435r\' (it '
                              f"contains U+0435 CYRILLIC SMALL LETTER IE, {NOT_ASCII}); did you mean 'after'? (an "
                              "insert takes after or before, and blocks)"),
    "look-alike-in-a-key": (None, ["blocks.stem.filt\u0435rs=3"],
                            f"<--set 1>:1:17: error: $: not a spec path at '\\u0435rs' (it contains U+0435 CYRILLIC "
                            f"SMALL LETTER IE, {NOT_ASCII}): {PATH_HINT}"),
    "zero-width-space": (None, ["blocks.stem.filters\u200b=3"],
                         f"<--set 1>:1:20: error: $: not a spec path at '\\u200b' (it contains U+200B ZERO WIDTH "
                         f"SPACE, {NOT_ASCII}): {PATH_HINT}"),
    "byte-order-mark": (None, ["\ufeffblocks.stem.filters=3"],
                        f"<--set 1>:1:1: error: $: not a spec path at '\\ufeffblocks.stem.filters' (it contains U+FEFF "
                        f"ZERO WIDTH NO-BREAK SPACE, {NOT_ASCII}): {PATH_HINT}"),
    "look-alike-block-name": (None, ["blocks.\u0455tem.filters=3"],
                              f"<--set 1>:1:8: error: $: not a spec path at '\\u0455tem.filters' (it contains U+0455 "
                              f"CYRILLIC SMALL LETTER DZE, {NOT_ASCII}): {PATH_HINT}"),
    "look-alike-in-a-quoted-name": (None, ['blocks["\u0455tem"].filters=3'],
                                    '<--set 1>:1:7: error: blocks["\\u0455tem"].filters: --set names no block: '
                                    f"'\\u0455tem' (it contains U+0455 CYRILLIC SMALL LETTER DZE, {NOT_ASCII}); did "
                                    "you mean 'stem'?"),
    # a character without a name (U+E000 is for private use) is "unnamed", as in a file's keys (not a control)
    "private-use-character-in-a-quoted-name": (None, ['blocks["st\ue000"].filters=3'],
                                               '<--set 1>:1:7: error: blocks["st\\ue000"].filters: --set names no '
                                               f"block: 'st\\ue000' (it contains U+E000 unnamed, {NOT_ASCII})"),
    "line-break-in-the-path": (None, ["blocks.stem\n.filters=3"],
                               f"<--set 1>:1:12: error: $: not a spec path at '\\u000a.filters' (it contains control "
                               f"character U+000A): {PATH_HINT}"),
    # a byte that is not UTF-8 (Python holds byte 0xff of an argument as '\udcff'): shown as \xff
    "undecodable-byte-in-the-value": (None, ["blocks.stem.filters=\udcff"],
                                      "<--set 1>:1:21: error: blocks[0].filters: the argument is not UTF-8 text (byte "
                                      "\\xff)"),
    "undecodable-byte-in-the-path": (None, ["blocks.st\udcffem.filters=3"],
                                     "<--set 1>:1:10: error: $: the argument is not UTF-8 text (byte \\xff)"),
    "undecodable-byte-without-equals": (None, ["blocks\udcfe"],
                                        "<--set 1>:1:7: error: $: the argument is not UTF-8 text (byte \\xfe)"),
    "undecodable-byte-in-a-quoted-key": (None, ['blocks["\udcff"].units=3'],
                                         "<--set 1>:1:9: error: $: the argument is not UTF-8 text (byte \\xff)"),
}


@pytest.mark.parametrize("case", sorted(ONE_LINE))
def test_each_mistake_is_one_located_line(tmp_path, monkeypatch, capsys, case):
    child, overrides, line = ONE_LINE[case]
    write(tmp_path, {"base.yaml": BASE, **({"child.yaml": child} if child else {})})
    monkeypatch.chdir(tmp_path)
    status = main(["validate", "child.yaml" if child else "base.yaml", *(f"--set={o}" for o in overrides)])
    out, err = capsys.readouterr()
    assert (status, out, err.splitlines()) == (1, "", [line])


def test_a_name_in_a_copy_of_a_repeated_block_is_local_to_it(tmp_path):
    # names inside a repeated composite are its copies' own: the same inner name in two of them is no collision
    write(tmp_path, {"base.yaml": BASE.replace("    type: sequence\n", "    type: sequence\n    repeat: 2\n")
                     + "  - {name: tail, type: sequence, repeat: 2, blocks: [{name: t, type: dense, units: 4}]}\n"})
    spec = modelspec.load(tmp_path / "base.yaml", overrides=["blocks.t.name=inner"])
    assert spec.blocks[4].blocks[0].name == "inner"


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
