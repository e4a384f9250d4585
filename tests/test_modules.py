"""modules: typed parameters with defaults, $p substitution, names local to each use, modules using
modules; recursion, shadowing and bad uses refused at the right place (spec-v2 section 6)."""

from __future__ import annotations

import textwrap

import pytest

import modelspec
from modelspec import SpecError
from modelspec.errors import render

MODULES = """\
modules:
  fire:
    params:
      squeeze: int
      expand: {type: int, default: 8}
      act: {type: activation, default: relu}
    blocks:
      - {name: squeeze, type: conv, filters: $squeeze, kernel_size: 1, activation: $act}
      - type: parallel
        name: expand
        merge: concat
        branches:
          - [{name: e1, type: conv, filters: $expand, kernel_size: 1, activation: $act}]
          - [{name: e3, type: conv, filters: $expand, kernel_size: 3, padding: same, activation: $act}]
  se:
    params: {ratio_filters: int, channels: int}
    blocks:
      - type: parallel
        name: gate
        merge: multiply
        branches:
          - []
          - - {type: global_avg_pool, keepdims: true}
            - {type: conv, filters: $ratio_filters, kernel_size: 1, activation: relu}
            - {type: conv, filters: $channels, kernel_size: 1, activation: sigmoid}
  fire_se:
    params: {squeeze: int}
    blocks:
      - {name: f, type: fire, squeeze: $squeeze}
      - {name: s, type: se, ratio_filters: 4, channels: 16}
"""


def spec(blocks: str, modules: str = MODULES) -> str:
    return "name: m\ninput: {shape: [16, 16, 3]}\n" + modules + "blocks:\n" + textwrap.indent(
        textwrap.dedent(blocks), "  ")


def layer_names(text: str) -> list[str]:
    spec_ = modelspec.loads(text)
    return [n.name for n in modelspec.analyze(spec_).nodes]


def test_each_use_prefixes_its_layers_and_keeps_its_names_local():
    names = layer_names(spec("""\
        - {name: fire2, type: fire, squeeze: 4}
        - {name: fire3, type: fire, squeeze: 4, expand: 16}
        """))
    assert names == ["fire2_squeeze", "fire2_e1", "fire2_e3", "fire2_expand_concat",
                     "fire3_squeeze", "fire3_e1", "fire3_e3", "fire3_expand_concat"]


def test_params_defaults_and_types_reach_the_layers():
    spec_ = modelspec.loads(spec("- {name: f, type: fire, squeeze: 4, act: gelu}\n"))
    graph = modelspec.analyze(spec_)
    by_name = {n.name: n for n in graph.nodes}
    assert by_name["f_squeeze"].layer.filters == 4 and by_name["f_squeeze"].layer.activation == "gelu"
    assert by_name["f_e1"].layer.filters == 8  # the default
    assert by_name["f_expand_concat"].output_shape == (16, 16, 16)


def test_repeat_and_input_on_a_use():
    names = layer_names(spec("""\
        - {name: stem, type: conv, filters: 8, kernel_size: 1}
        - {name: side, type: conv, filters: 8, kernel_size: 1, input: stem}
        - {name: fire, type: fire, squeeze: 4, repeat: 2, input: stem}
        - {name: out, type: concat, inputs: [fire, side]}
        """))
    assert names[:3] == ["stem", "side", "fire_1_squeeze"]
    assert "fire_2_expand_concat" in names and names[-1] == "out"


def test_modules_use_modules_with_names_local_at_each_level():
    names = layer_names(spec("- {name: a, type: fire_se, squeeze: 4}\n- {name: b, type: fire_se, squeeze: 4}\n"))
    assert "a_f_squeeze" in names and "b_f_squeeze" in names and "a_s_gate_multiply" in names


def test_a_use_inside_a_composite_and_a_dollar_dollar_literal():
    text = spec("""\
        - type: parallel
          name: p
          merge: concat
          branches:
            - [{name: u, type: fire, squeeze: 2}]
            - [{type: conv, filters: 4, kernel_size: 1}]
        """)
    assert "u_squeeze" in layer_names(text)
    literal = spec("- {type: tagged, description_param: x}\n", modules="""\
modules:
  tagged:
    params: {description_param: str}
    blocks: [{type: dense, units: 2}]
""").replace("input: {shape: [16, 16, 3]}", "input: {shape: [4]}\ndescription: $$5 off")
    assert modelspec.loads(literal).description == "$$5 off"  # $$ is for module bodies; text elsewhere is kept


def test_a_file_of_modules_only_is_a_base(tmp_path):
    (tmp_path / "lib.yaml").write_text(MODULES)
    (tmp_path / "use.yaml").write_text("extends: lib.yaml\nname: u\ninput: {shape: [8, 8, 3]}\nblocks:\n"
                                       "  - {name: f, type: fire, squeeze: 2}\n")
    assert modelspec.load(tmp_path / "use.yaml").name == "u"


BAD = {
    # blocks (and modules) -> the one error's location and message start
    "missing-param": ("- {name: f, type: fire}\n", None, "blocks[0]: module 'fire' needs parameter 'squeeze' (int)"),
    "unknown-param": ("- {name: f, type: fire, squeez: 4}\n", None,
                      "blocks[0].squeez: module 'fire' has no parameter 'squeez'; did you mean 'squeeze'?"),
    "mistyped-param": ("- {name: f, type: fire, squeeze: 4.5}\n", None,
                       "blocks[0].squeeze: parameter 'squeeze' of module 'fire' must be an integer (int), not"),
    "bool-is-not-int": ("- {name: f, type: fire, squeeze: true}\n", None,
                        "blocks[0].squeeze: parameter 'squeeze' of module 'fire' must be an integer"),
    "bad-activation": ("- {name: f, type: fire, squeeze: 4, act: rellu}\n", None,
                       "blocks[0].act: parameter 'act' of module 'fire' must be a Keras activation name "
                       "(activation), not a string ('rellu'); did you mean 'relu'?"),
    "misspelt-module": ("- {name: f, type: fyre, squeeze: 4}\n", None,
                        "blocks[0].type: unknown block type 'fyre'; did you mean the module 'fire'?"),
    "undeclared-dollar": ("- {type: dense, units: 2}\n", "modules:\n  m:\n    params: {units: int}\n"
                          "    blocks: [{type: dense, units: $unit}]\n",
                          "modules.m.blocks[0].units: '$unit' is not a parameter of this module; did you mean "
                          "'$units'?"),
    "recursion": ("- {type: dense, units: 2}\n", "modules:\n  a:\n    blocks: [{type: b}]\n  b:\n"
                  "    blocks: [{type: a}]\n", "modules.b.blocks[0].type: module 'b' uses 'a', which leads back to it (a -> b -> a)"),
    "self-use": ("- {type: dense, units: 2}\n", "modules:\n  a:\n    blocks: [{type: a}]\n",
                 "modules.a.blocks[0].type: module 'a' uses 'a', which leads back to it (a -> a)"),
    "shadows-a-builtin": ("- {type: dense, units: 2}\n", "modules:\n  conv:\n    blocks: [{type: dense, units: 2}]\n",
                          "modules.conv: module 'conv' would shadow the built-in block type 'conv'"),
    "bad-param-type": ("- {type: dense, units: 2}\n", "modules:\n  m:\n    params: {n: integer}\n"
                       "    blocks: [{type: dense, units: $n}]\n",
                       "modules.m.params.n: unknown parameter type 'integer'; did you mean 'int'?"),
    "bad-default": ("- {type: dense, units: 2}\n", "modules:\n  m:\n    params: {n: {type: int, default: x}}\n"
                    "    blocks: [{type: dense, units: $n}]\n",
                    "modules.m.params.n.default: the default of 'n' must be an integer (int)"),
    "reserved-param": ("- {type: dense, units: 2}\n", "modules:\n  m:\n    params: {name: str}\n"
                       "    blocks: [{type: dense, units: 2}]\n", "modules.m.params.name: 'name' is taken"),
    "no-blocks": ("- {type: dense, units: 2}\n", "modules:\n  m:\n    params: {n: int}\n",
                  "modules.m.blocks: a module needs 'blocks'"),
    "unknown-field-in-an-unused-module": ("- {type: dense, units: 2}\n", "modules:\n  m:\n"
                                          "    blocks: [{type: conv, filterz: 2, kernel_size: 1}]\n",
                                          "modules.m.blocks[0].filterz: unknown field 'filterz' of conv; did you "
                                          "mean 'filters'?"),
    "error-inside-the-body": ("- {name: f, type: fire, squeeze: 0}\n", None,
                              "blocks[0].blocks[0].filters: must be greater than 0"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_modules_and_uses(case):
    blocks, modules, message = BAD[case]
    text = spec(blocks, MODULES if modules is None else modules)
    with pytest.raises(SpecError) as info:
        modelspec.loads(text, name="m.yaml")
    lines = [render(p) for p in info.value.problems]
    assert len(lines) == 1 and message in lines[0], lines


def test_use_errors_point_at_the_use_and_definition_errors_at_the_definition():
    with pytest.raises(SpecError) as info:
        modelspec.loads(spec("- {name: f, type: fire, squeez: 4}\n"), name="m.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (34, 27)  # the key 'squeez' of the use, on the last line
    with pytest.raises(SpecError) as info:
        modelspec.loads(spec("- {name: f, type: fire, squeeze: 0}\n"), name="m.yaml")
    (problem,) = info.value.problems
    assert (problem.line, problem.column) == (34, 36)  # the value given at the use, not the body's $squeeze


ONE_MISTAKE = """\
name: m
input: {shape: [16, 16, 3]}
modules:
  pair:
    params: {k: int, f: {type: int, default: 4}}
    blocks:
      - {type: conv, filters: $f, kernel_size: [$k, $k], padding: same}
      - {type: conv, filters: $f, kernel_size: $k, padding: same}
      - {type: dropout, rate: RATE}
blocks:
  - {name: a, type: pair, k: K}
  - {name: b, type: pair, k: 3, f: F}
"""

ONE_LINE = {
    # the values of the spec above -> the one line its one mistake gives
    # k, used three times by the blocks of one use: one line, at the use's k
    "a-param-used-twice-in-a-list": ({"K": "-1"}, "m.yaml:11:30: error: blocks[0].blocks[0].kernel_size[0]: must be "
                                     "greater than 0"),
    "a-param-of-the-wrong-size": ({"K": "2147483648"}, "m.yaml:11:30: error: blocks[0].blocks[0].kernel_size[0]: must "
                                  "be at most 2,147,483,647: TensorFlow takes sizes and counts as 32-bit integers, not "
                                  "2,147,483,648"),
    # f, used by two blocks
    "a-param-used-by-two-blocks": ({"F": "0"}, "m.yaml:12:36: error: blocks[1].blocks[0].filters: must be greater "
                                   "than 0"),
    # a value of the module itself, which both uses get: one line, at the definition
    "a-value-every-use-gets": ({"RATE": "1.5"}, "m.yaml:9:31: error: blocks[0].blocks[2].rate: must be less than 1.0"),
}


@pytest.mark.parametrize("case", sorted(ONE_LINE))
def test_one_mistake_is_one_line_however_often_its_value_is_used(case):
    values, line = ONE_LINE[case]
    text = ONE_MISTAKE
    for name, value in {"K": "3", "F": "4", "RATE": "0.5", **values}.items():
        text = text.replace(name, value)
    with pytest.raises(SpecError) as info:
        modelspec.loads(text, name="m.yaml")
    assert [render(p) for p in info.value.problems] == [line]


LOOK_ALIKE = """\
name: m
input: {shape: [8, 8, 3]}
modules:
  pair:
    params: {f: TYPE, act: {type: activation, default: relu}}
    blocks:
      - {type: conv, filters: DOLLAR, kernel_size: 1, FIELD: same, activation: $act}
blocks:
  - {name: p, type: USE, f: 4, KEY: ACT}
"""
NOT_ASCII = "which is not an ASCII character"

I_ = "CYRILLIC SMALL LETTER BYELORUSSIAN-UKRAINIAN I"
LOOK_ALIKES = {
    # a value of the spec above -> its one line: a look-alike or invisible character is escaped and named,
    # as in an unknown key of any block
    "field-of-a-module-block": (
        {"FIELD": "padd\u0456ng"},
        'm.yaml:7:51: error: modules.pair.blocks[0]["padd\\u0456ng"]: unknown field \'padd\\u0456ng\' (it contains '
        f"U+0456 {I_}, {NOT_ASCII}) of conv; did you mean 'padding'?"),
    "param-of-a-use": (
        {"KEY": "\u0430ct"},
        'm.yaml:9:33: error: blocks[0]["\\u0430ct"]: module \'pair\' has no parameter \'\\u0430ct\' (it contains '
        f"U+0430 CYRILLIC SMALL LETTER A, {NOT_ASCII}); did you mean 'act'? (it takes f, act; and name, repeat, "
        "input)"),
    "invisible-in-a-param": (
        {"KEY": "f\u200b"},
        'm.yaml:9:33: error: blocks[0]["f\\u200b"]: module \'pair\' has no parameter \'f\\u200b\' (it contains U+200B '
        f"ZERO WIDTH SPACE, {NOT_ASCII}); did you mean 'f'? (it takes f, act; and name, repeat, input)"),
    "dollar-name": (
        {"DOLLAR": "$f\u0456"},
        f"m.yaml:7:31: error: modules.pair.blocks[0].filters: '$f\\u0456' (it contains U+0456 {I_}, {NOT_ASCII}) is "
        "not a parameter ('$' and a parameter's name); write '$$' for a literal '$'"),
    "param-type": (
        {"TYPE": "\u0456nt"},
        f"m.yaml:5:17: error: modules.pair.params.f: unknown parameter type '\\u0456nt' (it contains U+0456 {I_}, "
        f"{NOT_ASCII}); did you mean 'int'? (one of int, float, bool, str, size, activation)"),
    "activation-value": (
        {"ACT": "r\u0435lu"},
        "m.yaml:9:38: error: blocks[0].act: parameter 'act' of module 'pair' must be a Keras activation name "
        f"(activation), not a string 'r\\u0435lu' (it contains U+0435 CYRILLIC SMALL LETTER IE, {NOT_ASCII}); did "
        "you mean 'relu'?"),
    "module-name-in-a-use": (
        {"USE": "p\u0430ir"},
        "m.yaml:9:21: error: blocks[0].type: unknown block type 'p\\u0430ir' (it contains U+0430 CYRILLIC SMALL "
        f"LETTER A, {NOT_ASCII}); did you mean the module 'pair'?"),
}


@pytest.mark.parametrize("case", sorted(LOOK_ALIKES))
def test_a_look_alike_character_is_escaped_and_named(case):
    values, line = LOOK_ALIKES[case]
    text = LOOK_ALIKE
    written = {"TYPE": "int", "DOLLAR": "$f", "FIELD": "padding", "USE": "pair", "KEY": "act", "ACT": "relu"}
    for name, value in {**written, **values}.items():
        text = text.replace(name, value)
    with pytest.raises(SpecError) as info:
        modelspec.loads(text, name="m.yaml")
    assert [render(p) for p in info.value.problems] == [line]
