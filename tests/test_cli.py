"""The command line as the contract fixes it: commands, output, exit status, error lines."""

import json
import os
import re
import subprocess
import sys

import pytest

from modelspec.cli import main
from conftest import SPECS

ERROR_LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<column>\d+): error: (?P<path>\S+): (?P<message>.+)$")
VGG = str(SPECS / "vgg_block.yaml")


def run(*argv, stdin=None, env=None):
    """The installed console script, as a user runs it."""
    return subprocess.run(["modelspec", *argv], input=stdin, capture_output=True, text=True, timeout=600,
                          env=env)


def run_with_stdout_closed(*argv) -> tuple[int, str]:
    """The console script writing to a pipe whose reader has already gone: (status, stderr)."""
    proc = subprocess.Popen(["modelspec", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()
    stderr = proc.stderr.read()
    return proc.wait(timeout=600), stderr


SIGPIPE_STATUS = -13  # subprocess' returncode for a process that SIGPIPE ended (a shell shows 141), as cat


def test_validate_prints_ok_with_the_param_count(capsys):
    assert main(["validate", VGG, str(SPECS / "residual_module.yaml")]) == 0
    # 38,720 and 38,976: the reference tutorial's totals
    assert capsys.readouterr().out.splitlines() == [
        f"ok: {VGG} (38,720 params)", f"ok: {SPECS / 'residual_module.yaml'} (38,976 params)"]


def test_validate_reads_standard_input():
    result = run("validate", "-", stdin=(SPECS / "vgg_block.yaml").read_text())
    assert result.returncode == 0
    assert result.stdout == "ok: - (38,720 params)\n"


def test_error_on_standard_input_is_located_at_dash():
    result = run("validate", "-", stdin="name: m\ninput: {shape: [8, 8, 3]}\nblocks:\n  - {type: vgg, filters: 0}\n")
    assert result.returncode == 1
    match = ERROR_LINE.match(result.stderr.strip())
    assert match and match["file"] == "-" and (match["line"], match["column"]) == ("4", "26")
    assert match["path"] == "blocks[0].filters" and match["message"] == "must be greater than 0"


def test_contract_example_error_line(tmp_path, capsys):
    # spec-v1.md: `specs/x.yaml:7:14: error: blocks[2].filters: must be greater than 0`
    spec = tmp_path / "x.yaml"
    spec.write_text("name: x\ninput:\n  shape: [64, 64, 3]\nblocks:\n  - {type: vgg, filters: 8}\n"
                    "  - {type: vgg, filters: 8}\n  - {type: vgg, filters: 0}\n")
    assert main(["validate", str(spec)]) == 1
    assert capsys.readouterr().err == f"{spec}:7:26: error: blocks[2].filters: must be greater than 0\n"


def test_one_invalid_spec_among_valid_ones_fails_the_run(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [1]\n")
    assert main(["validate", VGG, str(bad)]) == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("ok: ")
    assert ERROR_LINE.match(captured.err.splitlines()[0])


def test_missing_file_is_an_io_error(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_usage_error_exits_2():
    result = run("summary")
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_summary_json_has_the_contract_fields(capsys):
    assert main(["summary", "--json", str(SPECS / "inception_modules.yaml")]) == 0
    data = json.loads(capsys.readouterr().out)
    # spec-v2.md section 5: v1's fields plus `inputs` and `outputs`
    assert set(data) == {"name", "input_shape", "inputs", "output_shape", "outputs", "params", "macs", "blocks",
                         "layers"}
    assert data["inputs"] == {"input": [256, 256, 3]}
    assert data["outputs"] == [{"name": "inception_3b", "shape": [256, 256, 480]}]
    assert data["name"] == "inception_modules"
    assert data["output_shape"] == [256, 256, 480]  # reference tutorial
    assert data["params"] == {"total": 513120, "trainable": 513120, "non_trainable": 0}
    assert [b["name"] for b in data["blocks"]] == ["inception_3a", "inception_3b"]
    assert set(data["layers"][0]) == {"name", "block", "class", "inputs", "output_shape", "params", "macs"}
    concat = next(r for r in data["layers"] if r["name"] == "inception_3a_concat")
    assert concat["inputs"] == ["inception_3a_1x1", "inception_3a_3x3", "inception_3a_5x5", "inception_3a_pool_proj"]
    # a 1x1 conv of 3 -> 96 channels at 256x256: 256*256 positions * 1*1*3*96 MACs (contract's formula)
    reduce = next(r for r in data["layers"] if r["name"] == "inception_3a_3x3_reduce")
    assert reduce["macs"] == 256 * 256 * 3 * 96 and reduce["block"] == "inception_3a"
    assert data["macs"] == sum(r["macs"] for r in data["layers"])


def test_summary_with_unknown_height_reports_null_macs(tmp_path, capsys):
    spec = tmp_path / "any.yaml"
    spec.write_text("name: any\ninput: {shape: [null, null, 3]}\nblocks:\n  - {type: vgg, filters: 4}\n"
                    "  - {type: global_avg_pool}\n  - {type: dense, units: 2}\n")
    assert main(["summary", "--json", str(spec)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["layers"][0]["output_shape"] == [None, None, 4]
    assert data["layers"][0]["macs"] is None and data["macs"] is None
    assert data["layers"][-1]["macs"] == 4 * 2  # dense: inputs x units


def test_summary_text_table(capsys):
    assert main(["summary", VGG]) == 0
    out = capsys.readouterr().out
    assert "block1_conv2" in out and "(256, 256, 64)" in out and "Total params: 38,720" in out


def test_schema_command_writes_the_schema(tmp_path):
    out = tmp_path / "s.json"
    assert main(["schema", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert main(["schema", "--check", str(out)]) == 0


def test_python_dash_m_runs_the_cli():
    result = subprocess.run([sys.executable, "-m", "modelspec", "validate", VGG],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.startswith("ok: ")


def test_console_script_flushes_all_output_before_its_fast_exit(capsys):
    # The script ends with os._exit (no interpreter teardown): every byte must be out by then.
    # resnet50's JSON summary (~100 KB) is larger than a pipe's buffer and than stdout's.
    assert main(["summary", "--json", str(SPECS / "resnet50.yaml")]) == 0
    in_process = capsys.readouterr().out
    buffered = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout buffered, as usual
    result = run("summary", "--json", str(SPECS / "resnet50.yaml"), env=buffered)
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout == in_process
    assert json.loads(result.stdout)["params"]["total"] == 25_636_712  # Keras Applications' ResNet50


@pytest.mark.parametrize("command", [["summary", str(SPECS / "resnet50.yaml")],
                                     ["summary", "--json", str(SPECS / "resnet50.yaml")],
                                     ["schema"], ["validate", VGG]])
def test_a_closed_standard_output_ends_the_command_as_it_ends_cat(command):
    # `modelspec summary x | head`: the reader is gone before the first write. cat ends silently,
    # killed by SIGPIPE, every time; so does modelspec.
    cat = subprocess.Popen(["cat", "/dev/zero"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    cat.stdout.close()
    assert cat.wait(timeout=60) == SIGPIPE_STATUS and cat.stderr.read() == b""
    for _ in range(3):
        status, stderr = run_with_stdout_closed(*command)
        assert (status, stderr) == (SIGPIPE_STATUS, "")


def test_a_closed_pipe_in_process_returns_the_sigpipe_status_without_a_message(monkeypatch, capsys):
    def broken(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("builtins.print", broken)
    assert main(["validate", VGG]) == 128 + 13


def test_other_write_errors_stay_io_errors(monkeypatch, capsys):
    import builtins

    original = builtins.print

    def full_disk(*args, **kwargs):
        if kwargs.get("file") is None:  # standard output
            raise OSError(28, "No space left on device")
        original(*args, **kwargs)

    monkeypatch.setattr(builtins, "print", full_disk)
    assert main(["validate", VGG]) == 2
    assert "<stdout>: error: cannot write: No space left on device" in capsys.readouterr().err


@pytest.mark.skipif(os.name != "posix", reason="closes a standard stream with a POSIX shell")
@pytest.mark.parametrize("redirect, spec, status", [
    (">&-", VGG, 0), ("2>&-", VGG, 0),  # nothing to write where the output would go: still a success
    ("2>&-", "missing.yaml", 2), ("2>&-", "{bad}", 1),  # the error line is lost; the status still tells
])
def test_a_closed_standard_stream_never_changes_the_status(tmp_path, redirect, spec, status):
    if spec == "{bad}":
        spec = str(tmp_path / "bad.yaml")
        (tmp_path / "bad.yaml").write_text("name: m\ninput: {shape: [8, 8, 3]}\nblocks:\n  - {type: vgg, filters: 0}\n")
    result = subprocess.run(f"modelspec validate '{spec}' {redirect}", shell=True, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == status, result
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs Linux' /dev/full")
def test_a_full_disk_on_standard_output_is_an_io_error():
    with open("/dev/full", "w") as full:
        result = subprocess.run(["modelspec", "validate", VGG], stdout=full, stderr=subprocess.PIPE,
                                text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr == "<stdout>: error: cannot write: No space left on device\n"


@pytest.mark.slow
def test_build_saves_a_checked_model(tmp_path):
    out = tmp_path / "vgg.keras"
    result = run("build", VGG, "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.is_file() and f"saved: {out} (38,720 params)" in result.stdout
    assert "block1_conv1" in result.stdout  # the Keras summary is printed
    assert [p.name for p in tmp_path.iterdir()] == ["vgg.keras"]  # no temporary file left


@pytest.mark.slow
def test_build_to_a_closed_standard_output_ends_silently_and_writes_nothing(tmp_path):
    out = tmp_path / "vgg.keras"
    # the Keras summary, printed before saving, cannot be written
    status, stderr = run_with_stdout_closed("build", VGG, "-o", str(out))
    assert status == SIGPIPE_STATUS
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_build_of_invalid_spec_fails_before_tensorflow_and_writes_nothing(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: m\ninput: {shape: [4, 4, 3]}\nblocks:\n  - {type: vgg, filters: 4, convs: 1}\n"
                    "  - {type: vgg, filters: 4}\n  - {type: vgg, filters: 4}\n")
    out = tmp_path / "m.keras"
    result = run("build", str(spec), "-o", str(out))
    assert result.returncode == 1
    assert ERROR_LINE.match(result.stderr.strip()).group("path") == "blocks[2].pool_size"
    assert not out.exists()


@pytest.mark.parametrize("argv", [["build", VGG, "-o", "{dir}/out.keras"], ["schema", "-o", "{dir}"],
                                  ["build", VGG, "-o", "{dir}/missing/out.keras"]])
def test_unwritable_output_is_an_io_error(tmp_path, capsys, argv):
    (tmp_path / "out.keras").mkdir()
    assert main([a.format(dir=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "internal error" not in err


@pytest.mark.parametrize("blocks, line, column", [
    # a plain block named like a later repeated block's copy
    (["{type: dropout, rate: 0.1, name: x_2}", "{type: dropout, rate: 0.1, name: x, repeat: 2}"], 5, 38),
    # a block named like an earlier repeated block's copy
    (["{type: dropout, rate: 0.1, name: x, repeat: 2}", "{type: dropout, rate: 0.1, name: x_1}"], 5, 38),
])
def test_copy_names_of_repeated_blocks_are_unique(tmp_path, capsys, blocks, line, column):
    spec = tmp_path / "copies.yaml"
    spec.write_text("name: t\ninput: {shape: [8, 8, 3]}\nblocks:\n" + "".join(f"  - {b}\n" for b in blocks))
    assert main(["validate", str(spec)]) == 1
    match = ERROR_LINE.match(capsys.readouterr().err.strip())
    assert (int(match["line"]), int(match["column"]), match["path"]) == (line, column, "blocks[1].name")
    assert "is already used by blocks[0]" in match["message"]


def test_every_missing_field_of_a_mapping_is_named(tmp_path, capsys):
    # spec-v1.md: conv requires filters and kernel_size; the top level requires name, input and blocks.
    spec = tmp_path / "missing.yaml"
    spec.write_text("name: t\ninput: {shape: [8, 8, 3]}\nblocks:\n  - {type: conv}\n")
    assert main(["validate", str(spec)]) == 1
    assert capsys.readouterr().err == f"{spec}:4:5: error: blocks[0]: missing required fields 'filters', 'kernel_size'\n"
    spec.write_text("description: only this\n")
    assert main(["validate", str(spec)]) == 1
    assert capsys.readouterr().err == f"{spec}:1:1: error: $: missing required fields 'name', 'input', 'blocks'\n"


@pytest.mark.parametrize("argument, line", [
    # bytes as the shell passes them: one that is not UTF-8 is shown as \\xff; a look-alike is escaped and named
    (b"blocks[0].filters=\xff",
     "<--set 1>:1:19: error: blocks[0].filters: the argument is not UTF-8 text (byte \\xff)"),
    (b"blocks[0].fil\xfeters=8", "<--set 1>:1:14: error: $: the argument is not UTF-8 text (byte \\xfe)"),
    ("blocks[0].filt\u0435rs=8".encode(), "<--set 1>:1:15: error: $: not a spec path at '\\u0435rs' (it contains "
     "U+0435 CYRILLIC SMALL LETTER IE, which is not an ASCII character): write keys with dots and list positions in "
     'brackets, e.g. blocks.conv1.filters or blocks[2].filters (blocks["a.b"] for a key that is not a plain word)'),
], ids=["not-utf-8-value", "not-utf-8-path", "look-alike-in-path"])
def test_a_set_argument_of_any_bytes_is_one_located_line(argument, line):
    # spec-v2: --set errors are located as <--set N>:1:COL; a spec error exits 1, never with a traceback
    result = subprocess.run([b"modelspec", b"validate", VGG.encode(), b"--set", argument], capture_output=True,
                            timeout=600)
    assert (result.returncode, result.stdout, result.stderr.decode("utf-8").splitlines()) == (1, b"", [line])


def test_standard_input_takes_tab_indented_json():
    # spec-v1.md: '-' reads YAML, "which also accepts JSON"; json.dumps(indent="\t") is JSON.
    spec = {"name": "t", "input": {"shape": [8, 8, 3]}, "blocks": [{"type": "vgg", "filters": 4}]}
    result = run("validate", "-", stdin=json.dumps(spec, indent="\t"))
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok: - (112 params)\n"  # 3*3*3*4 + 4, as Keras counts a Conv2D


def test_a_problem_with_a_reused_block_points_at_its_reuse(tmp_path, capsys):
    spec = tmp_path / "alias.yaml"
    spec.write_text("name: t\ninput: {shape: [8, 8, 3]}\nblocks:\n  - &b {type: vgg, filters: 4, name: v}\n"
                    "  - *b\n")
    assert main(["validate", str(spec)]) == 1
    assert capsys.readouterr().err == f"{spec}:5:5: error: blocks[1].name: block name 'v' is already used by blocks[0]\n"


@pytest.mark.slow
def test_a_model_deeper_than_tensorflows_recursion_limit_builds(tmp_path):
    # TensorFlow sets sys.setrecursionlimit(3000) on import and Keras maps the graph recursively:
    # 3,500 layers in a chain validate, so they must build too.
    spec = tmp_path / "deep.yaml"
    spec.write_text("name: deep\ninput: {shape: [4, 4, 1]}\nblocks:\n"
                    "  - {type: activation, activation: relu, repeat: 3500}\n")
    result = run("build", str(spec), "-o", str(tmp_path / "deep.keras"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "deep.keras").is_file()
