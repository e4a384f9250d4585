"""The bundled experiment configs (specs/experiments/): each extends a bundled spec, and its ``expect``
figures are the ones an independent source gives: Keras Applications, a hand-written Keras model of
the same layers, or torchvision's model card.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import modelspec

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted((ROOT / "specs" / "experiments").glob("*.yaml"))


def test_there_are_at_least_four_experiments_each_extending_a_bundled_file():
    assert len(EXPERIMENTS) >= 4
    for path in EXPERIMENTS:
        text = path.read_text(encoding="utf-8")
        assert "\nextends: ../" in text, path.name
        assert "\nexpect:" in text, path.name


@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_each_experiment_meets_its_expect(path):
    spec = modelspec.load(path)  # load holds a spec to its expect
    assert spec.expect is not None and spec.expect.params is not None


def test_squeezenet_has_torchvisions_documented_parameter_count():
    # torchvision.models.SqueezeNet1_1_Weights.IMAGENET1K_V1.meta["num_params"] == 1235496, and its
    # "GFLOPS" entry (multiply-adds) is 0.35
    spec, graph = modelspec.check(str(ROOT / "specs/experiments/squeezenet1_1.yaml"))
    summary = graph.summary(spec.name)
    assert summary["params"]["total"] == 1_235_496
    assert round(summary["macs"] / 1e9, 2) == 0.35


# ----------------------------------------------------------------------- Keras references

def _keras_resnet50_cifar10():
    """Keras Applications' ResNet50 on 32x32x3 with 10 classes, its 7x7 stem replaced by a 3x3 one."""
    import keras

    reference = keras.applications.ResNet50(weights=None, input_shape=(32, 32, 3), classes=10)
    stem_7x7 = reference.get_layer("conv1_conv").count_params()
    stem_3x3 = keras.layers.Conv2D(64, 3)
    stem_3x3.build((None, 34, 34, 3))
    total = reference.count_params() - stem_7x7 + stem_3x3.count_params()
    trainable = sum(int(w.numpy().size) for w in reference.trainable_weights) - stem_7x7 + stem_3x3.count_params()
    return total, trainable


def _keras_vgg16_half():
    import keras
    from keras import layers

    x = inputs = keras.Input((224, 224, 3))
    for filters, convs in ((32, 2), (64, 2), (128, 3), (256, 3), (256, 3)):
        for _ in range(convs):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(2, 2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(2048, activation="relu")(x)
    x = layers.Dense(2048, activation="relu")(x)
    outputs = layers.Dense(1000, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    return model.count_params(), model.count_params()


# GoogLeNet's table 1 (Szegedy et al. 2015) without the "#5x5 reduce" and "#5x5" columns:
# (#1x1, #3x3 reduce, #3x3, pool proj) per module, in order, and a max pool after 3b and 4e
_INCEPTION_NO5X5 = [("3a", 64, 96, 128, 32), ("3b", 128, 128, 192, 64), ("4a", 192, 96, 208, 64),
                    ("4b", 160, 112, 224, 64), ("4c", 128, 128, 256, 64), ("4d", 112, 144, 288, 64),
                    ("4e", 256, 160, 320, 128), ("5a", 256, 160, 320, 128), ("5b", 384, 192, 384, 128)]


def _keras_googlenet_no5x5():
    import keras
    from keras import layers

    def conv(x, filters, size, strides=1):
        return layers.Conv2D(filters, size, strides=strides, padding="same", activation="relu")(x)

    x = inputs = keras.Input((224, 224, 3))
    x = conv(x, 64, 7, 2)
    x = layers.MaxPooling2D(3, 2, padding="same")(x)
    x = conv(conv(x, 64, 1), 192, 3)
    x = layers.MaxPooling2D(3, 2, padding="same")(x)
    taps = {}
    for name, c1, r3, c3, proj in _INCEPTION_NO5X5:
        pool = conv(layers.MaxPooling2D(3, 1, padding="same")(x), proj, 1)
        x = layers.Concatenate()([conv(x, c1, 1), conv(conv(x, r3, 1), c3, 3), pool])
        taps[name] = x
        if name in ("3b", "4e"):
            x = layers.MaxPooling2D(3, 2, padding="same")(x)
    x = layers.Flatten()(layers.Dropout(0.4)(layers.AveragePooling2D(7, 1)(x)))
    outputs = [layers.Dense(1000, activation="softmax")(x)]
    for tap in ("4a", "4d"):
        y = layers.Flatten()(conv(layers.AveragePooling2D(5, 3)(taps[tap]), 128, 1))
        y = layers.Dropout(0.7)(layers.Dense(1024, activation="relu")(y))
        outputs.append(layers.Dense(1000, activation="softmax")(y))
    model = keras.Model(inputs, outputs)
    return model.count_params(), model.count_params()


KERAS_REFERENCES = {
    "resnet50_cifar10": _keras_resnet50_cifar10,
    "vgg16_half": _keras_vgg16_half,
    "googlenet_no5x5": _keras_googlenet_no5x5,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KERAS_REFERENCES))
def test_expected_figures_are_the_keras_references(name):
    total, trainable = KERAS_REFERENCES[name]()
    spec = modelspec.load(ROOT / "specs" / "experiments" / f"{name}.yaml")
    assert spec.expect.params == total
    if spec.expect.trainable_params is not None:
        assert spec.expect.trainable_params == trainable


@pytest.mark.slow
@pytest.mark.parametrize("path", EXPERIMENTS, ids=lambda p: p.stem)
def test_each_experiment_builds_to_its_figures(path):
    spec = modelspec.load(path)
    model = modelspec.build(spec)
    assert model.count_params() == spec.expect.params
    shapes = [list(t.shape[1:]) for t in model.outputs]
    if spec.expect.output_shape is not None:
        assert shapes[0] == spec.expect.output_shape
    if spec.expect.output_shapes is not None:
        assert shapes == spec.expect.output_shapes
