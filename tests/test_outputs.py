"""Outputs: ``build -o`` writes atomically, never leaves a partial file, and the file loads back safely.

These tests build Keras models (TensorFlow), so they are marked ``slow``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from modelspec import cli
from modelspec.cli import main

pytestmark = pytest.mark.slow

# Every block type on a small input, with batch norm, no-bias convs, and several activations and
# initializers ("constant" among them, which Keras cannot make from its name alone; on a bottleneck
# whose shortcut is the identity, 4 * 2 = 8 channels in and out, so the signal gets through).
ALL_TYPES = """\
name: all_types
input:
  shape: [32, 32, 3]
defaults:
  kernel_initializer: he_uniform
blocks:
  - {type: zero_padding, padding: [1, 2]}
  - {type: conv, filters: 8, kernel_size: 3, strides: 1, padding: same, activation: gelu,
     batch_norm: {epsilon: 0.01, momentum: 0.9}, use_bias: false}
  - {type: vgg, filters: 8, convs: 2, activation: mish, kernel_initializer: orthogonal}
  - {type: inception, conv1x1: 4, conv3x3: 4, conv5x5: 4, reduce3x3: 2, reduce5x5: 2, pool_proj: 2,
     batch_norm: true}
  - {type: residual, filters: 8, strides: 2}
  - {type: residual, filters: 8, shortcut: identity, repeat: 2}
  - {type: bottleneck, filters: 4, expansion: 2, batch_norm: true, kernel_initializer: constant}
  - {type: max_pool, pool_size: 2, strides: 1, padding: same}
  - {type: avg_pool, pool_size: [2, 1]}
  - {type: batch_norm, momentum: 0.5}
  - {type: activation, activation: swish}
  - {type: dropout, rate: 0.5}
  - {type: flatten}
  - {type: dense, units: 10, activation: softmax}
"""


def listing(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


@pytest.fixture
def previous(tmp_path: Path) -> tuple[Path, Path, bytes]:
    """A spec, and an output file from an earlier build that a failed build must leave alone."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(ALL_TYPES)
    out = tmp_path / "out" / "model.keras"
    out.parent.mkdir()
    old = b"PK\x03\x04 an earlier build's file"
    out.write_bytes(old)
    return spec, out, old


def test_build_writes_through_a_temporary_file_and_a_rename(tmp_path, monkeypatch, capsys):
    import keras

    spec = tmp_path / "spec.yaml"
    spec.write_text(ALL_TYPES)
    out = tmp_path / "out" / "model.keras"
    out.parent.mkdir()
    renames, saved_to = [], []
    real_replace, real_save = os.replace, keras.Model.save

    def replace(src, dst):
        renames.append((Path(src), Path(dst), Path(src).exists(), Path(dst).exists()))
        return real_replace(src, dst)

    def save(self, path, *args, **kwargs):
        saved_to.append(Path(path))
        return real_save(self, path, *args, **kwargs)

    monkeypatch.setattr(cli.os, "replace", replace)
    monkeypatch.setattr(keras.Model, "save", save)
    assert main(["build", str(spec), "-o", str(out)]) == 0
    assert f"saved: {out} (" in capsys.readouterr().out
    ((src, dst, src_existed, dst_existed),) = renames
    assert saved_to == [src]  # Keras wrote the temporary file, never the output itself
    assert dst == out and not dst_existed and src_existed
    assert src.parent == out.parent and src.name.startswith(".model.keras.") and src.suffix == ".keras"
    assert sorted(p.name for p in out.parent.iterdir()) == ["model.keras"]  # nothing else left behind
    assert oct(out.stat().st_mode & 0o777) == oct(0o666 & ~_umask())  # a normal file's mode, not mkstemp's 0600


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_save_that_fails_halfway_leaves_the_previous_file(previous, monkeypatch, capsys):
    import keras

    spec, out, old = previous
    before = listing(out.parent)

    def broken_save(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PK\x03\x04 half a file")  # a partial write, then the failure
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", broken_save)
    status = main(["build", str(spec), "-o", str(out)])
    err = capsys.readouterr().err
    assert status not in (0, 1) and "Traceback" not in err
    assert listing(out.parent) == before and out.read_bytes() == old


def test_an_interrupted_save_leaves_the_previous_file(previous, monkeypatch, capsys):
    import keras

    spec, out, old = previous
    before = listing(out.parent)

    def interrupted(self, path, *args, **kwargs):
        Path(path).write_bytes(b"PK\x03\x04 half")
        raise KeyboardInterrupt

    monkeypatch.setattr(keras.Model, "save", interrupted)
    assert main(["build", str(spec), "-o", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert listing(out.parent) == before


@pytest.mark.parametrize("bad, status", [
    ("  - {type: vgg, filters: 64.5}\n", 1),  # a schema error
    ("  - {type: conv, filters: 8, kernel_size: 99}\n", 1),  # a shape error
    ("  - {type: vgg, filters: 1000000000}\n", 1),  # over budget
])
def test_an_invalid_spec_leaves_the_previous_file(previous, capsys, bad, status):
    spec, out, old = previous
    spec.write_text(ALL_TYPES + bad)
    before = listing(out.parent)
    assert main(["build", str(spec), "-o", str(out)]) == status
    lines = capsys.readouterr().err.splitlines()  # one located line per independent problem
    assert lines and all(": error: " in line for line in lines)
    assert listing(out.parent) == before


def test_bad_output_paths_are_usage_errors(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(ALL_TYPES)
    assert main(["build", str(spec), "-o", str(tmp_path / "model.h5")]) == 2
    assert "must end in .keras" in capsys.readouterr().err
    assert main(["build", str(spec), "-o", str(tmp_path / "missing" / "model.keras")]) == 2
    assert "no such directory" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["spec.yaml"]


def test_the_saved_model_loads_in_safe_mode_and_computes_the_same(tmp_path, monkeypatch, capsys):
    import keras

    spec = tmp_path / "spec.yaml"
    spec.write_text(ALL_TYPES)
    out = tmp_path / "model.keras"
    built, real_save = [], keras.Model.save

    def save(self, path, *args, **kwargs):  # keep the model the CLI built, to compare with
        built.append(self)
        return real_save(self, path, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save", save)
    assert main(["build", str(spec), "-o", str(out)]) == 0
    capsys.readouterr()
    (model,) = built
    loaded = keras.saving.load_model(out, safe_mode=True)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    assert loaded.count_params() == model.count_params()
    batch = np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(model(batch, training=False))
    got = keras.ops.convert_to_numpy(loaded(batch, training=False))
    assert expected.shape == got.shape == (4, 10)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert not np.allclose(expected, expected[0])  # the batch's samples differ: the test can tell models apart


# --------------------------------------------------------------------------- round two: files and arguments

def test_replacing_an_output_keeps_its_permission_bits(tmp_path):
    out = tmp_path / "schema.json"
    out.write_text("old")
    out.chmod(0o600)
    assert main(["schema", "-o", str(out)]) == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o600 and out.read_text() != "old"


def test_a_new_output_gets_a_new_files_mode(tmp_path):
    old = os.umask(0o027)
    try:
        assert main(["schema", "-o", str(tmp_path / "new.json")]) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o640
