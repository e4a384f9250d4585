"""The one error type for a bad spec, and the one place it is rendered.

Every problem with a spec — a YAML syntax error, an unknown key, a shape that
collapses to zero, a budget exceeded — becomes a :class:`Problem`: a message, the
spec path of the offending value (``blocks[2].filters``) and, once the source is
known, the file, line and column it was written at. A :class:`SpecError` carries
one or more problems; :func:`render` turns a problem into the contract's line::

    PATH:LINE:COLUMN: error: SPEC.PATH: message
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable, Union

if TYPE_CHECKING:  # pragma: no cover
    from .source import Source

SpecPath = tuple[Union[str, int], ...]


_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*")
MAX_PROBLEMS = 20  # shown per file; the rest are counted


def format_path(path: SpecPath) -> str:
    """``('blocks', 2, 'filters')`` -> ``blocks[2].filters``; the root is ``$``.

    A key that is not a plain name is written as a JSON string in brackets
    (``blocks[0]["a.b"]``, ``["a\\u0020b"]``), so the path stays one word on one line.
    """
    if len(path) > 12:  # only nesting bombs go this deep; keep the line readable
        return f"{format_path(path[:6])}...{format_path(path[-4:])}"
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)) and len(str(part)) <= 40:
            text += f".{part}" if text else str(part)
        else:
            key = str(part) if len(str(part)) <= 40 else str(part)[:37] + "..."
            import json  # loaded only for such a key

            # every character that is not ASCII escaped, so a look-alike or an invisible one shows
            quoted = json.dumps(key, ensure_ascii=True)
            text += "[" + re.sub(r"\s", lambda m: f"\\u{ord(m.group()):04x}", quoted) + "]"
    return text or "$"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a spec, at one place in it."""

    message: str
    path: SpecPath = ()
    file: str | None = None
    line: int | None = None
    column: int | None = None
    at_key: bool = False  # point at the key of ``path`` rather than its value


class SpecError(Exception):
    """A spec is invalid. Carries every :class:`Problem` found, in source order."""

    def __init__(self, problems: Problem | str | Iterable[Problem], path: SpecPath = ()):
        if isinstance(problems, str):
            problems = [Problem(problems, path)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__("\n".join(render(p) for p in self.problems))

    def located(self, source: "Source") -> "SpecError":
        """The same error with every problem's file, line and column filled in.

        A problem about a field the file does not write (a default, say) keeps
        its path and is placed at the nearest enclosing value the file does
        write. Problems come in source order, at most ``MAX_PROBLEMS`` of them
        and a last line counting the rest.

        Problems placed at one value are one mistake, reported once (the first): a module parameter
        used twice (``kernel_size: [$k, $k]``) or by two blocks, a value of a module that every use
        gets, each fail at the one value that was written.
        """
        problems, seen = [], set()
        for p in self.problems:
            if p.line is None:
                file, line, column = source.where(p.path, key=p.at_key)
                p = replace(p, file=p.file or file, line=line, column=column)
            p = replace(p, file=p.file or source.name)
            if (p.file, p.line, p.column) not in seen:
                seen.add((p.file, p.line, p.column))
                problems.append(p)
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        if len(problems) > MAX_PROBLEMS:
            rest = problems[MAX_PROBLEMS:]
            problems = problems[:MAX_PROBLEMS] + [
                replace(rest[0], message=f"{len(rest)} more problem(s) from here on are not shown")
            ]
        return SpecError(problems)


class InternalError(Exception):
    """The built Keras model disagrees with the static pass: a modelspec bug."""


_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _one_line(text: str) -> str:
    """Control characters and line breaks escaped (``\\n``), so an error stays one line; bytes of a path
    that are not UTF-8 (which Python holds as surrogates) written as ``\\xff``."""
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace") if _SURROGATE.search(
        text) else text
    return _LINE_BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


_SURROGATE = re.compile("[\udc80-\udcff]")


def visible_path(path: str) -> str:
    """A file path as quoted in a message: on one line, its undecodable bytes and controls escaped."""
    return repr(_one_line(path)) if len(path) <= 200 else repr(_one_line(path[:197]) + "...")


def named(text: str, limit: int = 40) -> str:
    """A name or key the user wrote, as quoted in a message: ``repr`` (cut short) for printable ASCII;
    otherwise every character that is not printable ASCII written as ``\\uXXXX`` and the first one named,
    so a look-alike (Cyrillic 'а') or an invisible one (U+200B, U+FEFF) shows, as unknown keys of a file
    show (:func:`.source.visible`, :func:`.source.non_ascii_note`)."""
    char = next((c for c in text if not " " <= c <= "~"), None)
    if char is None:
        return repr(cut(text, limit))
    import unicodedata

    from .source import describe_char, non_ascii_note, visible

    # the characters without a name that describe_char knows (controls, lone surrogates, U+FFFE/U+FFFF) are
    # described; any other (private use U+E000, unassigned) is "unnamed", as a file's keys show it
    described = unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"
    note = f" (it contains {describe_char(char)})" if described else non_ascii_note(text)
    return visible(cut(text, limit)) + note


def cut(text: str, limit: int = 40) -> str:
    """``text`` cut to ``limit`` characters, ``...`` marking the cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render(problem: Problem) -> str:
    """The contract's one-line form of a problem (control characters escaped: always one line)."""
    where = f"{problem.file or '<spec>'}:{problem.line or 1}:{problem.column or 1}"
    return _one_line(f"{where}: error: {format_path(problem.path)}: {problem.message}")


_TOKEN = r'"(?:[^"\\]|\\.)*"?|\'(?:[^\']|\'\')*\'?|[\[{]|(?:[^\s,\[\]{}#:]|:(?=\S))+'


def render_context(problem: Problem, text: "str | None") -> str:
    """The one-line form, then the offending line of ``text`` (the spec file) with a caret under the
    column, as rustc and ruff show it; just the one line when the line cannot be shown::

        specs/x.yaml:7:26: error: blocks[2].filters: must be greater than 0
          |
        7 |   - {type: vgg, filters: 0, convs: 2}
          |                          ^
    """
    first = render(problem)
    lines = text.splitlines() if text is not None else []
    if problem.line is None or not 1 <= problem.line <= len(lines):
        return first
    source = _LINE_BREAKS.sub(" ", lines[problem.line - 1].replace("\t", " "))
    column = min(max((problem.column or 1) - 1, 0), len(source))
    token = re.compile(_TOKEN).match(source, column)  # compiled here, not on validate's import path
    width = max(1, len(token.group().rstrip()) if token else 1)
    if token and not problem.at_key and source[token.end():].lstrip().startswith(":"):
        width = 1  # a mapping that starts with a key (a missing field): mark where it starts, not the key
    number = str(problem.line)
    gutter = " " * len(number)
    return "\n".join([first, f"{gutter} |", f"{number} | {source}".rstrip(),
                      f"{gutter} | {' ' * column}{'^' * width}"])


def _github_escape(text: str, *, prop: bool = False) -> str:
    """GitHub Actions' escaping of a workflow command's message (and, with ``prop``, of a property)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if prop else text


def render_github(problem: "Problem | UsageError") -> str:
    """A problem as a GitHub Actions annotation: ``::error file=F,line=L,col=C,title=modelspec::PATH: message``.

    GitHub shows it on the pull request's diff at that line; the spec path leads the message.
    A :class:`UsageError` (a file that cannot be read) has a file and no line.
    """
    if isinstance(problem, UsageError):
        where, message = [f"file={_github_escape(problem.path, prop=True)}"], problem.message
    else:
        where = [f"file={_github_escape(problem.file or '<spec>', prop=True)}",
                 f"line={problem.line or 1}", f"col={problem.column or 1}"]
        message = f"{format_path(problem.path)}: {problem.message}"
    return f"::error {','.join(where + ['title=modelspec'])}::{_github_escape(_LINE_BREAKS.sub(' ', message))}"


def as_dict(problem: "Problem | UsageError") -> dict:
    """A problem as ``validate --format json`` lists it: 1-based line and column and the spec path as
    text; all three are null for a :class:`UsageError` (a file that cannot be read)."""
    if isinstance(problem, UsageError):
        return {"file": problem.path, "line": None, "column": None, "path": None,
                "message": problem.message, "severity": "error"}
    return {"file": problem.file, "line": problem.line or 1, "column": problem.column or 1,
            "path": format_path(problem.path), "message": problem.message, "severity": "error"}


class UsageError(Exception):
    """A file could not be read or written (missing, a directory, no such folder): exit 2.

    It has no line or column; it renders as ``PATH: error: message``.
    """

    def __init__(self, path: object, message: str):
        self.path, self.message = _one_line(str(path)), message
        super().__init__(f"{self.path}: error: {message}")
