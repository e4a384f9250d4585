"""``validate --format github`` and ``--format json``: the same problems as the text lines, for machines.

The annotation syntax is GitHub Actions' workflow command ``::error file=F,line=L,col=C::message``
("Workflow commands for GitHub Actions", docs.github.com), with ``%``, CR and LF escaped in the
message and also ``:`` and ``,`` in properties.
"""

import json

import pytest

from modelspec.cli import main
from modelspec.errors import Problem, render_github
from conftest import SPECS

BAD = """\
name: bad
input: {shape: [32, 32, 3]}
blocks:
  - {type: vgg, filters: 0, convs: 2}
  - {type: conv, filter: 3, kernel_size: 3}
"""


@pytest.fixture
def bad(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD)
    return path


def run(capsys, *argv):
    status = main(["validate", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_text_is_the_default_and_goes_to_stderr(capsys, bad):
    status, out, err = run(capsys, str(bad))
    assert (status, out) == (1, "")
    assert err.splitlines() == [f"{bad}:4:26: error: blocks[0].filters: must be greater than 0",
                                f"{bad}:5:18: error: blocks[1].filter: unknown field 'filter'; did you mean "
                                "'filters'?"]


def test_github_annotations_carry_file_line_and_column(capsys, bad):
    good = SPECS / "vgg_block.yaml"
    status, out, err = run(capsys, "--format", "github", str(good), str(bad))
    assert status == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"ok: {good} (38,720 params)"
    assert f"::error file={bad},line=4,col=26,title=modelspec::blocks[0].filters: must be greater than 0" in lines
    assert (f"::error file={bad},line=5,col=18,title=modelspec::blocks[1].filter: unknown field 'filter'; "
            "did you mean 'filters'?") in lines
    assert len(lines) == 3


def test_json_lists_every_problem(capsys, bad, tmp_path):
    missing = tmp_path / "missing.yaml"
    status, out, err = run(capsys, "--format", "json", str(SPECS / "vgg_block.yaml"), str(bad), str(missing))
    assert status == 2 and err == ""  # a usage error outranks an invalid spec, as in the text format
    problems = json.loads(out)
    assert problems[0] == {"file": str(bad), "line": 4, "column": 26, "path": "blocks[0].filters",
                           "message": "must be greater than 0", "severity": "error"}
    assert {p["path"] for p in problems[:-1]} == {"blocks[0].filters", "blocks[1].filter"}
    assert problems[-1] == {"file": str(missing), "line": None, "column": None, "path": None,
                            "message": "no such file", "severity": "error"}


def test_json_of_good_specs_is_an_empty_list(capsys):
    status, out, err = run(capsys, "--format", "json", str(SPECS / "vgg_block.yaml"))
    assert (status, json.loads(out), err) == (0, [], "")


@pytest.mark.parametrize("problem, expected", [
    (Problem("a: b, 100%\nnext", ("blocks", 0), "dir,x/a:b.yaml", 3, 7),
     "::error file=dir%2Cx/a%3Ab.yaml,line=3,col=7,title=modelspec::blocks[0]: a: b, 100%25 next"),
    (Problem("bad", (), "s.yaml", None, None), "::error file=s.yaml,line=1,col=1,title=modelspec::$: bad"),
])
def test_github_escaping(problem, expected):
    assert render_github(problem) == expected
