"""The exported JSON Schema: current, self-describing, and blaming the right block.

v2 (spec-v2 section 2) makes blocks recursive: a ``sequence`` holds blocks and each ``parallel``
branch holds blocks, any of them composites. The schema expresses that with one ``Block``
definition that every place a block may stand refers to; the tests below hold it to that at
depth, and hold pydantic and the schema to one verdict on graph specs.
"""

import copy
import json

import jsonschema
import pytest

import modelspec
from modelspec.cli import main
from modelspec.schema import json_schema, schema_text
from conftest import ROOT, SPECS
from modelspec.blocks import block_class, block_types
from modelspec.errors import SpecError
from modelspec.initializers import CLASSES, INITIALIZERS
from modelspec.loader import parse_text
from modelspec.spec import ModelSpec, parse_spec
from test_bad_specs import SCHEMA_RULES

SCHEMA_FILE = ROOT / "schemas" / "modelspec.schema.json"
BUNDLED = sorted(p for p in SPECS.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def validator():
    return jsonschema.Draft202012Validator(json.loads(SCHEMA_FILE.read_text()))


def test_schema_file_is_current(capsys):
    assert main(["schema", "--check", str(SCHEMA_FILE)]) == 0


def test_stale_schema_is_detected(tmp_path, capsys):
    stale = tmp_path / "old.json"
    stale.write_text(schema_text().replace("Filters of every convolution", "Filters"))
    assert main(["schema", "--check", str(stale)]) == 1
    assert "stale" in capsys.readouterr().err


def test_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_spec_is_valid_for_pydantic_and_json_schema(path):
    spec = modelspec.load(path)  # pydantic + static pass
    data = modelspec.parse_text(path.read_bytes(), str(path), as_json=path.suffix == ".json").data
    validator().validate(data)
    assert spec.name == data["name"]


@pytest.mark.parametrize("path", [p for p in BUNDLED if p.suffix != ".json"], ids=lambda p: p.name)
def test_bundled_yaml_spec_names_the_schema_in_a_modeline(path):
    first = path.read_text().splitlines()[0]
    assert first == "# yaml-language-server: $schema=../schemas/modelspec.schema.json"


def _properties(schema):
    """Every (owner, name, property schema) in the schema's objects."""
    for owner, sub in [("root", schema), *schema["$defs"].items()]:
        for name, prop in sub.get("properties", {}).items():
            yield owner, name, prop


def test_every_field_has_a_description():
    missing = [f"{owner}.{name}" for owner, name, prop in _properties(json_schema())
               if not prop.get("description")]
    assert missing == []


def test_every_object_forbids_unknown_keys():
    schema = json_schema()
    objects = [("root", schema), *schema["$defs"].items()]
    open_objects = [name for name, sub in objects
                    if sub.get("type") == "object" and sub.get("additionalProperties") is not False]
    # Block only dispatches on 'type', InitializerClass on 'class': each of their if/then rules points
    # at a closed schema (a block's, an initializer class's), and every value of the tag has a rule.
    # BlockInModuleFile dispatches the same way and sends any other type to ModuleUse, whose keys
    # are the module's parameters, which only validate knows.
    # The training section's Training_optimizer, _schedule, _loss and _metrics dispatch on 'class' too.
    training = {f"Training_{key}" for key in ("optimizer", "schedule", "loss", "metrics")}
    assert set(open_objects) == {"Block", "BlockInModuleFile", "InitializerClass", "ModuleUse"} | training
    for dispatcher, tag in (("Block", "type"), ("InitializerClass", "class"), ("BlockInModuleFile", "type"),
                            *((name, "class") for name in sorted(training))):
        rules = schema["$defs"][dispatcher]["allOf"]
        if dispatcher == "BlockInModuleFile":
            assert rules[-1] == {"if": {"properties": {"type": {"not": {"enum": block_types()}}}},
                                 "then": {"$ref": "#/$defs/ModuleUse"}}
            rules = rules[:-1]
        assert all(rule["then"]["$ref"].startswith("#/$defs/") for rule in rules), dispatcher
        for rule in rules:
            assert schema["$defs"][rule["then"]["$ref"].rsplit("/", 1)[-1]]["additionalProperties"] is False
        consts = [rule["if"]["properties"][tag]["const"] for rule in rules]
        enum = schema["$defs"][dispatcher]["properties"][tag]
        assert consts == (enum["anyOf"][0] if "anyOf" in enum else enum)["enum"], dispatcher


def test_json_spec_may_carry_its_own_schema_key():
    data = {"$schema": "../schemas/modelspec.schema.json", "name": "m", "input": {"shape": [8, 8, 3]},
            "blocks": [{"type": "vgg", "filters": 4}]}
    validator().validate(data)
    modelspec.loads(json.dumps(data), json=True)


def _errors(blocks):
    data = {"name": "m", "input": {"shape": [32, 32, 3]}, "blocks": blocks}
    return list(validator().iter_errors(data))


def test_typo_inside_a_vgg_block_is_blamed_on_the_vgg_block_only():
    errors = _errors([{"type": "dense", "units": 3}, {"type": "vgg", "filter": 64}])
    best = jsonschema.exceptions.best_match(errors)
    assert list(best.absolute_path) == ["blocks", 1]
    messages = [e.message for e in errors]
    assert any("'filter'" in m and "not allowed" in m for m in messages)
    assert any("'filters' is a required property" in m for m in messages)
    # no error mentions fields of other block types (e.g. inception's conv1x1 or dense's units)
    assert not any("conv1x1" in m or "units" in m for m in messages)


def test_wrong_type_inside_a_block_names_the_field():
    errors = _errors([{"type": "residual", "filters": "64"}])
    assert [(list(e.absolute_path), e.validator) for e in errors] == [(["blocks", 0, "filters"], "type")]


def test_unknown_block_type_lists_the_valid_ones():
    errors = _errors([{"type": "incepton", "conv1x1": 1}])
    assert len(errors) == 1
    assert errors[0].validator == "enum" and "inception" in errors[0].validator_value


# --------------------------------------------------------------------------- v2: recursive blocks

# One valid instance of every block type, with the fields spec-v2 gives it. Names inside merges need
# not resolve: name resolution is the static pass's, and neither validator here runs it.
EXAMPLES = {
    "activation": {"type": "activation", "activation": "relu"},
    "add": {"type": "add", "inputs": ["a", "b"]},
    "average": {"type": "average", "inputs": ["a", "b", "c"]},
    "avg_pool": {"type": "avg_pool", "pool_size": 2},
    "batch_norm": {"type": "batch_norm", "epsilon": 0.001, "center": False},
    "bottleneck": {"type": "bottleneck", "filters": 4},
    "concat": {"type": "concat", "inputs": ["a", "b"], "axis": 1},
    "conv": {"type": "conv", "filters": 4, "kernel_size": 3, "groups": 2, "dilation_rate": [1, 2]},
    "conv_transpose": {"type": "conv_transpose", "filters": 4, "kernel_size": 2, "strides": 2,
                       "batch_norm": {"center": True, "scale": False}},
    "crop": {"type": "crop", "cropping": [[1, 2], [3, 4]]},
    "dense": {"type": "dense", "units": 10},
    "dense_block": {"type": "dense_block", "layers": 2, "growth_rate": 8},
    "dropout": {"type": "dropout", "rate": 0.1, "noise_shape": [None, 1, 1, 1]},
    "flatten": {"type": "flatten"},
    "global_avg_pool": {"type": "global_avg_pool", "keepdims": True},
    "global_max_pool": {"type": "global_max_pool"},
    "inception": {"type": "inception", "conv1x1": 4, "conv3x3": 4, "conv5x5": 4},
    "max_pool": {"type": "max_pool"},
    "maximum": {"type": "maximum", "inputs": ["a", "b"]},
    "multiply": {"type": "multiply", "inputs": ["a", "b"]},
    "parallel": {"type": "parallel", "merge": "add", "branches": [[], [{"type": "conv", "filters": 3,
                                                                          "kernel_size": 1}]]},
    "preact_bottleneck": {"type": "preact_bottleneck", "filters": 4, "shortcut": "projection"},
    "reshape": {"type": "reshape", "shape": [-1, 4]},
    "residual": {"type": "residual", "filters": 4},
    "sequence": {"type": "sequence", "blocks": [{"type": "max_pool"}]},
    "subtract": {"type": "subtract", "inputs": ["a", "b"]},
    "transition": {"type": "transition", "reduction": 0.5},
    "upsample": {"type": "upsample", "size": [2, 1], "interpolation": "bilinear"},
    "vgg": {"type": "vgg", "filters": 4},
    "zero_padding": {"type": "zero_padding", "padding": [[1, 0], [0, 1]]},
    # spec-v2 sections 3 and 4 (issue 10)
    "depthwise_conv": {"type": "depthwise_conv", "kernel_size": 3, "depth_multiplier": 2, "dilation_rate": [1, 2],
                       "batch_norm": {"momentum": 0.9}, "kernel_initializer": {"class": "HeNormal", "seed": 1}},
    "separable_conv": {"type": "separable_conv", "filters": 8, "kernel_size": [3, 3], "strides": 2, "use_bias": False,
                       "activation": "relu6", "kernel_initializer": "lecun_uniform"},
    "relu": {"type": "relu", "max_value": 6, "negative_slope": 0.1, "threshold": 0.5},
    "layer_norm": {"type": "layer_norm", "epsilon": 1e-6, "center": False},
    "rescale": {"type": "rescale", "scale": [0.5, 0.25, 0.125], "offset": -1},
    "normalize": {"type": "normalize", "mean": [0.485, 0.456, 0.406], "variance": [0.052, 0.05, 0.051]},
    "squeeze_excite": {"type": "squeeze_excite", "filters": 4, "activation": "swish", "gate": "hard_sigmoid"},
    "inverted_residual": {"type": "inverted_residual", "filters": 16, "expansion": 1, "strides": 2,
                          "batch_norm": {"epsilon": 0.001}},
    "mbconv": {"type": "mbconv", "filters": 16, "kernel_size": 5, "se_ratio": 0.25, "drop_rate": 0.2,
               "kernel_initializer": {"class": "VarianceScaling", "scale": 2.0, "mode": "fan_out",
                                      "distribution": "truncated_normal"}},
}


def _spec(blocks: list) -> dict:
    return {"name": "m", "input": {"shape": [32, 32, 3]}, "blocks": blocks}


def nested(block: dict) -> dict:
    """``block`` at depth 3: in a parallel branch, in a sequence, in a parallel branch."""
    return _spec([
        {"type": "parallel", "merge": "concat", "branches": [
            [],
            [{"type": "sequence", "blocks": [
                {"type": "conv", "filters": 4, "kernel_size": 1},
                {"type": "parallel", "merge": "add", "branches": [[], [block]]},
            ]}],
        ]},
    ])


# where the block sits in nested(), as jsonschema's error.absolute_path
NESTED_AT = ["blocks", 0, "branches", 1, 0, "blocks", 1, "branches", 1, 0]


def pydantic_accepts(data: dict) -> bool:
    try:
        parse_spec(parse_text(json.dumps(data), "<spec>", as_json=True))
    except SpecError:
        return False
    return True


def test_examples_cover_every_block_type():
    assert sorted(EXAMPLES) == sorted(block_types())
    assert all(example["type"] == tag for tag, example in EXAMPLES.items())


def test_every_place_a_block_stands_refers_to_the_one_block_definition():
    schema = json_schema()
    defs = schema["$defs"]
    block = {"$ref": "#/$defs/Block"}
    assert schema["else"]["properties"]["blocks"]["items"] == block
    assert defs["SequenceBlock"]["properties"]["blocks"]["items"] == block
    assert defs["ParallelBlock"]["properties"]["branches"]["items"]["items"] == block
    # in a file with modules or extends, the same places refer to the definition that admits module uses
    loose = {"$ref": "#/$defs/BlockInModuleFile"}
    assert schema["if"] == {"anyOf": [{"required": ["extends"]}, {"required": ["modules"]}]}
    assert schema["then"]["properties"]["blocks"]["items"] == loose
    assert defs["SequenceBlockInModuleFile"]["properties"]["blocks"]["items"] == loose
    assert defs["ParallelBlockInModuleFile"]["properties"]["branches"]["items"]["items"] == loose
    assert schema["properties"]["insert"]["items"]["properties"]["blocks"]["items"] == loose
    # the dispatcher has one rule per registered type, each pointing at that type's own model
    rules = {rule["if"]["properties"]["type"]["const"]: rule["then"]["$ref"] for rule in defs["Block"]["allOf"]}
    assert rules == {tag: f"#/$defs/{block_class(tag).__name__}" for tag in block_types()}
    assert defs["Block"]["properties"]["type"]["enum"] == block_types()


@pytest.mark.parametrize("tag", sorted(EXAMPLES))
def test_any_block_validates_inside_nested_composites(tag):
    """A parallel branch holds any block: each type, at depth 3, is valid for both validators."""
    data = nested(EXAMPLES[tag])
    assert list(validator().iter_errors(data)) == []
    assert pydantic_accepts(data)


@pytest.mark.parametrize("tag", sorted(EXAMPLES))
def test_any_block_with_an_unknown_field_is_refused_inside_nested_composites(tag):
    """The same blocks with one unknown key: refused by both, so depth 3 is really validated."""
    data = nested({**EXAMPLES[tag], "colour": "red"})
    errors = list(validator().iter_errors(data))
    assert errors and all(list(e.absolute_path)[:len(NESTED_AT)] == NESTED_AT for e in errors)
    assert not pydantic_accepts(data)


def test_three_deep_parallels_validate():
    """parallel in a sequence in a parallel in a sequence in a parallel: any depth, one definition."""
    inner = {"type": "parallel", "merge": "maximum", "branches": [[], [{"type": "activation",
                                                                         "activation": "relu"}]]}
    for _ in range(2):
        inner = {"type": "parallel", "merge": "add", "branches": [[], [{"type": "sequence", "blocks": [inner]}]]}
    data = _spec([inner])
    validator().validate(data)
    assert pydantic_accepts(data)
    broken = copy.deepcopy(data)
    deepest = broken["blocks"][0]["branches"][1][0]["blocks"][0]["branches"][1][0]["blocks"][0]
    deepest["merge"] = "max"
    (error,) = validator().iter_errors(broken)
    assert list(error.absolute_path) == ["blocks", 0, "branches", 1, 0, "blocks", 0, "branches", 1, 0, "blocks", 0,
                                         "merge"]
    assert error.validator == "enum" and "maximum" in error.validator_value


# --------------------------------------------------------------------------- every field is described


def _model_schemas():
    """(pydantic model, its schema object) for the top level, every block and every nested settings model."""
    from modelspec.blocks.mobile import MobileNetV2BatchNormConfig
    from modelspec.fields import BatchNormConfig, KerasAppsBatchNormConfig
    from modelspec.spec import Defaults, InputSpec

    schema = json_schema()
    yield ModelSpec, schema
    for model in (InputSpec, Defaults, BatchNormConfig, KerasAppsBatchNormConfig, MobileNetV2BatchNormConfig,
                  *CLASSES.values()):
        yield model, schema["$defs"][model.__name__]
    for tag in block_types():
        cls = block_class(tag)
        yield cls, schema["$defs"][cls.__name__]


def test_every_model_field_is_in_the_schema_with_its_description():
    """Walking $defs reaches every field: each model's schema lists exactly its fields, each described
    (the same text as the pydantic Field, which is what an editor's hover shows)."""
    problems = []
    for model, sub in _model_schemas():
        properties = sub["properties"]
        extra = {"$schema", "extends", "patch", "insert", "modules"} if model is ModelSpec else set()
        keys = {field.alias or name: name for name, field in model.model_fields.items()}  # initializers' 'class'
        if set(properties) != set(keys) | extra:
            problems.append(f"{model.__name__}: schema {sorted(properties)} vs fields {sorted(keys)}")
        for key, name in keys.items():
            field = model.model_fields[name]
            description = properties.get(key, {}).get("description", "")
            if not description or description != field.description:
                problems.append(f"{model.__name__}.{name}: {description!r}")
            elif len(description.split()) < 2:
                problems.append(f"{model.__name__}.{name}: a one-word description {description!r}")
    assert problems == []


def test_every_definition_is_described():
    """Hovering a block (not a field) shows its model's description too."""
    undescribed = [name for name, sub in json_schema()["$defs"].items() if not sub.get("description")]
    assert undescribed == []


# --------------------------------------------------------------------------- blame at depth

# (block with a mistake, the field the mistake is in, what best_match's message names, error path tail)
DEEP_MISTAKES = [
    ({"type": "conv", "filters": 4, "kernal_size": 3}, "'kernal_size' was unexpected", []),
    ({"type": "vgg", "filter": 4}, "'filter' was unexpected", []),
    ({"type": "conv_transpose", "filters": 4, "kernel_size": 2, "stride": 2}, "'stride' was unexpected", []),
    ({"type": "dense_block", "layers": 2, "growth": 4}, "'growth' was unexpected", []),
    ({"type": "preact_bottleneck", "filters": 4, "stride": 2}, "'stride' was unexpected", []),
    ({"type": "transition", "reduce": 0.5}, "'reduce' was unexpected", []),
    ({"type": "crop", "cropping": "all"}, "'all' is not valid", ["cropping"]),
    ({"type": "upsample", "interpolation": "bicubic"}, "'bicubic' is not one of ['nearest', 'bilinear']",
     ["interpolation"]),
    ({"type": "conv", "filters": "4", "kernel_size": 1}, "'4' is not of type 'integer'", ["filters"]),
    ({"type": "parallel", "merge": "add", "branchs": [[], []]}, "'branchs' was unexpected", []),
    ({"type": "concat", "inputs": ["a", "b"], "axis": "channels"}, "'channels' is not of type 'integer'",
     ["axis"]),
]


def _rule_types(error) -> list[str]:
    """The block types whose if/then rule the error's schema path went through, outermost first."""
    rules = json_schema()["$defs"]["Block"]["allOf"]
    path = list(error.absolute_schema_path)
    return [rules[path[i + 1]]["if"]["properties"]["type"]["const"]
            for i in range(len(path) - 2) if path[i] == "allOf" and path[i + 2] == "then"]


@pytest.mark.parametrize("block, message, tail", DEEP_MISTAKES, ids=lambda v: v["type"] if isinstance(v, dict)
                         else None)
def test_mistake_at_depth_3_is_blamed_on_that_blocks_own_schema(block, message, tail):
    errors = list(validator().iter_errors(nested(block)))
    best = jsonschema.exceptions.best_match(errors)
    assert list(best.absolute_path) == NESTED_AT + tail, best
    assert message in best.message, best.message
    # through parallel, sequence, parallel, then the block's own rule; every error goes through it too
    assert _rule_types(best) == ["parallel", "sequence", "parallel", block["type"]]
    assert all(_rule_types(e)[-1] == block["type"] for e in errors), [e.message for e in errors]
    others = set().union(*(block_class(t).model_fields for t in block_types() if t != block["type"]))
    foreign = others - set(block_class(block["type"]).model_fields)
    assert not any(f"'{name}'" in e.message for e in errors for name in foreign), [e.message for e in errors]


def test_unknown_type_at_depth_3_lists_the_valid_ones():
    (error,) = validator().iter_errors(nested({"type": "conv_transpos", "filters": 4}))
    assert list(error.absolute_path) == NESTED_AT + ["type"]
    assert error.validator == "enum" and error.validator_value == block_types()


# --------------------------------------------------------------------------- one verdict on graph specs


GRAPH_SPECS = {
    # both accept (the static pass would refuse the last two: a dangling 'side', an unknown 'nowhere')
    "squeeze-excite": (True, _spec([{"type": "conv", "filters": 8, "kernel_size": 1, "name": "x"},
                                    {"type": "parallel", "merge": "multiply", "branches": [[], [
                                        {"type": "global_avg_pool", "keepdims": True},
                                        {"type": "conv", "filters": 8, "kernel_size": 1, "activation": "sigmoid"}]]}])),
    "two-inputs": (True, {"name": "m", "inputs": {"image": {"shape": [32, 32, 3]}, "meta": {"shape": [8]}},
                          "blocks": [{"type": "global_avg_pool", "input": "image", "name": "p"},
                                     {"type": "concat", "inputs": ["p", "meta"]}], "outputs": ["block2"]}),
    "dangling": (True, _spec([{"type": "conv", "filters": 8, "kernel_size": 1, "name": "side"},
                              {"type": "conv", "filters": 8, "kernel_size": 1, "input": "input"}])),
    "unknown-reference": (True, _spec([{"type": "dense", "units": 2, "input": "nowhere"}])),
    # both refuse
    "input-and-inputs": (False, {**_spec([{"type": "flatten"}]), "inputs": {"x": {"shape": [4]}}}),
    "neither-input": (False, {"name": "m", "blocks": [{"type": "flatten"}]}),
    "empty-outputs": (False, {**_spec([{"type": "flatten"}]), "outputs": []}),
    "merge-of-one": (False, _spec([{"type": "add", "inputs": ["input"]}])),
    "merge-with-input": (False, _spec([{"type": "add", "inputs": ["input", "input"], "input": "input"}])),
    "parallel-of-one-branch": (False, _spec([{"type": "parallel", "merge": "add", "branches": [[]]}])),
    "branch-not-a-list": (False, _spec([{"type": "parallel", "merge": "add", "branches": [[], {"type": "flatten"}]}])),
    "empty-sequence": (False, _spec([{"type": "sequence", "blocks": []}])),
    "dense-block-batch-norm-false": (False, _spec([{"type": "dense_block", "layers": 1, "batch_norm": False}])),
    "bad-reference-name": (False, _spec([{"type": "dense", "units": 2, "input": "1st"}])),
}


@pytest.mark.parametrize("name", sorted(GRAPH_SPECS))
def test_graph_spec_gets_one_verdict(name):
    expected, data = GRAPH_SPECS[name]
    assert (pydantic_accepts(data), validator().is_valid(data)) == (expected, expected), (
        [e.message for e in validator().iter_errors(data)])


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in SCHEMA_RULES])
def test_schema_refuses_what_pydantic_refuses(case):
    """Rules beyond types that the schema states too (see test_bad_specs.SCHEMA_RULES): maxItems 2 for
    subtract's inputs; repeat 1 for merges; axis only with merge: concat (if/then); reshape sizes
    >= 1 or -1, with -1 at most once (maxContains); normalize's mean and variance together
    (dependentRequired) and variance >= 0 (minimum); squeeze_excite's ratio or filters
    (not: required both)."""
    source = parse_text(case.text, "<spec>")
    with pytest.raises(SpecError):
        parse_spec(source)
    assert not validator().is_valid(source.data)


# --------------------------------------------------------------------------- initializers as data (issue 10)

# (id, kernel_initializer value, valid?): one verdict from pydantic and the JSON Schema. The classes and
# their arguments are Keras 3's (tests/test_initializers.py holds modelspec's table to Keras itself).
INITIALIZER_VERDICTS = [
    ("name", "he_normal", True),
    ("efficientnet", {"class": "VarianceScaling", "scale": 2.0, "mode": "fan_out",
                      "distribution": "truncated_normal"}, True),
    ("seeded", {"class": "GlorotUniform", "seed": 42}, True),
    ("unseeded", {"class": "RandomNormal", "mean": 0.1, "stddev": 0.2, "seed": None}, True),
    ("int-for-float", {"class": "Constant", "value": 1}, True),
    ("name-typo", "he_normall", False),
    ("unknown-class", {"class": "VarianceScalling"}, False),
    ("class-in-snake-case", {"class": "variance_scaling"}, False),
    ("left-out-class", {"class": "Identity"}, False),
    ("no-class", {"scale": 2.0}, False),
    ("class-not-a-string", {"class": ["HeNormal"]}, False),
    ("keras-config-form", {"class_name": "VarianceScaling", "config": {"scale": 2.0}}, False),
    ("unknown-argument", {"class": "VarianceScaling", "scal": 2.0}, False),
    ("another-class-s-argument", {"class": "Orthogonal", "scale": 2.0}, False),
    ("fixed-argument", {"class": "HeNormal", "scale": 2.0}, False),
    ("left-out-argument", {"class": "GlorotNormal", "input_axes": [0, 1]}, False),
    ("bad-mode", {"class": "VarianceScaling", "mode": "fan"}, False),
    ("zero-scale", {"class": "VarianceScaling", "scale": 0}, False),
    ("float-seed", {"class": "HeUniform", "seed": 1.5}, False),
    ("negative-seed", {"class": "LecunNormal", "seed": -1}, False),
    ("bool-seed", {"class": "LecunUniform", "seed": True}, False),
    ("string-value", {"class": "Constant", "value": "0.5"}, False),
    ("bool-scale", {"class": "VarianceScaling", "scale": True}, False),
    ("string-stddev", {"class": "RandomNormal", "stddev": "0.1"}, False),
    # Keras' VarianceScaling reads "normal" as "truncated_normal" (keras.src.initializers.random_initializers)
    ("keras-alias-normal", {"class": "VarianceScaling", "distribution": "normal"}, True),
    ("bad-distribution", {"class": "VarianceScaling", "distribution": "gaussian"}, False),
]


def _with_initializer(where: str, value) -> dict:
    """A spec with ``value`` as a kernel initializer: on a top-level conv, on an mbconv at depth 3, or in defaults."""
    if where == "conv":
        return _spec([{"type": "conv", "filters": 4, "kernel_size": 3, "kernel_initializer": value}])
    if where == "nested-mbconv":
        return nested({"type": "mbconv", "filters": 4, "kernel_initializer": value})
    return {**_spec([{"type": "depthwise_conv", "kernel_size": 3}]), "defaults": {"kernel_initializer": value}}


@pytest.mark.parametrize("where", ["conv", "nested-mbconv", "defaults"])
@pytest.mark.parametrize("value, valid", [pytest.param(v, ok, id=i) for i, v, ok in INITIALIZER_VERDICTS])
def test_initializer_gets_one_verdict(value, valid, where):
    data = _with_initializer(where, value)
    assert (pydantic_accepts(data), validator().is_valid(data)) == (valid, valid), (
        [e.message for e in validator().iter_errors(data)])


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_every_initializer_class_with_its_defaults_is_valid_for_both(name):
    data = _with_initializer("conv", {"class": name})
    assert (pydantic_accepts(data), validator().is_valid(data)) == (True, True)


def test_initializer_classes_in_the_schema_are_modelspec_s():
    """kernel_initializer in the schema: a name, or an InitializerClass, which dispatches on 'class' (as Block
    on 'type') with one if/then rule per class, each pointing at that class's closed object."""
    schema = json_schema()
    defs = schema["$defs"]
    choices = defs["ConvLayer"]["properties"]["kernel_initializer"]["anyOf"]
    assert choices == [{"enum": list(INITIALIZERS), "type": "string"}, {"$ref": "#/$defs/InitializerClass"}]
    dispatcher = defs["InitializerClass"]
    assert dispatcher["required"] == ["class"] and dispatcher["properties"]["class"]["enum"] == sorted(CLASSES)
    rules = {rule["if"]["properties"]["class"]["const"]: rule["then"]["$ref"] for rule in dispatcher["allOf"]}
    assert rules == {name: f"#/$defs/{name}" for name in CLASSES}
    for name in CLASSES:
        sub = defs[name]
        assert sub["properties"]["class"]["const"] == name and sub["required"] == ["class"]
        assert sub["additionalProperties"] is False


def _initializer_places(node, where="$"):
    """(where, schema) of every property named kernel_initializer in the schema."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "kernel_initializer" and isinstance(value, dict):
                yield f"{where}.{key}", value
            yield from _initializer_places(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _initializer_places(value, f"{where}[{i}]")


def test_every_kernel_initializer_refers_to_the_one_dispatcher():
    """Every block and defaults (where null means unset) offer the same two choices, so a typo is blamed the
    same way everywhere."""
    choices = [{"enum": list(INITIALIZERS), "type": "string"}, {"$ref": "#/$defs/InitializerClass"}]
    places = dict(_initializer_places(json_schema()))
    assert {where.split(".")[2] for where in places} >= {"ConvLayer", "DepthwiseConvLayer", "SeparableConvLayer",
                                                         "DenseLayer", "MBConvBlock", "Defaults"}
    for where, sub in places.items():
        if where.endswith(".Defaults.properties.kernel_initializer"):
            assert sub["anyOf"] == [{"anyOf": choices}, {"type": "null"}], where
        else:
            assert sub["anyOf"] == choices, where


# (class, a mistake inside its mapping, what best_match's message names, error path tail)
INITIALIZER_MISTAKES = [
    ("VarianceScaling", {"scal": 2.0}, "'scal' was unexpected", []),
    ("Orthogonal", {"scale": 2.0}, "'scale' was unexpected", []),  # VarianceScaling's, not Orthogonal's
    ("HeNormal", {"seed": 1.5}, "1.5 is not valid under any of the given schemas", ["seed"]),
    ("VarianceScaling", {"mode": "fan"}, "'fan' is not one of ['fan_in', 'fan_out', 'fan_avg']", ["mode"]),
    ("Constant", {"value": "0.5"}, "'0.5' is not of type 'number'", ["value"]),
]


@pytest.mark.parametrize("cls, mistake, message, tail", INITIALIZER_MISTAKES,
                         ids=[f"{c}-{next(iter(m))}" for c, m, _, _ in INITIALIZER_MISTAKES])
def test_initializer_mistake_at_depth_3_is_blamed_inside_its_class(cls, mistake, message, tail):
    """Inside an mbconv at depth 3, the error goes through the InitializerClass rule for that class only."""
    data = nested({"type": "mbconv", "filters": 4, "kernel_initializer": {"class": cls, **mistake}})
    errors = list(validator().iter_errors(data))
    best = jsonschema.exceptions.best_match(errors)
    assert list(best.absolute_path) == NESTED_AT + ["kernel_initializer"] + tail, best
    assert message in best.message, best.message
    # the schema path: kernel_initializer, its InitializerClass choice (anyOf 1), then rule i of the dispatcher
    path = list(best.absolute_schema_path)
    at = len(path) - 1 - path[::-1].index("kernel_initializer")
    assert path[at + 1:at + 4] == ["anyOf", 1, "allOf"] and path[at + 5] == "then", path
    rule = json_schema()["$defs"]["InitializerClass"]["allOf"][path[at + 4]]
    assert rule["if"]["properties"]["class"]["const"] == cls


def test_initializer_argument_typo_is_blamed_on_the_argument():
    errors = _errors([{"type": "conv", "filters": 4, "kernel_size": 3,
                       "kernel_initializer": {"class": "VarianceScaling", "scal": 2.0}}])
    best = jsonschema.exceptions.best_match(errors)
    assert list(best.absolute_path) == ["blocks", 0, "kernel_initializer"]
    assert "'scal' was unexpected" in best.message, best.message
