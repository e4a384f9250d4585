"""The exported JSON Schema: current, self-describing, and blaming the right block."""

import json

import jsonschema
import pytest

import modelspec
from modelspec.cli import main
from modelspec.schema import json_schema, schema_text
from conftest import ROOT, SPECS

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
    # Block only dispatches on 'type': each of its if/then rules points at a closed block schema
    assert open_objects == ["Block"]
    assert all(rule["then"]["$ref"].startswith("#/$defs/") for rule in schema["$defs"]["Block"]["allOf"])
    for rule in schema["$defs"]["Block"]["allOf"]:
        assert schema["$defs"][rule["then"]["$ref"].rsplit("/", 1)[-1]]["additionalProperties"] is False


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


def test_bundled_contract_copy_is_current():
    # docs/spec-v1.md is the published copy of the project's contract (../shared/spec-v1.md).
    shared = ROOT.parent / "shared" / "spec-v1.md"
    if not shared.is_file():
        pytest.skip("the shared contract is not beside this checkout")
    assert (ROOT / "docs" / "spec-v1.md").read_text() == shared.read_text()
