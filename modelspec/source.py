"""Where each value of a spec was written, and the helpers both readers share."""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn, Optional

from .errors import Problem, SpecError, SpecPath

# What may appear in a spec: tab, LF, CR and printable characters — PyYAML's own
# rule, less NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR, which YAML 1.1 (and so
# PyYAML's line numbers) reads as line breaks and YAML 1.2 and editors do not.
# No C0/C1 controls, no lone surrogates, no U+FFFE/U+FFFF.
# Written as the characters refused (compiling the complement costs ~7 ms at every start).
NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


@dataclass
class Source:
    """A parsed spec file: its data and where each value of it was written."""

    name: str
    data: Any
    values: dict[SpecPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[SpecPath, tuple[int, int]] = field(default_factory=dict)
    anchors: dict[SpecPath, str] = field(default_factory=dict)  # YAML anchors (&name) by path
    # a document merged from several files (extends, --set): the file of each value and key not written
    # in ``name``; and the module uses inlined into it, by the path of the block each became
    origins: dict[SpecPath, str] = field(default_factory=dict)
    key_origins: dict[SpecPath, str] = field(default_factory=dict)
    module_uses: dict[SpecPath, str] = field(default_factory=dict)

    def locate(self, path: SpecPath, *, key: bool = False) -> tuple[int, int]:
        """Line and column of ``path``'s value (or key), else of its nearest known parent."""
        return self.where(path, key=key)[1:]

    def where(self, path: SpecPath, *, key: bool = False) -> tuple[str, int, int]:
        """File, line and column of ``path``'s value (or key), else of its nearest known parent."""
        path = tuple(path)
        if key and path in self.keys:
            return (self.key_origins.get(path, self.name), *self.keys[path])
        if not self.values:
            return self.name, 1, 1
        written = self.written(path)
        return (self.origins.get(written, self.name), *self.values[written])

    def written(self, path: SpecPath) -> SpecPath:
        """The longest prefix of ``path`` that was written in the file (the root at least)."""
        path = tuple(path)
        for n in range(len(path), -1, -1):
            if path[:n] in self.values:
                return path[:n]
        return ()


def fail(name: str, line: int, column: int, message: str, path: SpecPath = ()) -> NoReturn:
    raise SpecError(Problem(message, tuple(path), name, line, column))


class EmptyDocument(SpecError):
    """The file holds nothing to read (empty, blank, or only comments): a base that extends names it so."""


def fail_empty(name: str, message: str) -> NoReturn:
    raise EmptyDocument(Problem(message, (), name, 1, 1))


def note_key(source: Source, mapping: SpecPath, key: str, at: tuple[int, int], written) -> Optional[Problem]:
    """Record that ``key`` of the mapping at ``mapping`` was written at ``at`` (line, column); ``written``
    holds the keys its mapping has so far. A key written twice is a problem at the second (both readers),
    returned for the reader to report with the others; the first position stays recorded."""
    if key in written:
        line, col = source.keys[mapping + (key,)]
        return Problem(f"duplicate key {shown(key)} (first written at line {line}, column {col})",
                       mapping + (key,), source.name, *at)
    source.keys[mapping + (key,)] = at
    return None


class Problems:
    """The problems a reader found that do not stop it (a bad number, a duplicate key, a tag): it notes
    them, goes on reading, and reports them all together, with the one that stops it if any."""

    def __init__(self, name: str):
        self.name = name
        self.found: list[Problem] = []
        self._seen: set[tuple] = set()

    def note(self, line: int, column: int, message: str, path: SpecPath = ()) -> None:
        self.add(Problem(message, tuple(path), self.name, line, column))

    def add(self, problem: Optional[Problem]) -> None:
        if problem is None:
            return
        written = (problem.line, problem.column, problem.message)  # an alias repeats the text: once each
        if written not in self._seen:
            self._seen.add(written)
            self.found.append(problem)

    def stop(self, line: int, column: int, message: str, path: SpecPath = ()) -> NoReturn:
        """Raise every problem noted so far and this last one, which ends the reading."""
        self.note(line, column, message, path)
        self.raise_found()

    def raise_found(self) -> None:
        """Raise the problems noted, in source order, if there are any."""
        if self.found:
            raise SpecError(sorted(self.found, key=lambda p: (p.line or 0, p.column or 0)))


def describe_char(char: str) -> str:
    code = ord(char)
    if code in (0x85, 0x2028, 0x2029):
        return f"the line separator U+{code:04X} (YAML versions and editors disagree on it)"
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate U+{code:04X} (not a character)"
    if code in (0xFFFE, 0xFFFF):
        return f"the non-character U+{code:04X}"
    return f"control character U+{code:04X}"


def check_string(value: str) -> Optional[str]:
    """Why a decoded string (after escapes) is not acceptable, or None."""
    bad = NON_PRINTABLE.search(value)
    return f"{describe_char(bad.group())} (written as an escape) is not allowed in a spec" if bad else None


def number_problem(text: str, value: float) -> Optional[str]:
    """Why a written number cannot be used as read (both readers ask), or None."""
    if math.isinf(value):
        return f"number {text} is out of range"
    if value == 0 and re.search(r"[1-9]", re.split(r"[eE]", text)[0]):
        return f"number {text} is too small to represent: it would be read as 0"
    return None


def visible(text: str) -> str:
    """``text`` quoted with every character that is not printable ASCII written as ``\\uXXXX``, so a
    look-alike (Cyrillic 'а'), an invisible one (U+200B) or a byte-order mark shows."""
    return "'" + "".join(c if " " <= c <= "~" else f"\\u{ord(c):04x}" for c in text) + "'"


def non_ascii_note(text: str) -> str:
    """'' for ASCII text; else a note naming the first character that is not ASCII."""
    char = next((c for c in text if not " " <= c <= "~"), None)
    if char is None:
        return ""
    import unicodedata

    name = unicodedata.name(char, "unnamed")
    return f" (it contains U+{ord(char):04X} {name}, which is not an ASCII character)"


def shown(text: str, limit: int = 40) -> str:
    """A value of the file as quoted in a message: repr, cut short."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


class LineIndex:
    """Maps a character offset to a 1-based (line, column); lines end at LF, CR LF or CR, as in YAML."""

    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\r\n|\r|\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1
