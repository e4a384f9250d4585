"""Library calls leave the process as they found it: the garbage collector's state, the recursion limit
and the umask (issue: 'library calls without side effects'). The console script may do more for its
own process (it pauses the collector around a check); these are the calls a program makes."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

import pytest

import modelspec
from modelspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "resnet50.yaml"


def _state():
    umask = os.umask(0o022)
    os.umask(umask)
    return gc.isenabled(), sys.getrecursionlimit(), umask


CALLS = {
    "load": lambda tmp: modelspec.load(SPEC),
    "loads": lambda tmp: modelspec.loads(SPEC.read_text()),
    "check": lambda tmp: modelspec.check(str(SPEC)),
    "load-invalid": lambda tmp: pytest.raises(modelspec.SpecError, modelspec.loads, "name: x\n"),
    "cli-summary": lambda tmp: main(["summary", str(SPEC)]),
    "cli-schema-write": lambda tmp: main(["schema", "-o", str(tmp / "s.json")]),
}


@pytest.mark.parametrize("gc_enabled", [True, False])
@pytest.mark.parametrize("name", sorted(CALLS))
def test_calls_leave_gc_recursion_limit_and_umask_as_they_were(name, gc_enabled, tmp_path, capsys):
    was_enabled = gc.isenabled()
    (gc.enable if gc_enabled else gc.disable)()
    old_umask = os.umask(0o027)
    try:
        before = _state()
        CALLS[name](tmp_path)
        assert _state() == before
    finally:
        os.umask(old_umask)
        (gc.enable if was_enabled else gc.disable)()


def test_check_does_not_pause_the_collector_while_it_runs(monkeypatch):
    seen = []
    from modelspec import analysis

    original = analysis.analyze
    monkeypatch.setattr(analysis, "analyze", lambda *a, **k: seen.append(gc.isenabled()) or original(*a, **k))
    modelspec.check(str(SPEC))
    assert seen == [True]


@pytest.mark.slow
def test_build_leaves_the_recursion_limit_as_it_found_it():
    import keras  # noqa: F401  (TensorFlow sets the limit to 3,000 on import; that is its own doing)

    limit = sys.getrecursionlimit()
    modelspec.build(SPEC)
    assert sys.getrecursionlimit() == limit
