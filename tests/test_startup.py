"""validate's start-up: a spec of simple blocks is validated by a ModelSpec that knows only the types it
uses (built in a fraction of the time of the whole union); it must agree with the whole union exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from modelspec.loader import read_source
from modelspec.spec import ModelSpec, _model_for

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.yaml")) + sorted((ROOT / "specs").glob("*.json"))


def _blocks_data(path: Path) -> dict:
    data = read_source(str(path)).data
    return {k: v for k, v in data.items() if k not in ("$schema", "defaults")}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_the_specialised_model_validates_bundled_specs_as_the_whole_union_does(path):
    data = _blocks_data(path)
    model = _model_for(data)
    assert issubclass(model, ModelSpec) and model.__name__ == "ModelSpec"
    assert model.model_validate(data).model_dump() == ModelSpec.model_validate(data).model_dump()


def test_only_specs_of_simple_registered_types_get_a_specialised_model():
    simple = {"name": "m", "input": {"shape": [8]}, "blocks": [{"type": "dense", "units": 2}]}
    assert _model_for(simple) is not ModelSpec
    assert _model_for(simple) is _model_for({**simple, "name": "other"})  # one per set of types
    for blocks in ([{"type": "sequence", "blocks": [{"type": "dense", "units": 2}]}],  # holds blocks
                   [{"type": "dense", "units": 2}, {"type": "densse", "units": 2}],  # unknown type
                   [{"units": 2}], "not a list", []):
        assert _model_for({**simple, "blocks": blocks}) is ModelSpec


ERRORS = [
    [{"type": "dense", "units": 0}],
    [{"type": "dense", "units": 2, "activaton": "relu"}],
    [{"type": "conv", "filters": 2, "kernel_size": [3, 3, 3]}, {"type": "flatten", "x": 1}],
    [{"type": "dense"}],
    [{"type": "max_pool", "pool_size": "2"}, {"type": "dense", "units": 2, "kernel_initializer": {"class": "Foo"}}],
]


@pytest.mark.parametrize("blocks", ERRORS, ids=range(len(ERRORS)))
def test_the_specialised_model_reports_the_same_errors(blocks):
    data = {"name": "m", "input": {"shape": [8, 8, 3]}, "blocks": blocks}
    assert _model_for(data) is not ModelSpec

    def errors(model):
        with pytest.raises(ValidationError) as info:
            model.model_validate(data)
        return info.value.errors(include_url=False)

    assert errors(_model_for(data)) == errors(ModelSpec)
