"""The static pass: a validated spec expanded into its checked layer graph, without TensorFlow."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

from .errors import SpecError
from .graph import Budget, Graph
from .loader import read_source
from .spec import ModelSpec, parse_spec


def analyze(spec: ModelSpec, budget: Budget = Budget()) -> Graph:
    """Expand every block into primitive layers, inferring shapes, params and MACs.

    Raises :class:`SpecError` (located when the spec was read from a file) for
    duplicate block names, shapes that collapse or do not fit, identity
    shortcuts that cannot be, and exceeded budgets.
    """
    g = Graph(spec.input.shape, budget)
    x = g.input
    seen: dict[str, int] = {}  # block and copy names -> index of the block that took them

    def claim(name: str, i: int, what: str, at: tuple) -> None:
        if seen.get(name, i) != i:
            j = seen[name]
            copies = spec.blocks[i].repeat > 1 or spec.blocks[j].repeat > 1
            hint = " (a repeated block NAME names its copies NAME_1, NAME_2, ...)" if copies else ""
            raise SpecError(f"{what} {name!r} is already used by blocks[{j}]{hint}", at)
        seen[name] = i

    try:
        for i, block in enumerate(spec.blocks):
            name = block.name or f"block{i + 1}"
            at = ("blocks", i, "name") if block.name else ("blocks", i)
            claim(name, i, "block name", at)
            for k in range(block.repeat):
                copy = block if k == 0 else block.later_copy()
                prefix = name if block.repeat == 1 else f"{name}_{k + 1}"
                claim(prefix, i, "the copy name", at)
                with g.block(prefix, block.type, ("blocks", i), repeats=block.repeat > 1):
                    x = copy.expand(g, x, prefix)
    except SpecError as e:
        raise (e.located(spec.source) if spec.source else e) from None
    return g


def check(path: str, budget: Budget = Budget()) -> tuple[ModelSpec, Graph]:
    """Read, validate and statically analyse the spec file at ``path`` (``-``: stdin)."""
    with gc_paused():
        spec = parse_spec(read_source(path))
        return spec, analyze(spec, budget)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while one spec is read and checked.

    Reading, validating and expanding a spec allocate many small objects that
    stay alive until the end; the collector's repeated full passes over them
    made the time per block grow with the spec's size (1.25x per block at
    10,000 blocks), and pausing it keeps the check linear. The previous state
    is restored, also after an error.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
