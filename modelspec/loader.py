"""Read a spec file into plain data, remembering where every value was written.

Two small parsers share one result, a :class:`Source`: YAML (through PyYAML's
pure-Python scanner and parser, never its constructors) and JSON (a strict
recursive-descent reader built on :mod:`json`'s string and number scanners).
Both record the 1-based line and column of every value and every mapping key,
keyed by spec path, so any later error can point at the offending text.

What a spec file may contain is deliberately narrow, and the limits are checked
before anything large is built:

* UTF-8 only (a byte-order mark is accepted), no control characters;
* at most ``MAX_BYTES`` bytes, ``MAX_DEPTH`` levels of nesting and ``MAX_VALUES``
  values once YAML aliases are expanded (an alias bomb stops there);
* YAML is read with the YAML 1.2 core schema: only ``true``/``false`` are
  booleans (``on``/``yes`` stay strings), ``1e-4`` is a number, a leading-zero
  integer such as ``010`` is refused as ambiguous, and no tag other than the
  core ones (``!!str``, ``!!int``, ...) is accepted — nothing is ever
  constructed from a tag, so no code can run;
* duplicate mapping keys, non-string keys, self-referencing aliases, NaN and
  infinities, and several YAML documents in one file are errors.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .errors import Problem, SpecError, SpecPath

MAX_BYTES = 1 << 20  # 1 MiB: a spec is a few kilobytes
MAX_DEPTH = 64
MAX_VALUES = 100_000
MAX_INT_DIGITS = 100

# PyYAML's own definition of what may appear in a YAML stream.
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class UsageError(Exception):
    """The spec could not be read at all (missing file, a directory): exit 2."""


@dataclass
class Source:
    """A parsed spec file: its data and where each value of it was written."""

    name: str
    data: Any
    values: dict[SpecPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[SpecPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: SpecPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column of ``path``'s value (or key), else of its nearest known parent."""
        path = tuple(path)
        if key and path in self.keys:
            return self.keys[path]
        for n in range(len(path), -1, -1):
            if path[:n] in self.values:
                return self.values[path[:n]]
        return (1, 1)


def read_source(path: str) -> Source:
    """Read and parse the spec at ``path`` (``-`` is standard input).

    Raises :class:`UsageError` when the file cannot be read, and
    :class:`SpecError` (located) when its content is not an acceptable spec document.
    """
    if path == "-":
        raw = sys.stdin.buffer.read(MAX_BYTES + 1)
    else:
        p = Path(path)
        if p.is_dir():
            raise UsageError(f"{path}: error: is a directory, not a spec file")
        try:
            with p.open("rb") as f:
                raw = f.read(MAX_BYTES + 1)
        except FileNotFoundError:
            raise UsageError(f"{path}: error: no such file") from None
        except OSError as e:
            raise UsageError(f"{path}: error: cannot read: {e.strerror or e}") from None
    as_json = path.lower().endswith(".json")
    return parse_text(raw, path, as_json=as_json)


def parse_text(raw: bytes | str, name: str = "<spec>", *, as_json: bool = False) -> Source:
    """Parse spec text (bytes or str) into a :class:`Source`, or raise a located SpecError."""
    if len(raw) > MAX_BYTES:
        _fail(name, 1, 1, f"the file is larger than {MAX_BYTES:,} bytes; a spec is a few kilobytes")
    text = _decode(raw, name) if isinstance(raw, bytes) else raw.lstrip("\ufeff")
    lines = _LineIndex(text)
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line, col = lines.position(bad.start())
        _fail(name, line, col, f"control character U+{ord(bad.group()):04X} is not allowed in a spec")
    if not text.strip():
        _fail(name, 1, 1, "the spec file is empty")
    source = Source(name, None)
    if as_json:
        source.data = _JsonReader(text, name, lines, source).read_document()
    else:
        source.data = _read_yaml(text, name, source)
    return source


def _fail(name: str, line: int, column: int, message: str, path: SpecPath = ()) -> None:
    raise SpecError(Problem(message, path, name, line, column))


def _decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        _fail(name, line, column, f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x})")
        raise  # unreachable


class _LineIndex:
    """Maps a character offset to a 1-based (line, column)."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


# --------------------------------------------------------------------------- YAML

_PLAIN = "!modelspec/plain"  # tag given to untagged plain scalars, resolved below
_CORE = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


class _Resolver(BaseResolver):
    """Leaves plain scalars unresolved, so the YAML 1.2 core rules below decide."""

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _CORE + "str"
        return super().resolve(kind, value, implicit)


class _DepthLimitedComposer(Composer):
    def compose_node(self, parent, index):
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.MarkedYAMLError(
                    problem=f"nesting deeper than {MAX_DEPTH} levels", problem_mark=mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _YamlLoader(Reader, Scanner, Parser, _DepthLimitedComposer, _Resolver):
    def __init__(self, stream):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        _Resolver.__init__(self)


def _read_yaml(text: str, name: str, source: Source) -> Any:
    loader = _YamlLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        problem = e.problem or e.context or "invalid YAML"
        if "expected a single document" in str(e.context or ""):
            problem = "a spec file holds one YAML document; found a second one"
        _fail(name, mark.line + 1, mark.column + 1, f"invalid YAML: {problem}")
    except yaml.YAMLError as e:  # reader errors carry no mark
        _fail(name, 1, 1, f"invalid YAML: {e}")
    except RecursionError:
        _fail(name, 1, 1, f"invalid YAML: nesting deeper than {MAX_DEPTH} levels")
    finally:
        loader.dispose()
    if node is None:
        _fail(name, 1, 1, "the spec file holds no document (only comments or blank space)")
    return _YamlTree(name, source).convert(node, ())


class _YamlTree:
    """Turns a composed YAML node tree into plain data, recording positions."""

    def __init__(self, name: str, source: Source):
        self.name = name
        self.source = source
        self.count = 0
        self.active: set[int] = set()

    def fail(self, node, message: str, path: SpecPath) -> None:
        _fail(self.name, node.start_mark.line + 1, node.start_mark.column + 1, message, path)

    def convert(self, node, path: SpecPath) -> Any:
        if id(node) in self.active:
            self.fail(node, "an alias refers to the node that contains it (a cycle)", path)
        self.count += 1
        if self.count > MAX_VALUES:
            self.fail(node, f"the document expands to more than {MAX_VALUES:,} values "
                      "(aliases repeated inside aliases?)", path)
        self.source.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self.check_tag(node, "seq", path)
                return [self.convert(child, path + (i,)) for i, child in enumerate(node.value)]
            self.check_tag(node, "map", path)
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def check_tag(self, node, kind: str, path: SpecPath) -> None:
        if node.tag != _CORE + kind:
            self.fail(node, f"YAML tag {_short_tag(node.tag)} is not allowed: a spec is plain data", path)

    def mapping(self, node: MappingNode, path: SpecPath) -> dict:
        result: dict[str, Any] = {}
        pairs = []
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.tag == _PLAIN and key_node.value == "<<":
                self.merge(result, value_node, path)  # '<<: *base' fills keys not written here
            else:
                pairs.append((key_node, value_node))
        self.source.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        written: set[str] = set()
        for key_node, value_node in pairs:
            key = self.scalar(key_node, path) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self.fail(key_node, f"mapping keys must be strings; {shown!r} is not "
                          "(quote it if it is meant as a name)", path)
            if key in written:
                line, col = self.source.keys[path + (key,)]
                self.fail(key_node, f"duplicate key {key!r} (first written at line {line}, column {col})",
                          path + (key,))
            written.add(key)
            self.source.keys[path + (key,)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.convert(value_node, path + (key,))
        return result

    def merge(self, result: dict, value_node, path: SpecPath) -> None:
        """Apply a YAML merge key; of several merged mappings the first wins."""
        sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
        for src in reversed(sources):
            if not isinstance(src, MappingNode):
                self.fail(src, "a merge key ('<<') takes a mapping or a list of mappings", path)
            result.update(self.convert(src, path))

    def scalar(self, node: ScalarNode, path: SpecPath) -> Any:
        value, tag = node.value, node.tag
        if tag == _CORE + "str":
            return value
        if tag == _PLAIN:
            return self.plain(node, value, path)
        kinds = {"int": int, "float": float, "bool": bool, "null": type(None)}
        kind = tag[len(_CORE):] if tag.startswith(_CORE) else None
        if kind in kinds:
            result = self.plain(node, value, path)
            if kind == "float" and type(result) is int:
                result = float(result)
            if type(result) is not kinds[kind]:
                self.fail(node, f"{value!r} is not a valid !!{kind}", path)
            return result
        self.fail(node, f"YAML tag {_short_tag(tag)} is not allowed: a spec is plain data", path)

    def plain(self, node: ScalarNode, value: str, path: SpecPath) -> Any:
        """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
        if value in ("", "~", "null", "Null", "NULL"):
            return None
        if value in ("true", "True", "TRUE"):
            return True
        if value in ("false", "False", "FALSE"):
            return False
        if _LEADING_ZERO.fullmatch(value):
            self.fail(node, f"ambiguous number {value!r}: YAML 1.1 reads a leading zero as octal; "
                      f"write {int(value, 10)} (or 0o{value.lstrip('+-0') or '0'} for octal)", path)
        if _INT.fullmatch(value):
            if len(value) > MAX_INT_DIGITS:
                self.fail(node, f"integer with {len(value)} digits is too large", path)
            return int(value, 0)
        if _FLOAT.fullmatch(value):
            number = float(value)
            if math.isinf(number):
                self.fail(node, f"number {value!r} is out of range", path)
            return number
        if _SPECIAL_FLOAT.fullmatch(value):
            self.fail(node, f"{value!r} is not allowed: sizes and rates must be finite numbers", path)
        return value


# --------------------------------------------------------------------------- JSON

_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_JSON_NONFINITE = re.compile(r"-?(NaN|Infinity)")


class _JsonReader:
    """A strict JSON reader (RFC 8259) that records where each value starts."""

    def __init__(self, text: str, name: str, lines: _LineIndex, source: Source):
        self.text, self.name, self.lines, self.source = text, name, lines, source
        self.pos = 0

    def fail(self, message: str, offset: int | None = None, path: SpecPath = ()) -> None:
        line, col = self.lines.position(self.pos if offset is None else offset)
        _fail(self.name, line, col, message, path)

    def skip_ws(self) -> None:
        self.pos = _JSON_WS.match(self.text, self.pos).end()

    def read_document(self) -> Any:
        self.skip_ws()
        value = self.value((), 0)
        self.skip_ws()
        if self.pos < len(self.text):
            self.fail("invalid JSON: unexpected text after the end of the document")
        return value

    def value(self, path: SpecPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            self.fail(f"invalid JSON: nesting deeper than {MAX_DEPTH} levels", path=path)
        start = self.pos
        self.source.values[path] = self.lines.position(start)
        char = self.text[start : start + 1]
        if char == "{":
            return self.object(path, depth)
        if char == "[":
            return self.array(path, depth)
        if char == '"':
            return self.string()
        for word, result in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, start):
                self.pos += len(word)
                return result
        bad = _JSON_NONFINITE.match(self.text, start)
        if bad:
            self.fail(f"{bad.group()} is not valid JSON: sizes and rates must be finite numbers", path=path)
        number = _JSON_NUMBER.match(self.text, start)
        if number:
            return self.number(number, path)
        if not char:
            self.fail("invalid JSON: unexpected end of file", path=path)
        self.fail(f"invalid JSON: unexpected character {char!r}", path=path)

    def number(self, match: re.Match, path: SpecPath) -> Any:
        self.pos = match.end()
        text = match.group()
        if match.group(1) or match.group(2):
            value = float(text)
            if math.isinf(value):
                self.fail(f"number {text} is out of range", match.start(), path)
            return value
        if len(text) > MAX_INT_DIGITS:
            self.fail(f"integer with {len(text)} digits is too large", match.start(), path)
        return int(text)

    def string(self) -> str:
        try:
            value, self.pos = json.decoder.scanstring(self.text, self.pos + 1, True)
        except json.JSONDecodeError as e:
            self.fail(f"invalid JSON: {e.msg.lower()}", e.pos)
        return value

    def expect(self, char: str, what: str) -> None:
        self.skip_ws()
        if self.text[self.pos : self.pos + 1] != char:
            found = self.text[self.pos : self.pos + 1]
            self.fail(f"invalid JSON: expected {what}, found {repr(found) if found else 'end of file'}")
        self.pos += 1

    def object(self, path: SpecPath, depth: int) -> dict:
        self.pos += 1
        result: dict[str, Any] = {}
        self.skip_ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            return result
        while True:
            self.skip_ws()
            key_at = self.pos
            if not self.text.startswith('"', self.pos):
                self.expect('"', "a string key in double quotes")
            key = self.string()
            if key in result:
                line, col = self.source.keys[path + (key,)]
                self.fail(f"duplicate key {key!r} (first written at line {line}, column {col})",
                          key_at, path + (key,))
            self.source.keys[path + (key,)] = self.lines.position(key_at)
            self.expect(":", "':' after the key")
            self.skip_ws()
            result[key] = self.value(path + (key,), depth + 1)
            self.skip_ws()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                return result
            self.expect(",", "',' or '}'")

    def array(self, path: SpecPath, depth: int) -> list:
        self.pos += 1
        result: list[Any] = []
        self.skip_ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            return result
        while True:
            self.skip_ws()
            result.append(self.value(path + (len(result),), depth + 1))
            self.skip_ws()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                return result
            self.expect(",", "',' or ']'")
