"""Paths and arguments a reader is given: empty, a folder, a named pipe, a loop of links, a name too long,
bytes that are not UTF-8, standard input closed or given twice. Each is refused with one line naming the
path (exit 2, or located at the extends that names it), and nothing is waited on. No TensorFlow here."""

from __future__ import annotations

import errno
import io
import os
import subprocess
import sys
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
    assert capsys.readouterr().err == f"{fifo}: error: is a named pipe or a socket, not a spec file; pipe its content " \
        "in with '-'\n"
    (tmp_path / "child.yaml").write_text("extends: spec.yaml\nname: c\n")
    assert main(["validate", str(tmp_path / "child.yaml")]) == 1
    assert "child.yaml:1:10: error: extends: cannot read base file 'spec.yaml': is a named pipe" in \
        capsys.readouterr().err


# a loop of symbolic links: the links, written as they are, from the path to the one that repeats
LINK_LOOPS = [
    # id, links (name -> target, made in this order; a folder on the way is made too), the path given, the loop shown
    ("two-links", {"a.yaml": "b.yaml", "b.yaml": "a.yaml"}, "a.yaml", "'a.yaml' -> 'b.yaml' -> 'a.yaml'"),
    ("a-link-to-itself", {"self.yaml": "self.yaml"}, "self.yaml", "'self.yaml' -> 'self.yaml'"),
    ("a-folder-on-the-way", {"d": "d"}, "d/spec.yaml", "'d' -> 'd'"),
    # a link's target is read from the link's folder
    ("links-in-a-folder", {"sub/a.yaml": "b.yaml", "sub/b.yaml": "a.yaml"}, "sub/a.yaml",
     "'sub/a.yaml' -> 'b.yaml' -> 'a.yaml'"),
    # a link to a folder that is no loop itself: the loop is the file's, inside it
    ("a-link-to-a-folder-then-a-loop", {"e/spec.yaml": "spec.yaml", "d": "e"}, "d/spec.yaml",
     "'d/spec.yaml' -> 'spec.yaml'"),
    # no loop, but more links in a row than the system follows (40 on Linux): shown up to the 40th
    ("41-links", {f"l{i}": f"l{i + 1}" for i in range(41)}, "l0", " -> ".join(f"'l{i}'" for i in range(41))),
]


@pytest.mark.parametrize("links, path, loop", [r[1:] for r in LINK_LOOPS], ids=[r[0] for r in LINK_LOOPS])
def test_a_loop_of_links_is_shown_link_by_link(tmp_path, capsys, monkeypatch, links, path, loop):
    monkeypatch.chdir(tmp_path)
    for name, target in links.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
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


def _stdin(buffer):
    """A standard input whose bytes come from ``buffer``."""
    return type("Stdin", (), {"buffer": buffer})()


# loader.read_bytes: the first limit + 1 bytes (one more than a spec may have, so a larger file is seen as such)
READ_BYTES = [
    # id, "-" (standard input) or a file, the bytes there, the limit, the bytes read
    ("file-larger", "file", b"0123456789", 4, b"01234"),
    ("file-at-the-limit", "file", b"0123", 4, b"0123"),
    ("stdin-larger", "-", b"0123456789", 4, b"01234"),
    ("stdin-at-the-limit", "-", b"0123", 4, b"0123"),
]


@pytest.mark.parametrize("where, content, limit, read", [r[1:] for r in READ_BYTES], ids=[r[0] for r in READ_BYTES])
def test_read_bytes_reads_one_byte_past_the_limit(tmp_path, monkeypatch, where, content, limit, read):
    from modelspec.loader import read_bytes

    if where == "-":
        monkeypatch.setattr(sys, "stdin", _stdin(io.BytesIO(content)))
        assert read_bytes("-", limit=limit) == read
    else:
        (tmp_path / "spec.yaml").write_bytes(content)
        assert read_bytes(str(tmp_path / "spec.yaml"), limit=limit) == read


def _closed_file():
    buffer = io.BytesIO(b"a: 1\n")
    buffer.close()
    return buffer


def _write_end_of_a_pipe(request):
    read_end, write_end = os.pipe()
    os.close(read_end)
    buffer = open(write_end, "rb")  # reading the end that is for writing: EBADF
    request.addfinalizer(buffer.close)
    return buffer


# standard input that cannot be read: a usage error at '-', saying why
STDIN_REFUSED = [
    ("closed", lambda request: None, "standard input is closed; give a file, or pipe the spec in"),
    ("a-closed-file", lambda request: _stdin(_closed_file()), "cannot read standard input: I/O operation on closed "
     "file."),
    ("an-os-error", lambda request: _stdin(_write_end_of_a_pipe(request)),
     f"cannot read standard input: {os.strerror(errno.EBADF)}"),
]


@pytest.mark.parametrize("stdin, message", [r[1:] for r in STDIN_REFUSED], ids=[r[0] for r in STDIN_REFUSED])
def test_standard_input_that_cannot_be_read(monkeypatch, request, stdin, message):
    from modelspec.loader import UsageError, read_bytes

    monkeypatch.setattr(sys, "stdin", stdin(request))
    with pytest.raises(UsageError) as caught:
        read_bytes("-")
    assert (caught.value.path, caught.value.message) == ("-", message)


# loader.os_reason: why a path cannot be read, in words: the system's, or the error's own text when it has none
OS_REASONS = [
    ("with-a-reason", OSError(errno.ENAMETOOLONG, os.strerror(errno.ENAMETOOLONG)), os.strerror(errno.ENAMETOOLONG)),
    ("without-one", OSError("the error's own words"), "the error's own words"),
]


@pytest.mark.parametrize("error, reason", [r[1:] for r in OS_REASONS], ids=[r[0] for r in OS_REASONS])
def test_os_reason(error, reason):
    from modelspec.loader import os_reason

    assert os_reason(error, "spec.yaml") == reason
