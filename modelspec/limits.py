"""What a spec file may be: the readers' limits, checked while reading, before anything large is built.

:class:`ReaderLimits` is a parameter, as :class:`~modelspec.graph.Budget` is for
the model: every reader takes one (the defaults unless given), so a caller that
must read an unusually large spec (the scaling benchmark) passes larger ones
instead of changing anything for the whole process.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class ReaderLimits:
    """Limits on a spec file, as written and once YAML aliases are expanded."""

    max_bytes: int = 256 * 1024  # a spec is a few kilobytes; the pure-Python YAML reader takes ~1 s per MiB
    max_depth: int = 64
    max_values: int = 10_000  # a large spec has a few hundred
    max_int_digits: int = 100

    def too_many(self, count: int, depth: int) -> Optional[str]:
        """Why a document with ``count`` values so far, at nesting ``depth``, is refused; or None."""
        if count > self.max_values:
            return f"the document has more than {self.max_values:,} values; a spec has a few hundred"
        if depth > self.max_depth:
            return f"nesting deeper than {self.max_depth} levels"
        return None

    def stack_ran_out(self) -> str:
        """Why a spec within ``max_depth`` still could not be followed: every stage that reads or checks it
        recurses once per level, and Python's recursion limit came first (only with a raised ``max_depth``)."""
        return (f"Python's recursion limit ({sys.getrecursionlimit()}) came before the depth limit "
                f"({self.max_depth:,}); a spec nests a few levels")


DEFAULT = ReaderLimits()

# the defaults by their old names, for reading (each reader takes a ReaderLimits)
MAX_BYTES = DEFAULT.max_bytes
MAX_DEPTH = DEFAULT.max_depth
MAX_VALUES = DEFAULT.max_values
MAX_INT_DIGITS = DEFAULT.max_int_digits
