"""Editor set-up outside this repository, as the README documents it for a pip-installed user.

* The schema ships inside the package (``modelspec schema --path``), with a ``$id``; the
  repository's ``schemas/modelspec.schema.json`` is that same file.
* Every field has ``examples`` (each valid for the field), every block type a completion
  snippet, and activations, initializers and paddings are enums.
* yaml-language-server, configured with ``yaml.schemas`` mapping the installed schema to a file
  pattern (no modeline), checks and completes specs in a project of the user's own.
"""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from conftest import ROOT
from lsp_client import LspClient
from modelspec.blocks import block_class, block_types
from modelspec.cli import main
from modelspec.fields import ACTIVATIONS
from modelspec.initializers import INITIALIZERS
from modelspec.schema import SCHEMA_ID, installed_schema, json_schema, schema_text
from test_editor import SETTINGS, describe, yls_command  # noqa: F401 (a fixture)


def properties(schema):
    for owner, sub in [("root", schema), *schema["$defs"].items()]:
        for name, prop in sub.get("properties", {}).items():
            yield owner, name, prop


def test_schema_path_prints_the_package_copy_which_is_current(capsys):
    assert main(["schema", "--path"]) == 0
    path = capsys.readouterr().out.strip()
    assert path == str(installed_schema()) and path.endswith("modelspec/modelspec.schema.json")
    assert open(path, encoding="utf-8").read() == schema_text()
    assert json.loads(schema_text())["$id"] == SCHEMA_ID
    assert (ROOT / "schemas" / "modelspec.schema.json").samefile(path)  # one file, never two copies


def test_writing_the_schema_through_the_repository_link_keeps_the_link(tmp_path, capsys):
    target = tmp_path / "package.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert main(["schema", "-o", str(link)]) == 0
    assert link.is_symlink() and target.read_text() == schema_text()


def test_every_field_has_valid_examples():
    schema = json_schema()
    missing, invalid = [], []
    for owner, name, prop in properties(schema):
        examples = prop.get("examples")
        if not examples:
            missing.append(f"{owner}.{name}")
            continue
        validator = jsonschema.Draft202012Validator({**prop, "$defs": schema["$defs"]})
        invalid += [f"{owner}.{name}: {value!r}" for value in examples if not validator.is_valid(value)]
    assert missing == [] and invalid == []


def unsnip(value):
    """A snippet body as an editor inserts it once the user accepts every tab stop's placeholder."""
    if isinstance(value, dict):
        return {k: unsnip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unsnip(v) for v in value]
    if isinstance(value, str) and (match := re.fullmatch(r"\$\{\d+:(.*)\}", value)):
        return yaml.safe_load(match.group(1).replace("\\}", "}").replace("\\$", "$"))
    return value


def snippet_lists(node, where="#"):
    """(where, defaultSnippets) for every schema node that has them."""
    if isinstance(node, dict):
        if "defaultSnippets" in node:
            yield where, node["defaultSnippets"]
        for key, value in node.items():
            yield from snippet_lists(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from snippet_lists(value, f"{where}/{i}")


def test_every_block_type_has_a_snippet_that_makes_a_valid_block():
    schema = json_schema()
    lists = dict(snippet_lists(schema))
    copies = [name for name in schema["$defs"] if name.endswith("InModuleFile") and name != "BlockInModuleFile"]
    assert sorted(lists) == sorted([f"#/$defs/{block_class(tag).__name__}" for tag in block_types()]
                                   + [f"#/$defs/{name}" for name in copies])
    block = jsonschema.Draft202012Validator({"$ref": "#/$defs/Block", "$defs": schema["$defs"]})
    for tag in block_types():
        (snippet,) = lists[f"#/$defs/{block_class(tag).__name__}"]
        assert snippet["label"] == tag
        body = unsnip(snippet["body"])
        assert body["type"] == tag
        required = {n for n, f in block_class(tag).model_fields.items() if f.is_required()}
        assert set(body) == required | {"type"}, tag
        errors = [e.message for e in block.iter_errors(body)]
        assert errors == [], (tag, body, errors)


def enums(node) -> list:
    """Every enum in a property's schema, through anyOf/oneOf (an optional field is anyOf [..., null])."""
    if not isinstance(node, dict):
        return []
    found = [node["enum"]] if "enum" in node else []
    for key in ("anyOf", "oneOf"):
        for choice in node.get(key, []):
            found += enums(choice)
    return found


@pytest.mark.parametrize("field, values", [
    ("activation", list(ACTIVATIONS)),
    ("kernel_initializer", sorted(INITIALIZERS)),
    ("padding", ["same", "valid"]),  # zero_padding's padding is a count of rows and columns instead
])
def test_activations_initializers_and_paddings_are_enums(field, values):
    fields = [(owner, prop) for owner, name, prop in properties(json_schema()) if name == field]
    as_enums = [(owner, sorted(e)) for owner, prop in fields for e in enums(prop)]
    assert len(as_enums) >= 5 and all(e == sorted(values) for _, e in as_enums), as_enums
    without = [owner for owner, prop in fields if not enums(prop)]
    assert without == ([] if field != "padding" else ["ZeroPaddingLayer"])


# -- a user's own project, with yaml-language-server configured through yaml.schemas -----------

TYPO = """\
name: mine
input: {shape: [64, 64, 3]}
blocks:
  - type: vgg
    filter: 64
"""
NEW_ITEM = """\
name: mine
input: {shape: [64, 64, 3]}
blocks:
  - type: vgg
    filters: 64
  - 
"""


@pytest.fixture
def user_project(tmp_path, yls_command):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    settings = {**SETTINGS, "yaml": {**SETTINGS["yaml"], "schemas": {installed_schema().as_uri(): "models/*.yaml"}}}
    client = LspClient(yls_command, settings, cwd=project)
    try:
        client.initialize(project)
        yield project, client
    finally:
        client.close()


def test_yaml_schemas_setting_checks_a_spec_without_a_modeline(user_project):
    project, client = user_project
    uri = (project / "models" / "mine.yaml").as_uri()
    diagnostics = client.diagnostics(uri, client.open(uri, TYPO), timeout=20)
    messages = {d["message"] for d in diagnostics}
    assert messages == {"Property filter is not allowed.", 'Missing property "filters".'}, describe(diagnostics)


def test_yaml_schemas_setting_offers_a_snippet_per_block_type(user_project):
    project, client = user_project
    uri = (project / "models" / "new.yaml").as_uri()
    client.diagnostics(uri, client.open(uri, NEW_ITEM), timeout=20)
    result = client.request("textDocument/completion", {"textDocument": {"uri": uri},
                                                        "position": {"line": 5, "character": 4}})
    items = result["items"] if isinstance(result, dict) else result
    labels = {item["label"] for item in items}
    assert set(block_types()) <= labels, sorted(labels)
    (vgg,) = [item for item in items if item["label"] == "vgg"]
    inserted = vgg.get("insertText") or vgg["textEdit"]["newText"]
    assert "type: vgg" in inserted and "filters: ${1:64}" in inserted, inserted
