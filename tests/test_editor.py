"""The editor experience: the real yaml-language-server, driven over LSP stdio, on the published schema.

Spec files name ``schemas/modelspec.schema.json`` in a modeline; these tests open documents the way
an editor does (``file://`` URIs, the modeline resolved against the document's folder) and check
what the user sees: no noise on the bundled specs, errors blamed on the block's own fields, the
list of valid block types, and completion of the block's missing fields.

The server (``yaml-language-server@1.25.0``, the newest release that runs on Node 20) is installed
with npm into a cache directory once and reused. Skipped only when ``node`` or ``npm`` is not on
PATH; a failed install fails the tests.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from conftest import ROOT, SPECS
from modelspec.blocks import block_class, block_types
from lsp_client import LspClient

YLS_VERSION = "1.25.0"
SCHEMA_FILE = ROOT / "schemas" / "modelspec.schema.json"
MODELINE = "# yaml-language-server: $schema=../schemas/modelspec.schema.json\n"
BUNDLED_YAML = sorted(p for p in SPECS.iterdir() if p.suffix in (".yaml", ".yml"))
SETTINGS = {
    "yaml": {
        "validate": True,
        "completion": True,
        "hover": True,
        "format": {"enable": False},
        "schemaStore": {"enable": False},  # else it fetches the public catalog
    },
}


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "modelspec-tests" / f"yaml-language-server-{YLS_VERSION}"


def _installed_version(prefix: Path) -> str | None:
    package = prefix / "node_modules" / "yaml-language-server" / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


@pytest.fixture(scope="session")
def yls_command() -> list[str]:
    """argv of the installed server, installing it into the cache on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("node and npm are needed on PATH to run yaml-language-server")
    prefix = _cache_dir()
    if _installed_version(prefix) != YLS_VERSION:
        prefix.parent.mkdir(parents=True, exist_ok=True)
        # Install beside the cache entry, then rename: concurrent sessions never see half an install.
        staging = Path(tempfile.mkdtemp(prefix="install-", dir=prefix.parent))
        try:
            done = subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--prefix", str(staging),
                 f"yaml-language-server@{YLS_VERSION}"],
                capture_output=True, text=True, timeout=300)
            if done.returncode != 0 or _installed_version(staging) != YLS_VERSION:
                pytest.fail(f"npm install of yaml-language-server@{YLS_VERSION} failed "
                            f"(exit {done.returncode}):\n{done.stdout}\n{done.stderr}")
            if _installed_version(prefix) != YLS_VERSION:  # else another session just installed it
                shutil.rmtree(prefix, ignore_errors=True)  # a broken or older install
                try:
                    staging.rename(prefix)
                except OSError:  # another session renamed its install in first
                    if _installed_version(prefix) != YLS_VERSION:
                        raise
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"npm install of yaml-language-server@{YLS_VERSION} timed out: {exc}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    server = prefix / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
    assert server.is_file(), server
    return [node, str(server), "--stdio"]


@pytest.fixture(scope="module")
def lsp(yls_command):
    client = LspClient(yls_command, SETTINGS, cwd=ROOT)
    try:
        client.initialize(ROOT)
        yield client
    finally:
        client.close()


# -- helpers ------------------------------------------------------------------------------------

def scratch_uri(name: str) -> str:
    """A document in specs/, beside the bundled ones, opened unsaved (never written to disk)."""
    return (SPECS / f"_editor_test_{name}.yaml").as_uri()


def line_of(text: str, needle: str) -> int:
    (line,) = [i for i, s in enumerate(text.splitlines()) if needle in s]
    return line


def describe(diags: list[dict]) -> str:
    return "\n".join(f"  line {d['range']['start']['line']}: {d['message']} [{d.get('source')}]"
                     for d in diags) or "  (none)"


def block_defs() -> dict[str, str]:
    """Block type -> name of its schema entry under $defs (the pydantic model's name)."""
    return {tag: cls.__name__ for tag, cls in ((t, block_class(t)) for t in block_types())}


def fields_of_other_blocks(block_type: str) -> set[str]:
    """Fields other block types take and ``block_type`` does not, as the schema file lists them."""
    defs = json.loads(SCHEMA_FILE.read_text())["$defs"]
    fields = {tag: set(defs[name]["properties"]) for tag, name in block_defs().items()}
    return set().union(*(f for tag, f in fields.items() if tag != block_type)) - fields[block_type]


VGG_INPUT = "name: editor_test\ninput:\n  shape: [32, 32, 3]\nblocks:\n"
# Unsaved documents in specs/ with the bundled specs' modeline, by name.
SCRATCH = {
    "typo": VGG_INPUT + "  - type: vgg\n    filter: 64\n    convs: 2\n",
    "wrong_type": VGG_INPUT + '  - type: vgg\n    filters: "64"\n',
    "unknown_type": VGG_INPUT + "  - type: incepton\n    filters: 64\n",
    "completion": VGG_INPUT + "  - type: vgg\n    filters: 64\n    \n",
}

# v2: blocks inside composites. DEEP wraps one block (its lines indented by 20 columns) at depth 3:
# in a parallel branch, in a sequence, in a parallel branch.
DEEP = VGG_INPUT + """\
  - {type: conv, filters: 8, kernel_size: 1}
  - type: parallel
    merge: concat
    branches:
      - []
      - - type: sequence
          blocks:
            - {type: conv, filters: 4, kernel_size: 1}
            - type: parallel
              merge: add
              branches:
                - []
                - - %s
"""


def deep(*lines: str) -> str:
    """DEEP with a block of these lines (the first after its '- ')."""
    return DEEP % ("\n" + " " * 20).join(lines)


# name -> (document body, the line the typo is on, the unknown property, the block's type, its first line,
#          the required field the typo hides, or None)
NESTED_TYPOS = {
    "deep_typo": (deep("type: conv", "filters: 4", "kernal_size: 3", "padding: same"),
                  "kernal_size: 3", "kernal_size", "conv", "- - type: conv", "kernel_size"),
    "branch_typo": (VGG_INPUT + "  - type: parallel\n    merge: concat\n    branches:\n      - []\n"
                    "      - - type: dense_block\n          layers: 2\n          growth: 4\n",
                    "growth: 4", "growth", "dense_block", "type: dense_block", None),
    "sequence_typo": (VGG_INPUT + "  - type: sequence\n    blocks:\n      - type: preact_bottleneck\n"
                      "        filters: 4\n        stride: 2\n",
                      "stride: 2", "stride", "preact_bottleneck", "type: preact_bottleneck", None),
}
SCRATCH.update({name: body for name, (body, *_rest) in NESTED_TYPOS.items()})
SCRATCH["deep_unknown_type"] = deep("type: conv_transpos", "filters: 4")
# completion on the empty key line (the last line), inside blocks nested in composites
NESTED_COMPLETION = {
    "deep_completion": (deep("type: dense_block", "layers: 2", ""), "dense_block", {"type", "layers"}),
    "branch_completion": (VGG_INPUT + "  - type: parallel\n    merge: concat\n    branches:\n      - []\n"
                          "      - - type: conv_transpose\n          filters: 4\n          kernel_size: 2\n"
                          "          \n", "conv_transpose", {"type", "filters", "kernel_size"}),
}
SCRATCH.update({name: body for name, (body, *_rest) in NESTED_COMPLETION.items()})


class Document:
    def __init__(self, uri: str, text: str):
        self.uri, self.text = uri, text
        self.diagnostics: list[dict] = []

    def line(self, needle: str) -> int:
        return line_of(self.text, needle)

    def report(self) -> str:
        return f"{self.uri}:\n{describe(self.diagnostics)}"


@pytest.fixture(scope="module")
def docs(lsp) -> dict[str, Document]:
    """Every bundled YAML spec (real URI, real modeline) and every SCRATCH document, opened
    together (validation runs in parallel) and each with its settled diagnostics."""
    documents = {path.name: Document(path.as_uri(), path.read_text()) for path in BUNDLED_YAML}
    documents.update({name: Document(scratch_uri(name), MODELINE + body) for name, body in SCRATCH.items()})
    since = {name: lsp.open(doc.uri, doc.text) for name, doc in documents.items()}
    for name, doc in documents.items():
        doc.diagnostics = lsp.diagnostics(doc.uri, since[name])
    return documents


# -- tests --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [p.name for p in BUNDLED_YAML])
def test_bundled_spec_has_no_diagnostics(docs, name):
    # A schema that fails to load shows up here too ("Unable to load schema from ...").
    assert docs[name].diagnostics == [], docs[name].report()


def test_bundled_spec_is_checked_against_the_schema(lsp, docs):
    """No diagnostics must mean "valid", not "no schema": hover shows the schema's field description."""
    doc = docs["inception_modules.yaml"]
    line = doc.line("conv1x1: 64")
    hover = lsp.request("textDocument/hover", {"textDocument": {"uri": doc.uri},
                                               "position": {"line": line, "character": 6}})
    assert hover is not None, "no hover: the modeline's schema was not applied"
    description = json.loads(SCHEMA_FILE.read_text())["$defs"]["InceptionBlock"]["properties"]["conv1x1"]["description"]
    assert description in hover["contents"]["value"]
    assert "modelspec.schema.json" in hover["contents"]["value"]


def test_typo_in_a_vgg_block_is_blamed_on_the_vgg_block(docs):
    doc = docs["typo"]
    by_message = {d["message"]: d for d in doc.diagnostics}
    assert set(by_message) == {"Property filter is not allowed.", 'Missing property "filters".'}, doc.report()

    typo = by_message["Property filter is not allowed."]["range"]["start"]
    assert (typo["line"], typo["character"]) == (doc.line("filter: 64"), 4), doc.report()
    # The missing field is reported on the block itself (its first line).
    missing = by_message['Missing property "filters".']["range"]["start"]
    assert missing["line"] == doc.line("type: vgg"), doc.report()

    # Nothing in the errors (message, source, or the server's list of allowed properties) speaks
    # of another block type: no "conv1x1", "units", "InceptionBlock" ...
    foreign = fields_of_other_blocks("vgg") | {name for tag, name in block_defs().items() if tag != "vgg"}
    for d in doc.diagnostics:
        words = set(re.findall(r"\w+", json.dumps([d["message"], d.get("source"), d.get("data")])))
        assert not words & foreign, f"mentions other block types' fields {sorted(words & foreign)}:\n{doc.report()}"


def test_wrong_type_inside_a_block_says_the_expected_type(docs):
    doc = docs["wrong_type"]
    assert [d["message"] for d in doc.diagnostics] == ['Incorrect type. Expected "integer".'], doc.report()
    assert doc.diagnostics[0]["range"]["start"]["line"] == doc.line('filters: "64"'), doc.report()


def test_unknown_block_type_lists_the_valid_ones(docs):
    doc = docs["unknown_type"]
    assert len(doc.diagnostics) == 1, doc.report()
    (diag,) = doc.diagnostics
    assert diag["range"]["start"]["line"] == doc.line("type: incepton"), doc.report()
    assert diag["message"].startswith("Value is not accepted. Valid values: "), doc.report()
    for block_type in block_types():
        assert f'"{block_type}"' in diag["message"], f"{block_type} missing from the valid values:\n{doc.report()}"


def test_completion_in_a_vgg_block_offers_its_missing_fields(lsp, docs):
    doc = docs["completion"]
    assert doc.diagnostics == [], doc.report()
    line = doc.text.splitlines().index("    ")  # the empty key line under "filters: 64"
    result = lsp.request("textDocument/completion", {"textDocument": {"uri": doc.uri},
                                                     "position": {"line": line, "character": 4}})
    items = result["items"] if isinstance(result, dict) else result
    labels = {item["label"] for item in items}
    assert {"convs", "kernel_size", "pool_size", "activation", "batch_norm"} <= labels, sorted(labels)
    assert not labels & {"type", "filters"}, f"offers fields already there: {sorted(labels)}"
    assert not labels & fields_of_other_blocks("vgg"), f"offers other blocks' fields: {sorted(labels)}"


# -- v2: blocks nested in parallel branches and sequences ---------------------------------------

@pytest.mark.parametrize("name", sorted(NESTED_TYPOS))
def test_typo_in_a_nested_block_is_blamed_on_that_block(docs, name):
    _, needle, prop, block_type, first_line, hidden = NESTED_TYPOS[name]
    doc = docs[name]
    expected = {f"Property {prop} is not allowed."} | ({f'Missing property "{hidden}".'} if hidden else set())
    by_message = {d["message"]: d for d in doc.diagnostics}
    assert set(by_message) == expected, doc.report()
    typo = by_message[f"Property {prop} is not allowed."]["range"]["start"]
    line = doc.line(needle)
    assert (typo["line"], typo["character"]) == (line, doc.text.splitlines()[line].index(prop)), doc.report()
    if hidden:
        assert by_message[f'Missing property "{hidden}".']["range"]["start"]["line"] == doc.line(first_line)
    foreign = fields_of_other_blocks(block_type) | {n for tag, n in block_defs().items() if tag != block_type}
    for d in doc.diagnostics:
        words = set(re.findall(r"\w+", json.dumps([d["message"], d.get("source"), d.get("data")])))
        assert not words & foreign, f"mentions other block types' fields {sorted(words & foreign)}:\n{doc.report()}"


def test_unknown_block_type_at_depth_lists_the_valid_ones(docs):
    doc = docs["deep_unknown_type"]
    assert len(doc.diagnostics) == 1, doc.report()
    (diag,) = doc.diagnostics
    assert diag["range"]["start"]["line"] == doc.line("type: conv_transpos"), doc.report()
    assert diag["message"].startswith("Value is not accepted. Valid values: "), doc.report()
    valid = re.findall(r'"([a-z0-9_]+)"', diag["message"])
    assert sorted(valid) == sorted(block_types()), doc.report()


@pytest.mark.parametrize("name", sorted(NESTED_COMPLETION))
def test_completion_in_a_nested_block_offers_its_fields(lsp, docs, name):
    _, block_type, present = NESTED_COMPLETION[name]
    doc = docs[name]
    assert doc.diagnostics == [], doc.report()
    lines = doc.text.splitlines()
    line = len(lines) - 1
    assert lines[line].strip() == ""  # the empty key line under the block's last field
    result = lsp.request("textDocument/completion", {"textDocument": {"uri": doc.uri},
                                                     "position": {"line": line, "character": len(lines[line])}})
    items = result["items"] if isinstance(result, dict) else result
    labels = {item["label"] for item in items}
    missing = set(block_class(block_type).model_fields) - present
    assert missing <= labels, f"missing {sorted(missing - labels)} from {sorted(labels)}"
    assert not labels & present, f"offers fields already there: {sorted(labels & present)}"
    assert not labels & fields_of_other_blocks(block_type), f"offers other blocks' fields: {sorted(labels)}"
