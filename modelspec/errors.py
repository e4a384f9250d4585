"""The one error type for a bad spec, and the one place it is rendered.

Every problem with a spec — a YAML syntax error, an unknown key, a shape that
collapses to zero, a budget exceeded — becomes a :class:`Problem`: a message, the
spec path of the offending value (``blocks[2].filters``) and, once the source is
known, the file, line and column it was written at. A :class:`SpecError` carries
one or more problems; :func:`render` turns a problem into the contract's line::

    PATH:LINE:COLUMN: error: SPEC.PATH: message
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Iterable, Union

if TYPE_CHECKING:  # pragma: no cover
    from .loader import Source

SpecPath = tuple[Union[str, int], ...]


def format_path(path: SpecPath) -> str:
    """``('blocks', 2, 'filters')`` -> ``blocks[2].filters``; the root is ``$``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
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
        """The same error with every problem's file, line and column filled in."""
        problems = []
        for p in self.problems:
            if p.line is None:
                line, column = source.locate(p.path, key=p.at_key)
                p = replace(p, line=line, column=column)
            problems.append(replace(p, file=p.file or source.name))
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        return SpecError(problems)


class InternalError(Exception):
    """The built Keras model disagrees with the static pass: a modelspec bug."""


def render(problem: Problem) -> str:
    """The contract's one-line form of a problem."""
    where = f"{problem.file or '<spec>'}:{problem.line or 1}:{problem.column or 1}"
    return f"{where}: error: {format_path(problem.path)}: {problem.message}"
