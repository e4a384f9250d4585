"""Neovim's own LSP client (real editor code) talking to ``modelspec lsp``, headless.

tests/editors/nvim_diagnostics.lua opens a spec with a shape error, waits for the diagnostics
Neovim received, then edits the unsaved buffer twice (a fix, then a bad reference) and records
each set, and asks for a hover on the first block once the fix is in. The expected lines and columns are those
``modelspec validate`` prints for the same text.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from modelspec.cli import main

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="Neovim is not installed (apt-get install neovim)")
pytest.importorskip("pygls", reason="the language server needs the 'lsp' extra (pygls)")

SCRIPT = Path(__file__).parent / "editors" / "nvim_diagnostics.lua"
SPEC = """\
name: small
input: {shape: [32, 32, 3]}
blocks:
  - {type: vgg, filters: 16, convs: 2}
  - {type: vgg, filters: 32, convs: 2, pool_size: 64}
  - {type: flatten}
"""


def validate(path: Path, capsys) -> list[tuple[int, int, str]]:
    main(["validate", str(path)])
    err = capsys.readouterr().err
    return [(int(m[1]) - 1, int(m[2]) - 1, m[3]) for m in re.finditer(r":(\d+):(\d+): error: (.*)", err)]


def test_neovim_receives_the_diagnostics_as_the_user_types(tmp_path, capsys):
    spec = tmp_path / "small.yaml"
    spec.write_text(SPEC)
    out = tmp_path / "diagnostics.json"
    env = {**os.environ, "MODELSPEC_SPEC": str(spec), "MODELSPEC_OUT": str(out), "MODELSPEC_PYTHON": sys.executable,
           "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_STATE_HOME": str(tmp_path / "state")}
    result = subprocess.run([NVIM, "--headless", "-n", "-i", "NONE", "-u", str(SCRIPT)], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=180)
    assert out.exists(), f"Neovim wrote nothing (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
    report = json.loads(out.read_text())
    assert report["status"] == "ok", report
    steps = {step["step"]: step for step in report["steps"]}
    assert list(steps) == ["opened", "fixed", "hover", "typed a bad reference"], report
    opened, fixed, typed = (steps[name]["diagnostics"] for name in ("opened", "fixed", "typed a bad reference"))
    hover = steps["hover"]["text"]

    # what Neovim shows for the saved file is what `modelspec validate` says about it
    assert [(d["lnum"], d["col"], d["message"]) for d in opened] == validate(spec, capsys)
    (shape,) = opened
    assert shape["message"].startswith("blocks[1].pool_size: block2_pool: a pooling window of 64")
    assert (shape["lnum"], shape["col"], shape["end_col"]) == (4, 50, 52)  # the "64"
    assert shape["severity"] == 1 and shape["source"] == "modelspec"  # 1: vim.diagnostic.severity.ERROR

    assert fixed == []  # the unsaved fix cleared it

    edited = tmp_path / "edited.yaml"  # the buffer as typed, never saved by Neovim
    edited.write_text(SPEC.replace("pool_size: 64", "pool_size: 2") + "  - {type: dense, units: 10, input: blokc1}\n")
    assert [(d["lnum"], d["col"], d["message"]) for d in typed] == validate(edited, capsys)
    assert "unknown name 'blokc1'; did you mean 'block1'?" in typed[0]["message"]
    assert spec.read_text() == SPEC

    # hover on the first block: a 2x2 max pool (Keras' default pool size) halves 32x32 with 16 filters
    assert "output shape `(16, 16, 16)`" in hover, hover
