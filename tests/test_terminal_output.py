"""What a person at a terminal sees: errors with their spec line and a caret, and the summary by block.

The one-line form (``PATH:LINE:COL: error: SPEC.PATH: message``) stays the default for pipes, since
tools parse it; with ``--context``, or when standard error is a terminal, each error is followed by
the offending line and a caret under its column, as rustc and ruff print them.
"""

import os
import pty
import re
import select
import subprocess
import sys

import pytest

from conftest import SPECS
from modelspec.cli import main

BAD = """\
name: bad
input: {shape: [32, 32, 3]}
blocks:
  - {type: vgg, filters: 0, convs: 2}
  - {type: conv, filter: 3, kernel_size: 3}
  - type: dense
    units: "ten"
"""

CONTEXT = [
    ("{f}:4:26: error: blocks[0].filters: must be greater than 0",
     "  |",
     "4 |   - {type: vgg, filters: 0, convs: 2}",
     "  |                          ^"),
    ("{f}:5:18: error: blocks[1].filter: unknown field 'filter'; did you mean 'filters'?",
     "  |",
     "5 |   - {type: conv, filter: 3, kernel_size: 3}",
     "  |                  ^^^^^^"),
    ("{f}:7:12: error: blocks[2].units: must be an integer, not a string ('ten')",
     "  |",
     '7 |     units: "ten"',
     "  |            ^^^^^"),
]


@pytest.fixture
def bad(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    return path


def test_context_shows_the_line_and_a_caret(bad, capsys):
    assert main(["validate", "--context", str(bad)]) == 1
    expected = [line.replace("{f}", str(bad)) for block in CONTEXT for line in block]
    assert capsys.readouterr().err.splitlines() == expected


def test_pipes_get_the_one_line_form(bad):
    result = subprocess.run([sys.executable, "-m", "modelspec", "validate", str(bad)], capture_output=True,
                            text=True, timeout=60)
    assert result.stderr.splitlines() == [block[0].replace("{f}", str(bad)) for block in CONTEXT]


def test_a_terminal_gets_the_context(bad):
    """stderr on a pseudo-terminal, as in an interactive shell; stdout stays a pipe."""
    primary, secondary = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-m", "modelspec", "validate", str(bad)], stdout=subprocess.PIPE,
                                stderr=secondary, stdin=subprocess.DEVNULL)
        os.close(secondary)
        secondary = None
        chunks = []
        while True:
            ready, _, _ = select.select([primary], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(60) == 1
    finally:
        os.close(primary)
        if secondary is not None:
            os.close(secondary)
    lines = b"".join(chunks).decode().replace("\r\n", "\n").splitlines()
    assert lines == [line.replace("{f}", str(bad)) for block in CONTEXT for line in block]


@pytest.mark.parametrize("text, expected", [
    # a syntax error: the caret at the bracket that is never closed
    ("name: x\ninput: {shape: [32, 32, 3]\n",
     ["{f}:2:8: error: input: invalid YAML: this '{' is never closed (expected ',' or '}' before line 3, "
      "column 1)", "  |", "2 | input: {shape: [32, 32, 3]", "  |        ^"]),
    # a missing field: at the enclosing mapping, one caret
    ("name: x\ninput: {shape: [32, 32, 3]}\nblocks:\n  - type: conv\n    filters: 8\n",
     ["{f}:4:5: error: blocks[0]: missing required field 'kernel_size'", "  |", "4 |   - type: conv",
      "  |     ^"]),
])
def test_context_cases(tmp_path, capsys, text, expected):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert main(["validate", "--context", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [line.replace("{f}", str(path)) for line in expected]


def test_an_override_or_stdin_has_no_line_to_show(bad, capsys, monkeypatch):
    assert main(["validate", "--context", str(SPECS / "vgg16.yaml"), "--set", "blocks.fc1.units=0"]) == 1
    assert capsys.readouterr().err.splitlines() == ["<--set 1>:1:18: error: blocks[6].units: must be greater than 0"]
    import io

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BAD.encode())))
    assert main(["validate", "--context", "-"]) == 1
    assert capsys.readouterr().err.splitlines()[0] == "-:4:26: error: blocks[0].filters: must be greater than 0"


# -- summary grouped by block ----------------------------------------------------------------------

def summary_rows(capsys, spec):
    assert main(["summary", str(SPECS / spec)]) == 0
    out = capsys.readouterr().out.splitlines()
    rows = [line for line in out[4:] if line and not line.startswith("---")]
    return [line for line in rows if not line.startswith(("Total", "Trainable", "Non-trainable", "MACs"))]


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


def test_summary_groups_layers_under_their_block_with_subtotals(capsys):
    rows = summary_rows(capsys, "vgg16.yaml")
    # Keras' VGG16 summary: block1_conv1 1,792 and block1_conv2 36,928 parameters
    assert re.match(r"block1 +vgg +\(112, 112, 64\) +38,720 ", rows[0])
    assert re.match(r"  block1_conv1 +Conv2D +\(224, 224, 64\) +1,792 ", rows[1])
    assert re.match(r"  block1_conv2 +Conv2D +\(224, 224, 64\) +36,928 ", rows[2])
    # every block row's params and MACs are the sums of the layers indented under it
    groups, current = [], None
    for row in rows:
        cells = re.split(r"\s{2,}", row.strip())
        if row.startswith("  "):
            current[1].append(cells)
        else:
            current = (cells, [])
            groups.append(current)
    blocks = [g for g in groups if g[1]]
    assert len(blocks) == 5  # the five VGG blocks; flatten and the dense head are one-layer rows
    for header, layers in blocks:
        assert number(header[3]) == sum(number(cells[3]) for cells in layers), header
        assert number(header[4]) == sum(number(cells[4]) for cells in layers), header
    singles = [g[0][0] for g in groups if not g[1]]
    assert singles == ["flatten", "fc1", "fc2", "predictions"]
