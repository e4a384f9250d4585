"""``modelspec export``: a SavedModel reloaded by TensorFlow, and an ONNX file that passes the ONNX
checker and runs under onnxruntime, both give the Keras model's outputs; a failed export leaves
nothing at the output path.
"""

import subprocess
import sys

import numpy as np
import pytest

import modelspec

from conftest import ROOT, SPECS

pytestmark = pytest.mark.slow

SPEC = SPECS / "digits_cnn.yaml"


def export(*argv):
    return subprocess.run([sys.executable, "-m", "modelspec", "export", str(SPEC), *map(str, argv)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The digits model with non-trivial weights (a few steps on random data), saved as .keras."""
    folder = tmp_path_factory.mktemp("export")
    model = modelspec.build(SPEC)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 255, (64, 8, 8, 1)).astype("float32")
    model.fit(x, rng.integers(0, 10, 64), epochs=1, verbose=0)
    model.save(folder / "digits.keras")
    probe = rng.uniform(0, 255, (5, 8, 8, 1)).astype("float32")
    return folder, probe, np.asarray(model(probe, training=False))


def test_saved_model_reloads_with_equal_outputs(trained, tmp_path):
    import tensorflow as tf

    folder, x, expected = trained
    out = tmp_path / "digits_saved_model"
    for _ in range(2):  # the second export replaces the first
        result = export("-o", out, "--format", "saved_model", "--weights", folder / "digits.keras")
        assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == f"exported: {out} (saved_model, 28,714 params)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits_saved_model"]  # no temporary directory left
    reloaded = tf.saved_model.load(str(out))
    np.testing.assert_allclose(np.asarray(reloaded.serve(x)), expected, rtol=1e-6, atol=1e-6)


def test_onnx_passes_the_checker_and_matches_under_onnxruntime(trained, tmp_path):
    onnx = pytest.importorskip("onnx")  # the 'onnx' extra, which the test extra installs
    ort = pytest.importorskip("onnxruntime")
    folder, x, expected = trained
    out = tmp_path / "digits.onnx"
    result = export("-o", out, "--format", "onnx", "--weights", folder / "digits.keras")
    assert result.returncode == 0, result.stderr[-2000:]
    onnx.checker.check_model(onnx.load(str(out)), full_check=True)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["digits.onnx"]


@pytest.mark.parametrize("argv, message", [
    (["-o", "model.pb", "--format", "onnx"], "model.pb: error: an ONNX export is a file ending in .onnx"),
    (["-o", "no/such/dir/m.onnx", "--format", "onnx"], "no/such/dir/m.onnx: error: no such directory: no/such/dir"),
])
def test_bad_outputs_are_refused_before_building(argv, message):
    result = export(*argv)
    assert (result.returncode, result.stderr.strip()) == (2, message)
