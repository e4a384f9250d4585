"""docs/format.md, the project's reference for the spec format, is held to the code.

* Every ```yaml example in it is checked. A mapping is a complete spec and must
  pass ``modelspec.loads`` (validation and the static pass). A list is a
  fragment of blocks: it is put under a small header (``name``, an ``input``
  whose shape is the fragment's ``# input shape: [...]`` comment, ``blocks:``)
  and checked the same way.
* An example that ends in comment lines of the form
  ``# spec.yaml:LINE:COL: error: PATH: message`` (continued on lines that start
  with ``#`` and three spaces) is deliberately bad: it must fail with exactly
  those lines. A ``# layers: a, b, ...`` comment lists the layers the example
  makes, in the order the static pass makes them.
* A ```json example is a spec (it has ``blocks``) or the ``summary --json`` of
  the yaml example just before it (it has ``layers``), and must equal it.
* Every registered block type has a ``### `type` `` section, and that section's
  field table lists exactly the block model's fields (the ones every block
  takes are documented once), each with the model's default or "required". A
  default that is an initializer with arguments (mbconv's) is written as the
  YAML a spec would write, and read back through the same initializer model.

The doc is the source of what these examples claim (its naming rules, its
worked parameter counts); the test makes sure the doc and the code agree, so
that neither can change without the other. Pure Python: no TensorFlow.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Optional

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import modelspec
from modelspec.blocks import block_class, block_types
from modelspec.spec import Defaults, ModelSpec

from conftest import ROOT

DOC = ROOT / "docs" / "format.md"
FRAGMENT_SHAPE = re.compile(r"^# input shape: (\[[^\]]*\])\s*$", re.M)
ERROR_LINE = re.compile(r"^# (spec\.yaml:\d+:\d+: error: .*)$")
LAYERS_LINE = re.compile(r"^# layers: (.*)$")
CONTINUATION = re.compile(r"^#   +(.*)$")
COMMON_FIELDS = {"type", "name", "repeat", "input"}  # documented once, under "Fields every block takes"


@dataclass(frozen=True)
class Example:
    lang: str
    line: int  # 1-based line of the opening fence in docs/format.md
    text: str

    def __str__(self) -> str:
        return f"docs/format.md:{self.line} ({self.lang})"


@dataclass(frozen=True)
class Section:
    level: int
    title: str
    body: str


@lru_cache(maxsize=None)
def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def examples() -> tuple[Example, ...]:
    found, lines, i = [], doc_text().splitlines(), 0
    while i < len(lines):
        opening = re.fullmatch(r"```(\w*)\s*", lines[i])
        if opening is None:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("```"))
        found.append(Example(opening.group(1), i + 1, "\n".join(lines[i + 1:end]) + "\n"))
        i = end + 1
    return tuple(found)


@lru_cache(maxsize=None)
def sections() -> tuple[Section, ...]:
    """The doc split at its ##/### headings (code blocks, whose '# ...' lines are comments, skipped)."""
    result, title, level, body, fenced = [], "", 1, [], False
    for line in doc_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        heading = None if fenced else re.match(r"^(#{1,3}) (.*)$", line)
        if heading:
            result.append(Section(level, title, "\n".join(body)))
            level, title, body = len(heading.group(1)), heading.group(2), []
        else:
            body.append(line)
    result.append(Section(level, title, "\n".join(body)))
    return tuple(result)


def yaml_examples() -> list[Example]:
    return [e for e in examples() if e.lang == "yaml"]


def _marked_lines(text: str, marker: re.Pattern) -> list[str]:
    """The comment lines that ``marker`` starts, each joined with its continuation lines."""
    found, current = [], None
    for line in text.splitlines():
        m = marker.match(line)
        if m:
            current = [m.group(1)]
            found.append(current)
        elif current is not None and CONTINUATION.match(line):
            current.append(CONTINUATION.match(line).group(1))
        else:
            current = None
    return [" ".join(parts) for parts in found]


def spec_text(example: Example) -> tuple[str, bool]:
    """The example as a complete spec, and whether it was a fragment (a list of blocks)."""
    data = modelspec.parse_text(example.text, str(example)).data
    if isinstance(data, dict):
        return example.text, False
    assert isinstance(data, list), f"{example}: neither a spec (a mapping) nor a list of blocks"
    shape = FRAGMENT_SHAPE.search(example.text)
    assert shape, f"{example}: a fragment starts with '# input shape: [...]'"
    return f"name: doc_example\ninput: {{shape: {shape.group(1)}}}\nblocks:\n{example.text}", True


def load(example: Example) -> modelspec.ModelSpec:
    text, _ = spec_text(example)
    return modelspec.loads(text, name="spec.yaml")


@pytest.mark.parametrize("example", yaml_examples(), ids=str)
def test_yaml_example(example: Example):
    errors = _marked_lines(example.text, ERROR_LINE)
    layers = _marked_lines(example.text, LAYERS_LINE)
    if errors:
        text, fragment = spec_text(example)
        assert not fragment, f"{example}: a bad example is a complete spec (so its line numbers are the doc's)"
        assert not layers, f"{example}: a bad example makes no layers"
        with pytest.raises(modelspec.SpecError) as caught:
            modelspec.loads(text, name="spec.yaml")
        assert str(caught.value).splitlines() == errors
        return
    spec = load(example)
    if layers:
        expected = [name.strip() for name in ", ".join(layers).split(",")]
        assert [n.name for n in modelspec.analyze(spec).nodes] == expected


def test_json_examples():
    previous: Optional[Example] = None
    json_examples = 0
    for example in examples():
        if example.lang == "yaml":
            previous = example
        if example.lang != "json":
            continue
        json_examples += 1
        data = json.loads(example.text)
        if "layers" not in data:
            modelspec.loads(example.text, name="spec.json", json=True)
        else:
            assert previous is not None, f"{example}: a summary follows its yaml spec"
            spec = load(previous)
            assert modelspec.analyze(spec).summary(spec.name) == data, f"{example} is not {previous}'s summary"
    assert json_examples >= 2


def test_error_examples_exist():
    bad = [e for e in yaml_examples() if _marked_lines(e.text, ERROR_LINE)]
    assert len(bad) >= 3


def test_every_block_type_has_an_example():
    used = set()
    for example in yaml_examples():
        used.update(re.findall(r"\btype: (\w+)", example.text))
    assert sorted(set(block_types()) - used) == []


def type_sections() -> dict[str, Section]:
    """Block type -> the ### section whose heading names it."""
    found: dict[str, Section] = {}
    for section in sections():
        if section.level != 3:
            continue
        tags = re.findall(r"`(\w+)`", section.title)
        if not re.fullmatch(r"`\w+`(, `\w+`)*", section.title) or None in map(block_class, tags):
            continue  # not a block type's heading ("### `defaults`", "### Scope in `sequence` ...")
        for tag in tags:
            assert tag not in found, f"block type {tag!r} has two sections"
            found[tag] = section
    return found


def table_rows(body: str) -> dict[str, str]:
    """``| `field` | default | meaning |`` rows: field -> its default cell."""
    return dict(re.findall(r"^\| `(\w+)` \| ([^|]*) \|", body, re.M))


def documented_default(cell: str) -> Any:
    """A default cell as a value: "required", or its first `code` read as JSON (else as a string)."""
    if cell.strip().startswith("required"):
        return "required"
    code = re.search(r"`([^`]*)`", cell)
    assert code, f"default cell {cell!r} has neither 'required' nor a `value`"
    try:
        return json.loads(code.group(1))
    except ValueError:
        return code.group(1)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types (``false`` is not ``0``), lists and tuples alike."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def test_every_block_type_is_documented():
    assert sorted(set(block_types()) - set(type_sections())) == []


@pytest.mark.parametrize("tag", block_types())
def test_block_fields_are_documented_with_their_defaults(tag: str):
    fields = {k: f for k, f in block_class(tag).model_fields.items() if k not in COMMON_FIELDS}
    rows = table_rows(type_sections()[tag].body)
    assert sorted(rows) == sorted(fields), f"the table of `{tag}` lists other fields than the model has"
    for key, field in fields.items():
        model = "required" if field.is_required() else field.default
        assert model is not PydanticUndefined
        documented = documented_default(rows[key])
        if isinstance(model, BaseModel) and isinstance(documented, str):
            # `{class: VarianceScaling, ...}`: a YAML mapping, validated as a spec's value would be
            documented = type(model).model_validate(modelspec.parse_text(documented, "docs/format.md").data)
        assert same(documented, model), f"`{tag}`.{key}: the doc says {rows[key]!r}"


def _section(title_part: str) -> Section:
    (section,) = [s for s in sections() if title_part in s.title]
    return section


def test_common_fields_top_level_keys_and_defaults_are_documented():
    assert sorted(table_rows(_section("Fields every block takes").body)) == sorted(COMMON_FIELDS - {"type"})
    top = table_rows(_section("Top-level keys").body)
    assert sorted(top) == sorted(ModelSpec.model_fields)
    for key, field in ModelSpec.model_fields.items():
        assert (top[key].strip() == "required") == field.is_required(), key
    defaults = _section("`defaults`").body
    assert all(f"`{key}`" in defaults for key in Defaults.model_fields)


def test_readme_lists_every_block_type():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Spec format")
    listed = set(re.findall(r"`(\w+)`", readme[start:readme.index("### Choices", start)]))
    assert sorted(set(block_types()) - listed) == []


# --------------------------------------------------------------------------- docs/experiments.md

EXPERIMENTS_DOC = ROOT / "docs" / "experiments.md"
FILE_LINE = re.compile(r"^# file: (\S+)$", re.M)
FILE_ERROR = re.compile(r"^# (\S+:\d+:\d+: error: .*)$", re.M)


def _experiment_files() -> dict[str, str]:
    blocks = re.findall(r"^```yaml\n(.*?)^```", EXPERIMENTS_DOC.read_text(encoding="utf-8"), re.M | re.S)
    files = {}
    for text in blocks:
        match = FILE_LINE.match(text)
        if match:
            files[match.group(1)] = text
    return files


def test_experiments_doc_examples_are_files_that_validate_or_fail_as_they_say(tmp_path):
    files = _experiment_files()
    assert len(files) >= 5
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    for name, text in files.items():
        expected = FILE_ERROR.findall(text)
        if not expected:
            modelspec.load(tmp_path / name)
            continue
        with pytest.raises(modelspec.SpecError) as info:
            modelspec.load(tmp_path / name)
        from modelspec.errors import render

        got = [render(p).replace(f"{tmp_path}/", "") for p in info.value.problems]
        assert got == expected, name


def test_experiments_doc_layer_names_of_module_uses():
    text = _experiment_files()["fire.yaml"]
    names = [n.name for n in modelspec.analyze(modelspec.loads(text)).nodes]
    for name in ("fire2_squeeze", "fire3_1_squeeze", "fire3_2_squeeze"):
        assert name in names
    assert "`fire2_squeeze`" in EXPERIMENTS_DOC.read_text(encoding="utf-8")
