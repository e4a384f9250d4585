"""``modelspec lsp`` driven over stdio by a real LSP client (tests/lsp_client.py), as an editor would.

What the server says is checked against sources outside it: shapes against the ResNet paper
(He et al. 2016, table 1: conv2_x gives 56×56 maps of 256 channels, conv5_x 7×7×2048) and U-Net's
figure 1 (Ronneberger et al. 2015), field documentation against the shipped JSON Schema, the
diagnostics against what ``modelspec validate`` prints for the same text, and the figures of a
block against ``modelspec summary --json``.
"""

import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT, SPECS
from lsp_client import LspClient
from modelspec.blocks import block_class, block_types
from modelspec.cli import main

pytest.importorskip("pygls", reason="the language server needs the 'lsp' extra (pygls)")

SCHEMA = json.loads((ROOT / "schemas" / "modelspec.schema.json").read_text())


@pytest.fixture
def server(tmp_path):
    client = LspClient([sys.executable, "-m", "modelspec", "lsp", "--stdio"], settings={}, cwd=tmp_path)
    try:
        result = client.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {
            "textDocument": {"hover": {"contentFormat": ["markdown"]},
                             "completion": {"completionItem": {"snippetSupport": True}}}}}, timeout=60)
        client.capabilities = result["capabilities"]
        client.notify("initialized", {})
        yield client
    finally:
        client.close()


class Doc:
    def __init__(self, client, path, text):
        self.client, self.path, self.uri, self.text, self.version = client, path, path.as_uri(), text, 1
        path.write_text(text)
        self.diagnostics = client.diagnostics(self.uri, client.open(self.uri, text), timeout=30, quiet=0.3)

    def line(self, needle: str) -> int:
        (index,) = [i for i, line in enumerate(self.text.splitlines()) if needle in line]
        return index

    def at(self, needle: str, offset: int = 0) -> dict:
        line = self.line(needle)
        return {"line": line, "character": self.text.splitlines()[line].index(needle) + offset}

    def edit(self, old: str, new: str) -> list:
        """An incremental change, as typing sends it; returns the diagnostics published for it."""
        start = self.text.index(old)
        before = self.text[:start]
        line, character = before.count("\n"), len(before) - (before.rfind("\n") + 1)
        end_line = line + old.count("\n")
        end_character = (character + len(old)) if "\n" not in old else len(old) - old.rfind("\n") - 1
        self.text = before + new + self.text[start + len(old):]
        self.version += 1
        since = self.client.publish_count()
        self.client.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": {"line": line, "character": character},
                                          "end": {"line": end_line, "character": end_character}}, "text": new}]})
        self.diagnostics = self.client.diagnostics(self.uri, since, timeout=30, quiet=0.3)
        return self.diagnostics

    def request(self, method: str, position: dict):
        return self.client.request(method, {"textDocument": {"uri": self.uri}, "position": position})


def validate_lines(tmp_path, text, capsys):
    """What `modelspec validate` says about the same text: (line, column, rest of the line) per problem."""
    path = tmp_path / "same.yaml"
    path.write_text(text)
    main(["validate", str(path)])
    lines = capsys.readouterr().err.splitlines()
    return [(int(m[1]), int(m[2]), m[3]) for m in (re.match(r".*?:(\d+):(\d+): error: (.*)", l) for l in lines)]


def test_server_announces_its_features(server):
    caps = server.capabilities
    assert caps["hoverProvider"] and caps["definitionProvider"] and caps["inlayHintProvider"]
    assert caps["completionProvider"] is not None and caps["textDocumentSync"]


def test_shape_error_is_published_as_typed_and_cleared_when_fixed(server, tmp_path, capsys):
    doc = Doc(server, tmp_path / "resnet50.yaml", (SPECS / "resnet50.yaml").read_text())
    assert doc.diagnostics == []

    # typing a kernel that cannot fit: the unsaved buffer is checked, not the file
    diagnostics = doc.edit("filters: 64, kernel_size: 7,", "filters: 64, kernel_size: 700,")
    expected = validate_lines(tmp_path, doc.text, capsys)
    assert [(d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1, d["message"])
            for d in diagnostics] == [(line, column, f"{message}") for line, column, message in expected]
    (d,) = diagnostics
    assert d["message"].startswith("blocks[1].kernel_size: conv1: a kernel of 700")
    start = doc.at("700")
    assert d["range"] == {"start": start, "end": {"line": start["line"], "character": start["character"] + 3}}
    assert d["severity"] == 1 and d["source"] == "modelspec"

    assert doc.edit("kernel_size: 700,", "kernel_size: 7,") == []

    diagnostics = doc.edit("{name: avg_pool, type: global_avg_pool}",
                           "{name: avg_pool, type: global_avg_pool, input: conv9}")
    assert [d["message"] for d in diagnostics] == [
        "blocks[8].input: unknown name 'conv9'; did you mean 'conv5'? (a block name, a copy NAME_k of a "
        "repeated block, or a model input)"]
    assert diagnostics[0]["range"]["start"] == doc.at("conv9}")


@pytest.mark.parametrize("old, new, says", [
    ("blocks:\n", "blocks:\n  - {type: conv, filters: [\n", "invalid YAML"),  # half-typed
    ("units: 4096", "units: 40960000", "--max-params"),  # over the parameter budget
    ("blocks:\n", "expect: {params: 1000}\nblocks:\n", "expect.params: expected params 1,000, got 138,357,544"),
])
def test_syntax_budget_and_expect_problems_are_diagnostics(server, tmp_path, capsys, old, new, says):
    doc = Doc(server, tmp_path / "v.yaml", (SPECS / "vgg16.yaml").read_text())
    assert doc.diagnostics == []
    diagnostics = doc.edit(old, new)
    expected = validate_lines(tmp_path, doc.text, capsys)
    assert [(d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1, d["message"])
            for d in diagnostics] == expected
    assert says in diagnostics[0]["message"]


def test_hover_on_a_block_shows_shape_params_and_macs(server, tmp_path, capsys):
    doc = Doc(server, tmp_path / "resnet50.yaml", (SPECS / "resnet50.yaml").read_text())
    hover = doc.request("textDocument/hover", doc.at("conv2, type: bottleneck", 2))
    text = hover["contents"]["value"]
    assert "output shape `(56, 56, 256)`" in text  # He et al. table 1: conv2_x, 56x56, 256 channels
    assert main(["summary", "--json", str(SPECS / "resnet50.yaml")]) == 0
    summary = json.loads(capsys.readouterr().out)
    copies = [b for b in summary["blocks"] if b["name"] in ("conv2_1", "conv2_2", "conv2_3")]
    assert len(copies) == 3
    assert f"params {sum(b['params'] for b in copies):,}" in text
    assert f"MACs {sum(b['macs'] for b in copies):,}" in text
    assert "×3" in text

    last = doc.request("textDocument/hover", doc.at("conv5, type: bottleneck", 2))["contents"]["value"]
    assert "output shape `(7, 7, 2048)`" in last  # table 1: conv5_x, 7x7, 2048 channels

    # on the block's `type` key: its figures and the type's documentation
    on_type = doc.request("textDocument/hover", doc.at("type: bottleneck, filters: 512", 1))["contents"]["value"]
    assert "output shape `(7, 7, 2048)`" in on_type
    assert SCHEMA["$defs"]["BottleneckBlock"]["properties"]["type"]["description"] in on_type


def test_hover_on_a_field_shows_its_documentation(server, tmp_path):
    doc = Doc(server, tmp_path / "inception.yaml", (SPECS / "inception_modules.yaml").read_text())
    assert doc.diagnostics == []
    hover = doc.request("textDocument/hover", doc.at("conv1x1: 64", 2))
    description = SCHEMA["$defs"]["InceptionBlock"]["properties"]["conv1x1"]["description"]
    assert description in hover["contents"]["value"]
    start = doc.at("conv1x1: 64")
    assert hover["range"]["start"] == start


def test_completion_offers_block_types_and_fields_with_docs(server, tmp_path):
    text = ("name: t\ninput: {shape: [32, 32, 3]}\nblocks:\n  - type: vgg\n    filters: 64\n    \n"
            "  - type: \n")
    doc = Doc(server, tmp_path / "c.yaml", text)
    result = doc.request("textDocument/completion", {"line": 5, "character": 4})
    items = {i["label"]: i for i in result["items"]}
    vgg = block_class("vgg").model_fields
    assert set(items) == set(vgg) - {"type", "filters"}
    props = SCHEMA["$defs"]["VggBlock"]["properties"]
    for name, item in items.items():
        assert item["documentation"]["value"] == props[name]["description"]
    assert items["convs"]["detail"] == "default `1`"  # the field's default, as the schema has it
    assert props["convs"]["default"] == 1

    result = doc.request("textDocument/completion", {"line": 6, "character": 10})
    labels = [i["label"] for i in result["items"]]
    assert labels == block_types()


def test_definition_of_a_reference(server, tmp_path):
    doc = Doc(server, tmp_path / "unet.yaml", (SPECS / "unet.yaml").read_text())
    assert doc.diagnostics == []
    location = doc.request("textDocument/definition", doc.at("input: enc3}", 8))
    assert location["uri"] == doc.uri
    start = doc.at("name: enc3,", 6)
    assert location["range"] == {"start": start, "end": {"line": start["line"], "character": start["character"] + 4}}
    # a copy of a repeated block (NAME_k) goes to NAME
    doc.edit("input: enc3}", "input: enc3_2}")
    location = doc.request("textDocument/definition", doc.at("input: enc3_2}", 8))
    assert location["range"]["start"] == start


def test_inlay_hints_show_each_block_output_shape(server, tmp_path):
    doc = Doc(server, tmp_path / "resnet50.yaml", (SPECS / "resnet50.yaml").read_text())
    lines = doc.text.splitlines()
    hints = server.request("textDocument/inlayHint", {"textDocument": {"uri": doc.uri}, "range": {
        "start": {"line": 0, "character": 0}, "end": {"line": len(lines), "character": 0}}})
    by_line = {h["position"]["line"]: h["label"] for h in hints}
    assert by_line[doc.line("name: conv5, type: bottleneck")] == " → (7, 7, 2048)"
    assert by_line[doc.line("name: conv2, type: bottleneck")] == " → (56, 56, 256)"
    assert by_line[doc.line("name: predictions")] == " → (1000)"
    for h in hints:
        assert h["position"]["character"] == len(lines[h["position"]["line"]])  # at the end of the line


def test_missing_pygls_is_a_clear_error(tmp_path):
    code = ("import sys; sys.modules['pygls'] = None; from modelspec.cli import main; "
            "sys.exit(main(['lsp']))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == ('modelspec: error: the language server needs pygls, which is not installed; '
                                     'install it with: pip install "modelspec[lsp]"')


def test_server_exits_cleanly_when_asked(server):
    assert server.request("shutdown", None) is None
    server.notify("exit", None)
    assert server.proc.wait(30) == 0


def test_the_server_does_not_import_tensorflow():
    code = f"""
import sys
import modelspec.lsp
from modelspec.language import Analysis
text = open({str(SPECS / "resnet50.yaml")!r}).read()
a = Analysis("r.yaml", text)
a.diagnostics(); a.hover(40, 10); a.inlay_hints(); a.completion(40, 4); a.definition(40, 10)
print("IMPORTED:", ",".join(m for m in ("tensorflow", "keras") if m in sys.modules) or "none")
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "IMPORTED: none" in result.stdout, result.stdout + result.stderr


BASE = """\
name: base
input: {shape: [32, 32, 3]}
blocks:
  - {name: stem, type: conv, filters: 16, kernel_size: 3}
  - {name: head, type: flatten}
"""
CHILD = """\
extends: base.yaml
name: child
modules:
  fire:
    params: {squeeze: int}
    blocks:
      - {type: conv, filters: $squeeze, kernel_size: 1}
blocks:
  - {name: stem, type: conv, filters: 16, kernel_size: 3}
  - {name: f1, type: fire, squeeze: 8}
  - {name: head, type: flatten, input: f1}
"""


def test_definition_of_extends_and_module_uses(server, tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    doc = Doc(server, tmp_path / "child.yaml", CHILD)
    assert doc.diagnostics == []
    location = doc.request("textDocument/definition", doc.at("base.yaml", 2))
    assert location["uri"] == (tmp_path / "base.yaml").as_uri()
    location = doc.request("textDocument/definition", doc.at("type: fire", 7))
    assert location["uri"] == doc.uri and location["range"]["start"] == doc.at("fire:")
    hover = doc.request("textDocument/hover", doc.at("f1, type: fire", 1))["contents"]["value"]
    assert "**f1** · `fire` (module)" in hover and "output shape `(30, 30, 8)`" in hover  # 32 - 3 + 1 = 30


def test_a_problem_in_a_base_file_is_shown_at_extends(server, tmp_path):
    (tmp_path / "base.yaml").write_text(BASE.replace("kernel_size: 3", "kernel_size: 300"))
    doc = Doc(server, tmp_path / "child.yaml", "extends: base.yaml\nname: child\n")
    (d,) = doc.diagnostics
    assert d["range"]["start"] == doc.at("base.yaml")
    assert d["message"] == (f"{tmp_path / 'base.yaml'}:4:56: blocks[0].kernel_size: stem: a kernel of 300 "
                            "(valid padding) does not fit in an input of size 32")
    (related,) = d["relatedInformation"]  # a link to the place in the base file
    assert related["location"]["uri"] == (tmp_path / "base.yaml").as_uri()
    assert related["location"]["range"]["start"] == {"line": 3, "character": 55}


def test_completion_of_a_fields_fixed_values(server, tmp_path):
    text = ("name: t\ninput: {shape: [32, 32, 3]}\nblocks:\n  - type: conv\n    filters: 8\n    kernel_size: 3\n"
            "    activation: \n    padding: \n    use_bias: \n")
    doc = Doc(server, tmp_path / "v.yaml", text)

    def labels(needle):
        position = doc.at(needle, len(needle))
        return [i["label"] for i in doc.request("textDocument/completion", position)["items"]]

    activations = SCHEMA["$defs"]["ConvLayer"]["properties"]["activation"]["enum"]
    assert labels("activation: ") == activations  # the schema's enum: Keras' activation names
    assert labels("padding: ") == ["valid", "same"]
    assert labels("use_bias: ") == ["true", "false"]


def test_saving_a_base_file_checks_the_specs_that_extend_it_again(server, tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(BASE)
    child = Doc(server, tmp_path / "child.yaml", "extends: base.yaml\nname: child\n")
    assert child.diagnostics == []
    broken = BASE.replace("kernel_size: 3", "kernel_size: 300")
    base_doc = Doc(server, base, BASE)
    base.write_text(broken)  # the editor writes the file, then says so
    since = server.publish_count()
    server.notify("textDocument/didSave", {"textDocument": {"uri": base_doc.uri}})
    (d,) = server.diagnostics(child.uri, since, timeout=30, quiet=0.3)
    assert "a kernel of 300" in d["message"] and d["range"]["start"] == child.at("base.yaml")


def test_a_module_use_is_checked_as_typed(server, tmp_path, capsys):
    whole = CHILD.replace("extends: base.yaml\n", "").replace("name: child", "name: child\ninput: {shape: [32, 32, 3]}")
    doc = Doc(server, tmp_path / "child.yaml", whole)
    assert doc.diagnostics == []
    diagnostics = doc.edit("squeeze: 8}", "squeze: 8}")
    assert [(d["range"]["start"]["line"] + 1, d["range"]["start"]["character"] + 1, d["message"])
            for d in diagnostics] == validate_lines(tmp_path, doc.text, capsys)
    assert "module 'fire' has no parameter 'squeze'; did you mean 'squeeze'?" in diagnostics[0]["message"]
