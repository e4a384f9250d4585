"""Weights from Keras files: a file written from keras.applications.ResNet50(weights=None) (random
weights) loads into specs/resnet50.yaml's model with equal outputs, as a .weights.h5 and as a .keras
model, through the library and ``build --weights``; a file of another architecture is a located
error naming the first layer that does not pair, and nothing is written.
"""

import subprocess
import sys

import numpy as np
import pytest

import modelspec
from modelspec.errors import SpecError, render

from conftest import ROOT, SPECS

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def resnet50_files(tmp_path_factory):
    import keras

    keras.utils.set_random_seed(7)
    reference = keras.applications.ResNet50(weights=None)  # random weights, ImageNet's architecture
    folder = tmp_path_factory.mktemp("resnet50")
    reference.save_weights(folder / "resnet50.weights.h5")
    reference.save(folder / "resnet50.keras")
    x = np.random.default_rng(0).uniform(0, 255, (2, 224, 224, 3)).astype("float32")
    return folder, x, np.asarray(reference(x, training=False))


@pytest.mark.parametrize("name", ["resnet50.weights.h5", "resnet50.keras"])
def test_resnet50_file_loads_with_equal_outputs(resnet50_files, name):
    folder, x, expected = resnet50_files
    model = modelspec.build(SPECS / "resnet50.yaml", weights=folder / name)
    np.testing.assert_array_equal(np.asarray(model(x, training=False)), expected)
    control = modelspec.build(SPECS / "resnet50.yaml")  # without the file: other outputs
    assert not np.allclose(np.asarray(control(x, training=False)), expected)


def test_wrong_architecture_names_the_first_layer_that_does_not_pair(resnet50_files):
    folder, _, _ = resnet50_files
    with pytest.raises(SpecError) as info:
        modelspec.build(SPECS / "resnet101.yaml", weights=folder / "resnet50.weights.h5")
    assert [render(p) for p in info.value.problems] == [
        f"{SPECS / 'resnet101.yaml'}:43:5: error: blocks[6]: cannot load {folder / 'resnet50.weights.h5'}: "
        "Conv2D layer 'conv4_7_conv1' has weights of shapes [1x1x1024x256, 256], the file's 'conv2d_43' "
        "[1x1x1024x512, 512]"]


def test_build_weights_on_the_command_line(resnet50_files, tmp_path):
    folder, _, _ = resnet50_files
    out = tmp_path / "vgg.keras"
    result = subprocess.run([sys.executable, "-m", "modelspec", "build", str(SPECS / "vgg_block.yaml"), "-o", str(out),
                             "--weights", str(folder / "resnet50.keras")], capture_output=True, text=True,
                            timeout=300, cwd=ROOT)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"{SPECS / 'vgg_block.yaml'}:9:5: error: blocks[0]: cannot load {folder / 'resnet50.keras'}: Conv2D layer "
        "'block1_conv1' has weights of shapes [3x3x3x64, 64], the file's 'conv2d' [7x7x3x64, 64]")
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_a_file_with_more_layers_than_the_model(tmp_path):
    import keras

    small = modelspec.loads("name: s\ninput: {shape: [4]}\nblocks:\n  - {type: dense, units: 3}\n", "spec.yaml")
    bigger = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    bigger.save_weights(tmp_path / "big.weights.h5")
    with pytest.raises(SpecError) as info:
        modelspec.build(small, weights=tmp_path / "big.weights.h5")
    assert [render(p) for p in info.value.problems] == [
        f"spec.yaml:1:1: error: $: cannot load {tmp_path / 'big.weights.h5'}: the file has 1 layer(s) with weights "
        "that the model does not (first: 'dense_1'): not the same architecture"]


@pytest.mark.parametrize("name, message", [
    ("missing.weights.h5", "no such file"),
    ("weights.npz", "weights come from a .keras model or a .weights.h5 file"),
    ("broken.keras", "not a Keras weights file: File is not a zip file"),
])
def test_unreadable_files_are_usage_errors(tmp_path, name, message):
    if name != "missing.weights.h5":
        (tmp_path / name).write_bytes(b"not a weights file")
    with pytest.raises(modelspec.UsageError) as info:
        modelspec.build(SPECS / "vgg_block.yaml", weights=tmp_path / name)
    assert str(info.value) == f"{tmp_path / name}: error: {message}"
