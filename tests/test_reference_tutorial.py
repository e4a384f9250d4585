"""The five bundled tutorial specs give exactly the reference tutorial's figures.

Source of every figure: the model.summary() tables printed in the reference
tutorial (shared/reference/000_2fabb7e199e9b03c.txt, "How to implement VGG,
Inception and ResNet modules in Keras"): per-layer class, output shape and
params in ``model.layers`` order, and the totals.
"""

import pytest

import modelspec
from conftest import SPECS

# (spec, [(class, output shape, params) per layer, InputLayer excluded], total params)
TUTORIAL = {
    "vgg_block": ([
        ("Conv2D", (256, 256, 64), 1792),
        ("Conv2D", (256, 256, 64), 36928),
        ("MaxPooling2D", (128, 128, 64), 0),
    ], 38720),
    "multiple_vgg_blocks": ([
        ("Conv2D", (256, 256, 64), 1792),
        ("Conv2D", (256, 256, 64), 36928),
        ("MaxPooling2D", (128, 128, 64), 0),
        ("Conv2D", (128, 128, 128), 73856),
        ("Conv2D", (128, 128, 128), 147584),
        ("MaxPooling2D", (64, 64, 128), 0),
        ("Conv2D", (64, 64, 256), 295168),
        ("Conv2D", (64, 64, 256), 590080),
        ("Conv2D", (64, 64, 256), 590080),
        ("Conv2D", (64, 64, 256), 590080),
        ("MaxPooling2D", (32, 32, 256), 0),
    ], 2325568),
    "naive_inception": ([
        ("Conv2D", (256, 256, 64), 256),
        ("Conv2D", (256, 256, 128), 3584),
        ("Conv2D", (256, 256, 32), 2432),
        ("MaxPooling2D", (256, 256, 3), 0),
        ("Concatenate", (256, 256, 227), 0),
    ], 6272),
    "inception_modules": ([
        ("Conv2D", (256, 256, 96), 384),
        ("Conv2D", (256, 256, 16), 64),
        ("MaxPooling2D", (256, 256, 3), 0),
        ("Conv2D", (256, 256, 64), 256),
        ("Conv2D", (256, 256, 128), 110720),
        ("Conv2D", (256, 256, 32), 12832),
        ("Conv2D", (256, 256, 32), 128),
        ("Concatenate", (256, 256, 256), 0),
        ("Conv2D", (256, 256, 128), 32896),
        ("Conv2D", (256, 256, 32), 8224),
        ("MaxPooling2D", (256, 256, 256), 0),
        ("Conv2D", (256, 256, 128), 32896),
        ("Conv2D", (256, 256, 192), 221376),
        ("Conv2D", (256, 256, 96), 76896),
        ("Conv2D", (256, 256, 64), 16448),
        ("Concatenate", (256, 256, 480), 0),
    ], 513120),
    "residual_module": ([
        ("Conv2D", (256, 256, 64), 1792),
        ("Conv2D", (256, 256, 64), 36928),
        ("Conv2D", (256, 256, 64), 256),
        ("Add", (256, 256, 64), 0),
        ("Activation", (256, 256, 64), 0),
    ], 38976),
}


@pytest.mark.parametrize("name", sorted(TUTORIAL))
def test_static_pass_matches_tutorial(name):
    layers, total = TUTORIAL[name]
    spec, graph = modelspec.check(str(SPECS / f"{name}.yaml"))
    summary = graph.summary(spec.name)
    got = [(row["class"], tuple(row["output_shape"]), row["params"]) for row in summary["layers"]]
    assert got == layers
    assert summary["params"] == {"total": total, "trainable": total, "non_trainable": 0}
    assert tuple(summary["output_shape"]) == layers[-1][1]
    assert summary["input_shape"] == [256, 256, 3]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TUTORIAL))
def test_built_model_matches_tutorial(name):
    import keras

    layers, total = TUTORIAL[name]
    model = modelspec.build(SPECS / f"{name}.yaml")
    built = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    got = [(type(layer).__name__, tuple(layer.output.shape[1:]), layer.count_params()) for layer in built]
    assert got == layers
    assert model.count_params() == total
    assert tuple(model.output.shape[1:]) == layers[-1][1]
    keras.backend.clear_session()


def test_vgg_layer_names_follow_keras_applications():
    # keras/src/applications/vgg16.py names its layers block1_conv1, block1_conv2, block1_pool.
    spec, graph = modelspec.check(str(SPECS / "vgg_block.yaml"))
    assert [row["name"] for row in graph.summary(spec.name)["layers"]] == [
        "block1_conv1", "block1_conv2", "block1_pool"]


def test_residual_projection_is_chosen_when_channels_differ():
    # The tutorial's residual_module(visible, 64) on 3 channels adds a 1x1 projection (256 params).
    spec, graph = modelspec.check(str(SPECS / "residual_module.yaml"))
    names = [row["name"] for row in graph.summary(spec.name)["layers"]]
    assert "block1_shortcut" in names
