"""The editor logic (modelspec.language) never fails on a buffer being typed.

Every bundled spec, cut at seeded random points as if typed so far, is analysed and asked for
diagnostics, inlay hints, and hover, completion and definition at random positions: each answer
is a value or None, never an exception (the language server would otherwise answer with an
error while the user types). A buffer that does not check has at least one diagnostic, inside it.
"""

import random

import pytest

from conftest import SPECS
from modelspec.language import Analysis

BUNDLED = sorted(p for p in SPECS.rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(SPECS)))
def test_half_typed_buffers_never_raise(path):
    rng = random.Random(path.name)
    text = path.read_text()
    for cut in sorted(rng.sample(range(len(text)), min(25, len(text)))) + [len(text)]:
        typed = text[:cut]
        analysis = Analysis(str(path), typed)
        diagnostics = analysis.diagnostics()
        lines = typed.splitlines() or [""]
        if analysis.graph is None:
            assert diagnostics, (cut, typed[-80:])
        for d in diagnostics:
            (line, character), (end_line, end) = d.range
            assert 0 <= line < max(len(lines), 1) and character <= end, (cut, d)
        analysis.inlay_hints()
        for _ in range(5):
            line = rng.randrange(len(lines))
            character = rng.randrange(len(lines[line]) + 1)
            analysis.hover(line, character)
            analysis.completion(line, character)
            analysis.definition(line, character)
