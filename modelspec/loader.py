"""Read a spec file into plain data, remembering where every value was written.

Two small parsers share one result, a :class:`Source`: YAML
(:mod:`.yaml_reader`: PyYAML's pure-Python scanner, parser and composer, never
its constructors) and JSON (:mod:`.json_reader`: a strict recursive-descent
reader built on :mod:`json`'s string scanner). The limits are in :mod:`.limits`.
Both record the 1-based line and column of every value and every mapping key,
keyed by spec path, so any later error can point at the offending text.

What a spec file may contain is deliberately narrow, and the limits are checked
while reading, before anything large is built:

* UTF-8 only (a byte-order mark is accepted), no control characters, written
  or escaped (``"\\0"``, ``"\\u0000"``), and no lone surrogates;
* at most ``MAX_BYTES`` bytes, ``MAX_DEPTH`` levels of nesting and
  ``MAX_VALUES`` values — counted as written and again once YAML aliases are
  expanded, so an alias bomb stops there — and integers of at most
  ``MAX_INT_DIGITS`` digits;
* YAML is read with the YAML 1.2 core schema: only ``true``/``false`` are
  booleans (``on``/``yes`` stay strings), ``1e-4`` is a number, and numbers
  that YAML 1.1 and 1.2 read differently (``010``, ``0o10``) are refused;
  no tag other than the core ones (``!!str``, ``!!int``, ...) is accepted —
  nothing is ever constructed from a tag, so no code can run;
* duplicate mapping keys, non-string keys, self-referencing aliases, NaN and
  infinities, and several YAML documents in one file are errors.

Syntax errors are reported where a person would look: an unclosed bracket or
quote at its opening, a mis-indented key at its first character. A problem with
one value (a number, a tag, a string, a key) does not stop a reader: each is
noted (:class:`.source.Problems`), and all are raised together once the file
has been read, or with the syntax error or limit that stops it.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path
from typing import Optional

from .limits import DEFAULT, ReaderLimits
from .errors import SpecError, UsageError, visible_path
from .source import LineIndex, NON_PRINTABLE, Source, describe_char, fail, fail_empty
from .yaml_reader import read_yaml

__all__ = ["Source", "UsageError", "parse_text", "read_source"]


def read_source(path: str, limits: ReaderLimits = DEFAULT) -> Source:
    """Read and parse the spec at ``path`` (``-`` is standard input).

    Raises :class:`UsageError` when the file cannot be read, and
    :class:`SpecError` (located) when its content is not an acceptable spec document.
    """
    raw = read_bytes(path, limit=limits.max_bytes)
    suffix = Path(path).suffix.lower()
    as_json = True if suffix == ".json" else False if suffix in (".yaml", ".yml") else None
    return parse_text(raw, path, as_json=as_json, limits=limits)


def read_bytes(path: str, what: str = "spec file", limit: int = DEFAULT.max_bytes) -> bytes:
    """The first ``limit + 1`` bytes of ``path`` (``-``: standard input), or a :class:`UsageError`
    saying why there are none: missing, a directory, an empty path, standard input closed."""
    if path == "-":
        if sys.stdin is None:  # closed by the shell (`<&-`)
            raise UsageError("-", "standard input is closed; give a file, or pipe the spec in")
        try:
            return sys.stdin.buffer.read(limit + 1)
        except (OSError, ValueError) as e:
            raise UsageError("-", f"cannot read standard input: {getattr(e, 'strerror', None) or e}") from None
    if path == "":
        raise UsageError("''", f"an empty path; give a {what}")
    try:
        kind = os.stat(path).st_mode
        if stat.S_ISDIR(kind):
            raise UsageError(path, f"is a directory, not a {what}")
        if stat.S_ISFIFO(kind) or stat.S_ISSOCK(kind):  # reading one may wait for ever for a writer
            raise UsageError(path, f"is a named pipe or a socket, not a {what}; pipe its content in with '-'")
        with open(path, "rb") as f:
            return f.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(path, "no such file") from None
    except OSError as e:  # a name too long, a loop of links, a part of the path that is a file...
        raise UsageError(path, f"cannot read: {os_reason(e, path)}") from None


def os_reason(e: OSError, path: str) -> str:
    """Why ``path`` could not be read, in words; a loop of symbolic links is shown link by link."""
    if e.errno == errno.ELOOP:
        return f"its symbolic links go round in a loop ({link_chain(path)})"
    return e.strerror or str(e)


def link_chain(path: str, hops: int = 40) -> str:
    """``a -> b -> a``: the links followed from ``path``, or from the first folder on the way to it that
    is a looping link, until one repeats (or ``hops`` of them)."""
    parts = Path(path).parts
    for n in range(1, len(parts)):
        folder = str(Path(*parts[:n]))
        if os.path.islink(folder) and _loops(folder):
            path = folder
            break
    seen, chain, here = set(), [path], path
    while os.path.islink(here) and here not in seen and len(chain) <= hops:
        seen.add(here)
        target = os.readlink(here)
        here = os.path.normpath(os.path.join(os.path.dirname(here), target))
        chain.append(target)
    return " -> ".join(visible_path(p) for p in chain)


def _loops(path: str) -> bool:
    try:
        os.stat(path)
    except OSError as e:
        return e.errno == errno.ELOOP
    return False


def read_text(path: str, what: str = "file", limit: int = DEFAULT.max_bytes) -> str:
    """A text file read as a spec is: a size limit and UTF-8 (a byte-order mark allowed), with the same
    located errors; for files that are not specs (``schema --check``, whose file is larger)."""
    raw = read_bytes(path, what, limit)
    if len(raw) > limit:
        fail(path, 1, 1, f"the file is larger than {limit:,} bytes")
    return decode(raw, path)


def parse_text(raw: bytes | str, name: str = "<spec>", *, as_json: Optional[bool] = False,
               limits: ReaderLimits = DEFAULT) -> Source:
    """Parse spec text (bytes or str) into a :class:`Source`, or raise a located SpecError.

    ``as_json``: True reads strict JSON, False YAML; None (standard input, other
    suffixes) reads text that starts with ``{`` or ``[`` as JSON when it is
    valid JSON — so tab-indented JSON works, which PyYAML's scanner refuses —
    and everything else, or what JSON refuses, as YAML.
    """
    if len(raw) > limits.max_bytes:
        fail(name, 1, 1, f"the file is larger than {limits.max_bytes:,} bytes; a spec is a few kilobytes")
    text = decode(raw, name) if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    lines = LineIndex(text)
    bad = NON_PRINTABLE.search(text)
    if bad:
        line, col = lines.position(bad.start())
        fail(name, line, col, f"{describe_char(bad.group())} is not allowed in a spec")
    if not text.strip():
        fail_empty(name, "the spec file is empty")
    if as_json is None and text.lstrip()[:1] in ("{", "["):
        try:
            return _read(text, name, lines, as_json=True, limits=limits)
        except SpecError:
            pass  # YAML flow style, or JSON with a mistake: YAML reports it
    return _read(text, name, lines, as_json=bool(as_json), limits=limits)


def _read(text: str, name: str, lines: LineIndex, *, as_json: bool, limits: ReaderLimits) -> Source:
    """The text read as JSON or YAML. Both readers recurse once per level of nesting, so a caller who
    raises ``limits.max_depth`` far past the default can reach Python's recursion limit before the depth
    limit: that is refused like any other text too deep to read, not raised as a RecursionError."""
    source = Source(name, None)
    try:
        if as_json:
            from .json_reader import JsonReader  # loaded for JSON input only

            source.data = JsonReader(text, name, lines, source, limits).read_document()
        else:
            source.data = read_yaml(text, name, source, limits)
    except RecursionError:
        fail(name, 1, 1, f"invalid {'JSON' if as_json else 'YAML'}: nesting too deep to read: {limits.stack_ran_out()}")
    return source


def decode(raw: bytes, name: str) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        before = raw[: e.start].decode("utf-8")  # valid up to the bad byte
        line, column = LineIndex(before).position(len(before))
        fail(name, line, column, f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x})")
        raise  # unreachable
