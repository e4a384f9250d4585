"""What a spec file may be: the reader's limits, checked before anything large is built.

The readers look these up at call time (``limits.MAX_VALUES``), so a caller
that must read an unusually large spec — the scaling benchmark — can raise
them for a moment.
"""

MAX_BYTES = 256 * 1024  # a spec is a few kilobytes; the pure-Python YAML reader takes ~1 s per MiB
MAX_DEPTH = 64
MAX_VALUES = 10_000  # a large spec has a few hundred
MAX_INT_DIGITS = 100
