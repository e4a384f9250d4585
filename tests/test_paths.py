"""Paths and arguments a reader is given: empty, a folder, a named pipe, a loop of links, a name too long,
bytes that are not UTF-8, standard input closed or given twice. Each is refused with one line naming the
path (exit 2, or located at the extends that names it), and nothing is waited on. No TensorFlow here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from modelspec.cli import main

READERS = [
    # argv, stdin, the status, the one error line (its start)
    (["validate", ""], None, 2, "'': error: an empty path; give a spec file"),
    (["validate", "a\nb.yaml"], None, 2, "a\\nb.yaml: error: no such file"),
    (["schema", "--check", "/dev/zero"], None, 1, "/dev/zero:1:1: error: $: the file is larger than"),
    (["schema", "-o", "a.json", "--check", "b.json"], None, 2, "schema: error: give -o FILE"),
    (["validate", "-", "-"], None, 2, "-: error: standard input is given more than once"),
    (["validate", "x" * 300 + ".yaml"], None, 2, "x" * 300 + ".yaml: error: cannot read: File name too long"),
    (["schema", "-o", "x" * 300 + ".json"], None, 2, "x" * 300 + ".json: error: cannot use this path"),
    (["validate", "\udcff.yaml"], None, 2, "\\xff.yaml: error: no such file"),
]
READER_IDS = ["empty-path", "newline-in-path", "dev-zero-schema", "schema-o-and-check", "stdin-twice",
              "name-too-long", "output-name-too-long", "not-utf-8-path"]


def test_a_named_pipe_is_refused_not_waited_on(tmp_path, capsys):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    assert main(["validate", str(fifo)]) == 2
    assert "is a named pipe or a socket, not a spec file; pipe its content in with '-'" in capsys.readouterr().err
    (tmp_path / "child.yaml").write_text("extends: spec.yaml\nname: c\n")
    assert main(["validate", str(tmp_path / "child.yaml")]) == 1
    assert "child.yaml:1:10: error: extends: cannot read base file 'spec.yaml': is a named pipe" in \
        capsys.readouterr().err


# a loop of symbolic links: the links, written as they are, from the path to the one that repeats
LINK_LOOPS = [
    # links (name -> target), the path given, the loop shown
    ({"a.yaml": "b.yaml", "b.yaml": "a.yaml"}, "a.yaml", "'a.yaml' -> 'b.yaml' -> 'a.yaml'"),
    ({"self.yaml": "self.yaml"}, "self.yaml", "'self.yaml' -> 'self.yaml'"),
    ({"d": "d"}, "d/spec.yaml", "'d' -> 'd'"),  # the loop is a folder on the way
]


@pytest.mark.parametrize("links, path, loop", LINK_LOOPS, ids=[r[1] for r in LINK_LOOPS])
def test_a_loop_of_links_is_shown_link_by_link(tmp_path, capsys, monkeypatch, links, path, loop):
    monkeypatch.chdir(tmp_path)
    for name, target in links.items():
        os.symlink(target, name)
    assert main(["validate", path]) == 2
    assert capsys.readouterr().err == f"{path}: error: cannot read: its symbolic links go round in a loop ({loop})\n"


def test_a_loop_of_links_named_by_extends_is_shown_at_the_extends(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    os.symlink("b.yaml", "a.yaml")
    os.symlink("a.yaml", "b.yaml")
    Path("child.yaml").write_text("extends: a.yaml\nname: c\n")
    assert main(["validate", "child.yaml"]) == 1
    assert capsys.readouterr().err == ("child.yaml:1:10: error: extends: cannot read base file 'a.yaml': its symbolic "
                                       "links go round in a loop ('a.yaml' -> 'b.yaml' -> 'a.yaml')\n")


@pytest.mark.parametrize("argv, stdin, status, line", READERS, ids=READER_IDS)
def test_other_readers_and_arguments(tmp_path, capsys, argv, stdin, status, line, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == status
    err = capsys.readouterr().err
    assert err.startswith(line) and err.count("\n") == 1, err


def test_schema_check_decodes_as_spec_files_do(tmp_path, capsys):
    (tmp_path / "bad.json").write_bytes(b'{"a": "\xff"}')
    assert main(["schema", "--check", str(tmp_path / "bad.json")]) == 1
    assert capsys.readouterr().err == f"{tmp_path / 'bad.json'}:1:8: error: $: the file is not UTF-8 text (byte 0xff)\n"


def test_validate_standard_input_closed_is_a_usage_error():
    result = subprocess.run("modelspec validate - <&-", shell=True, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == "-: error: standard input is closed; give a file, or pipe the spec in\n"
