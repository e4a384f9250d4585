"""The JSON reader: strict RFC 8259, built on :mod:`json`'s string scanner, recording positions.

Duplicate keys, ``NaN``/``Infinity``, numbers that overflow and Python words
(``None``, ``True``) are errors with their line and column.
"""

from __future__ import annotations

import json
import json.decoder
import re
from typing import Any, NoReturn

from .limits import DEFAULT, ReaderLimits
from .errors import SpecPath
from .source import LineIndex, Problems, Source, check_string, describe_char, note_key, number_problem

_JSON_WS = re.compile(r"[ \t\n\r]*")
_JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_WRITTEN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?")  # as written, leading zeros and all
_JSON_NONFINITE = re.compile(r"-?(NaN|Infinity)")


class JsonReader:
    """A strict JSON reader (RFC 8259) that records where each value starts."""

    def __init__(self, text: str, name: str, lines: LineIndex, source: Source, limits: ReaderLimits = DEFAULT):
        self.text, self.name, self.lines, self.source, self.limits = text, name, lines, source, limits
        self.pos = 0
        self.count = 0
        self.open: list[tuple[int, SpecPath]] = []  # offsets of the '{' / '[' not yet closed
        self.problems = Problems(name)

    def fail(self, message: str, offset: int | None = None, path: SpecPath = ()) -> NoReturn:
        """Stop: the text cannot be read on from here (raised with the problems noted before)."""
        self.problems.stop(*self.lines.position(self.pos if offset is None else offset), message, path)

    def note(self, message: str, offset: int, path: SpecPath) -> None:
        """A problem with one value, whose extent is known: reading goes on after it."""
        self.problems.note(*self.lines.position(offset), message, path)

    def fail_at_end(self, path: SpecPath) -> NoReturn:
        """The text ended inside a collection: blame the innermost one left open."""
        if self.open:
            offset, open_path = self.open[-1]
            line, col = self.lines.position(self.pos)
            self.fail(f"invalid JSON: this '{self.text[offset]}' is never closed (the file ends at line {line}, "
                      f"column {col})", offset, open_path)
        # unreachable: blank text is refused as empty before, and elsewhere the text ends inside a collection
        self.fail("invalid JSON: unexpected end of file", path=path)  # pragma: no mutate

    def skip_ws(self) -> None:
        self.pos = _JSON_WS.match(self.text, self.pos).end()

    def read_document(self) -> Any:
        self.skip_ws()
        value = self.value((), 1)
        self.skip_ws()
        if self.pos < len(self.text):
            self.fail("invalid JSON: unexpected text after the end of the document")
        self.problems.raise_found()
        return value

    def value(self, path: SpecPath, depth: int) -> Any:
        start = self.pos
        char = self.text[start : start + 1]
        if not char:
            self.fail_at_end(path)
        self.count += 1
        too_many = self.limits.too_many(self.count, depth)
        if too_many:
            self.fail(too_many if self.count > self.limits.max_values else f"invalid JSON: {too_many}", path=path)
        self.source.values[path] = self.lines.position(start)
        if char == "{":
            return self.object(path, depth)
        if char == "[":
            return self.array(path, depth)
        if char == '"':
            return self.string(path)
        for word, result in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, start):
                self.pos += len(word)
                return result
        bad = _JSON_NONFINITE.match(self.text, start)
        if bad:
            self.note(f"{bad.group()} is not valid JSON: sizes and rates must be finite numbers", start, path)
            self.pos = bad.end()
            return None
        number = _JSON_NUMBER.match(self.text, start)
        if number:
            return self.number(number, path)
        for word, written in (("None", "null"), ("True", "true"), ("False", "false")):
            if self.text.startswith(word, start):
                self.note(f"invalid JSON: {word} is Python; JSON writes {written}", start, path)
                self.pos += len(word)
                return None
        self.fail(f"invalid JSON: unexpected character {char!r}", path=path)

    def number(self, match: re.Match, path: SpecPath) -> Any:
        self.pos = match.end()
        text = match.group()
        if text.lstrip("-") == "0" and self.text[self.pos : self.pos + 1].isdigit():
            written = re.match(r"-?[0-9]+", self.text[match.start() : match.start() + self.limits.max_int_digits]).group()
            self.note(f"invalid JSON: a number cannot start with 0; write {int(written)}, not {written}",
                      match.start(), path)
            self.pos = _WRITTEN_NUMBER.match(self.text, match.start()).end()  # all of it, every zero
            return None
        if len(text) > self.limits.max_int_digits:
            what = "integer" if not (match.group(1) or match.group(2)) else "number"
            self.note(f"{what} with {len(text):,} characters is too long", match.start(), path)
            return None
        if match.group(1) or match.group(2):
            value = float(text)
            problem = number_problem(text, value)
            if problem:
                self.note(problem, match.start(), path)
                return None
            return value
        return int(text)

    def string(self, path: SpecPath) -> str:
        start = self.pos
        try:
            value, self.pos = json.decoder.scanstring(self.text, self.pos + 1, True)
        except json.JSONDecodeError as e:
            if e.msg.startswith("Unterminated string"):
                self.fail("invalid JSON: this string is never closed", e.pos, path)
            if e.msg.startswith("Invalid control character"):
                self.fail(f"invalid JSON: {describe_char(self.text[e.pos])} inside a string "
                          "(write it as an escape such as \\t)", e.pos, path)
            self.fail(f"invalid JSON: {e.msg[:1].lower()}{e.msg[1:]}", e.pos, path)
        problem = check_string(value)
        if problem:
            self.note(problem, start, path)
        return value

    def expect(self, char: str, what: str, path: SpecPath) -> None:
        self.skip_ws()
        found = self.text[self.pos : self.pos + 1]
        if not found:
            self.fail_at_end(path)
        if found != char:
            self.fail(f"invalid JSON: expected {what}, found {found!r}", path=path)
        self.pos += 1

    def comma(self, closer: str, path: SpecPath) -> None:
        """The ',' between items; a trailing one before ``closer`` is an error of its own."""
        at = self.pos
        self.expect(",", f"',' or '{closer}'", path)
        self.skip_ws()
        if self.text.startswith(closer, self.pos):
            self.fail(f"invalid JSON: a trailing comma before '{closer}'", at, path)

    def object(self, path: SpecPath, depth: int) -> dict:
        self.open.append((self.pos, path))
        self.pos += 1
        result: dict[str, Any] = {}
        self.skip_ws()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            self.open.pop()
            return result
        while True:
            self.skip_ws()
            key_at = self.pos
            if not self.text.startswith('"', self.pos):
                self.expect('"', "a string key in double quotes", path)
            key = self.string(path)
            self.problems.add(note_key(self.source, path, key, self.lines.position(key_at), result))
            self.expect(":", "':' after the key", path)
            self.skip_ws()
            result[key] = self.value(path + (key,), depth + 1)
            self.skip_ws()
            if self.text.startswith("}", self.pos):
                self.pos += 1
                self.open.pop()
                return result
            self.comma("}", path)

    def array(self, path: SpecPath, depth: int) -> list:
        self.open.append((self.pos, path))
        self.pos += 1
        result: list[Any] = []
        self.skip_ws()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            self.open.pop()
            return result
        while True:
            self.skip_ws()
            result.append(self.value(path + (len(result),), depth + 1))
            self.skip_ws()
            if self.text.startswith("]", self.pos):
                self.pos += 1
                self.open.pop()
                return result
            self.comma("]", path)
