"""modelspec's initializer and activation tables held to Keras 3 itself.

``modelspec/initializers.py`` mirrors Keras' initializers as data (INITIALIZERS: the names a
spec may give; CLASSES: ``{class: NAME, arg: value}`` mappings, one pydantic model per Keras
class) so that a misspelt class or argument is a located error before TensorFlow is imported.
These tests check that mirror against the installed Keras: every name and class exists there,
every argument is a parameter of that class's ``__init__`` with the same default, and what is
left out is listed below with the reason, so that a Keras upgrade that adds an initializer, an
argument or an activation makes a test fail rather than go unnoticed.

Every expected figure here comes from Keras: ``inspect.signature`` of the Keras classes, the
public ``keras.initializers`` / ``keras.activations`` namespaces, a built layer's
``get_config()``, and ``keras.src.applications.efficientnet.CONV_KERNEL_INITIALIZER``. Tests that
import Keras are marked slow (importing TensorFlow takes seconds).
"""

from __future__ import annotations

import inspect

import pytest

import modelspec
from modelspec.fields import ACTIVATIONS
from modelspec.initializers import CLASSES, INITIALIZERS, InitializerClass, to_keras

# Keras initializer classes (by __name__) that modelspec leaves out on purpose.
LEFT_OUT_CLASSES = {
    "Initializer": "the abstract base class",
    "Identity": "an identity matrix: Keras makes it for 2D shapes only, and a Conv2D kernel has 4 axes",
    "STFT": "a fixed Fourier kernel for STFTSpectrogram's 1D convolutions of audio; nothing to initialise here",
}
# Names keras.initializers.get accepts that modelspec does not list: the snake-case names of the
# classes above, and the aliases Keras keeps (keras.src.initializers.ALL_OBJECTS_DICT) for one
# class each: a spec gives one name per initializer.
LEFT_OUT_NAMES = {"identity", "stft"}
KERAS_ALIASES = {"normal": "RandomNormal", "uniform": "RandomUniform", "one": "Ones", "zero": "Zeros"}
# Arguments of Keras' __init__ that modelspec's classes leave out (VarianceScaling and its
# Glorot/He/Lecun subclasses): the kernel axes that count as fan-in and fan-out. Keras' defaults
# (None: all but the last axis / the last axis) are right for every Conv2D, DepthwiseConv2D and
# Dense kernel a spec can make.
LEFT_OUT_ARGUMENTS = {"input_axes", "output_axes"}
# Words of a Literal argument that Keras reads as another word, so get_config() gives that word back:
# keras.src.initializers.random_initializers maps VarianceScaling's distribution "normal" to
# "truncated_normal". modelspec takes the alias as Keras does and passes it on.
KERAS_VALUE_ALIASES = {("VarianceScaling", "distribution"): {"normal": "truncated_normal"}}

# Keras 3 activations (public functions of keras.activations) that ACTIVATIONS leaves out: glu
# halves the channels (a spec's activation keeps the shape), threshold needs arguments.
LEFT_OUT_ACTIVATIONS = {"glu", "threshold"}
KERAS_ACTIVATION_HELPERS = {"get", "serialize", "deserialize"}  # functions of keras.activations, not activations
# The activations issue 10 requires by name.
ISSUE_ACTIVATIONS = ["relu6", "silu", "swish", "gelu", "hard_silu", "hard_sigmoid", "elu", "selu", "softplus", "mish",
                     "leaky_relu", "log_softmax"]


def arguments(cls: type[InitializerClass]) -> dict[str, object]:
    """A modelspec class's arguments as a spec writes them (by alias), with their defaults; not 'class'."""
    return {field.alias or name: field.default for name, field in cls.model_fields.items() if name != "class_"}


def keras_parameters(keras_class) -> dict[str, object]:
    """The named parameters of a Keras class's ``__init__`` with their defaults (no self, *args, **kwargs)."""
    signature = inspect.signature(keras_class.__init__)
    return {name: p.default for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


# --------------------------------------------------------------------------- without Keras


def test_every_class_is_tagged_by_its_own_name():
    for name, cls in CLASSES.items():
        tag = cls.model_fields["class_"]
        assert cls.__name__ == name and tag.alias == "class", name
        assert cls.model_validate({"class": name}) == cls(**{"class": name}), name
    assert set(CLASSES).isdisjoint(LEFT_OUT_CLASSES)


def _float_arguments():
    """(class, argument) for every float argument of every class."""
    return [(name, field.alias or field_name) for name, cls in sorted(CLASSES.items())
            for field_name, field in cls.model_fields.items() if field.annotation is float]


def test_there_are_float_arguments_to_check():
    """Keras 3's float parameters of these classes (their defaults are floats: 0.0, 0.05, -0.05, 1.0, ...);
    the slow tests below hold the classes' arguments to Keras' signatures."""
    assert sorted(_float_arguments()) == [
        ("Constant", "value"), ("Orthogonal", "gain"), ("RandomNormal", "mean"), ("RandomNormal", "stddev"),
        ("RandomUniform", "maxval"), ("RandomUniform", "minval"), ("TruncatedNormal", "mean"),
        ("TruncatedNormal", "stddev"), ("VarianceScaling", "scale")]


@pytest.mark.parametrize("name, argument", _float_arguments())
def test_float_arguments_are_strict_numbers(name, argument):
    """A quoted number or a boolean is refused where a number belongs (as every float of a spec); an int is
    a fine float (Keras' own defaults are floats, and `scale: 2` means 2.0)."""
    from pydantic import ValidationError

    cls = CLASSES[name]
    for wrong in ("2", True):
        with pytest.raises(ValidationError):
            cls.model_validate({"class": name, argument: wrong})
    assert getattr(cls.model_validate({"class": name, argument: 2}), argument) == 2.0


def test_the_issue_s_activations_are_listed():
    assert [a for a in ISSUE_ACTIVATIONS if a not in ACTIVATIONS] == []
    assert LEFT_OUT_ACTIVATIONS.isdisjoint(ACTIVATIONS)


# --------------------------------------------------------------------------- against Keras


@pytest.fixture(scope="module")
def keras():
    import keras

    return keras


def _keras_initializer_classes(keras) -> dict[str, type]:
    """Public initializer classes of keras.initializers, by class name (aliases collapse onto one class)."""
    found = {}
    for value in vars(keras.initializers).values():
        if inspect.isclass(value) and issubclass(value, keras.initializers.Initializer):
            found[value.__name__] = value
    return found


@pytest.mark.slow
def test_classes_are_keras_classes_and_the_left_out_ones_are_listed(keras):
    keras_classes = _keras_initializer_classes(keras)
    assert sorted(set(keras_classes) - set(CLASSES)) == sorted(LEFT_OUT_CLASSES)
    assert set(CLASSES) <= set(keras_classes)
    for name in CLASSES:
        assert getattr(keras.initializers, name) is keras_classes[name], name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_class_arguments_are_keras_parameters_with_keras_defaults(keras, name):
    """Each argument (by the alias a spec writes) is a parameter of the Keras class's __init__, with the
    same default; the Keras parameters modelspec does not offer are exactly LEFT_OUT_ARGUMENTS."""
    ours, theirs = arguments(CLASSES[name]), keras_parameters(getattr(keras.initializers, name))
    assert ours == {k: v for k, v in theirs.items() if k in ours}, name
    assert set(theirs) - set(ours) <= LEFT_OUT_ARGUMENTS, f"{name}: Keras has {sorted(set(theirs) - set(ours))}"
    assert set(ours) <= set(theirs), f"{name}: not Keras parameters: {sorted(set(ours) - set(theirs))}"


@pytest.mark.slow
def test_left_out_arguments_are_still_keras_parameters(keras):
    """The list is not stale: Keras still has each left-out argument on some mirrored class."""
    found = set().union(*(keras_parameters(getattr(keras.initializers, n)) for n in CLASSES))
    assert LEFT_OUT_ARGUMENTS <= found


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CLASSES))
def test_defaults_and_every_listed_word_build_the_keras_class(keras, name):
    """The defaults (a mapping with only 'class') and each word of a Literal argument (mode, distribution)
    make the Keras class, whose get_config() says the same (or, for a Keras alias, the word it stands for)."""
    cls = CLASSES[name]
    built = to_keras(cls.model_validate({"class": name}))
    assert type(built) is getattr(keras.initializers, name)
    config = built.get_config()
    assert arguments(cls) == {k: config[k] for k in arguments(cls)}
    for field_name, field in cls.model_fields.items():
        words = getattr(field.annotation, "__args__", ())
        if field_name == "class_" or not words or not all(isinstance(w, str) for w in words):
            continue
        aliases = KERAS_VALUE_ALIASES.get((name, field_name), {})
        assert set(aliases) <= set(words), f"{name}.{field_name}: not listed: {sorted(set(aliases) - set(words))}"
        for word in words:
            config = to_keras(cls.model_validate({"class": name, field_name: word})).get_config()
            assert config[field_name] == aliases.get(word, word), (name, field_name, word)


@pytest.mark.slow
def test_keras_value_aliases_are_still_keras_s(keras):
    """The alias list is not stale: Keras itself still reads each alias as its meaning, and the meaning is
    a word modelspec lists too; an unknown word Keras refuses (ValueError), and so does modelspec."""
    from pydantic import ValidationError

    for (name, argument), aliases in KERAS_VALUE_ALIASES.items():
        words = CLASSES[name].model_fields[argument].annotation.__args__
        for alias, meaning in aliases.items():
            assert getattr(keras.initializers, name)(**{argument: alias}).get_config()[argument] == meaning
            assert meaning in words and alias != meaning
        with pytest.raises(ValueError):
            getattr(keras.initializers, name)(**{argument: "gaussian"})
        with pytest.raises(ValidationError):
            CLASSES[name].model_validate({"class": name, argument: "gaussian"})


@pytest.mark.slow
def test_a_scale_keras_refuses_modelspec_refuses(keras):
    """VarianceScaling: Keras raises for scale <= 0 ("Argument `scale` must be positive float"); so does the
    spec's schema (gt=0), and both take a tiny positive scale."""
    from pydantic import ValidationError

    for scale in (0.0, -1.0):
        with pytest.raises(ValueError):
            keras.initializers.VarianceScaling(scale=scale)
        with pytest.raises(ValidationError):
            CLASSES["VarianceScaling"].model_validate({"class": "VarianceScaling", "scale": scale})
    ok = CLASSES["VarianceScaling"].model_validate({"class": "VarianceScaling", "scale": 1e-9})
    assert to_keras(ok).get_config()["scale"] == 1e-9


@pytest.mark.slow
def test_names_are_the_keras_names_less_the_left_out_ones(keras):
    """INITIALIZERS is every snake-case initializer name of keras.initializers but LEFT_OUT_NAMES."""
    keras_names = {name for name, value in vars(keras.initializers).items()
                   if name.islower() and inspect.isclass(value) and issubclass(value, keras.initializers.Initializer)}
    assert sorted(keras_names - set(INITIALIZERS)) == sorted(LEFT_OUT_NAMES)
    assert set(INITIALIZERS) <= keras_names
    for alias, class_name in KERAS_ALIASES.items():
        assert type(keras.initializers.get(alias)).__name__ == class_name and alias not in INITIALIZERS


@pytest.mark.slow
@pytest.mark.parametrize("name", INITIALIZERS)
def test_every_name_builds_with_keras_initializers_get(keras, name):
    """keras.initializers.get(name) makes the class of that snake-case name; 'constant' is the exception
    modelspec works around (to_keras): Keras 3 cannot make Constant from its name (Constant.from_config
    needs a 'value': KeyError), so modelspec gives Constant() with Keras' default value."""
    keras_class = getattr(keras.initializers, name)
    if name == "constant":
        with pytest.raises(KeyError):  # when Keras fixes this, to_keras's special case can go
            keras.initializers.get(name)
        built = keras.initializers.get(to_keras(name))
        assert type(built) is keras_class
        assert built.get_config() == keras_parameters(keras_class)  # {'value': 0.0}
    else:
        assert to_keras(name) == name  # passed on as the name
        built = keras.initializers.get(name)
        assert type(built) is keras_class
    assert tuple(built((3, 3, 2, 4)).shape) == (3, 3, 2, 4)


@pytest.mark.slow
def test_activations_are_the_keras_activations_less_the_left_out_ones(keras):
    keras_functions = {name for name, value in vars(keras.activations).items()
                       if not name.startswith("_") and inspect.isfunction(value)} - KERAS_ACTIVATION_HELPERS
    assert sorted(keras_functions - set(ACTIVATIONS)) == sorted(LEFT_OUT_ACTIVATIONS)
    for name in ACTIVATIONS:
        assert keras.activations.get(name) is getattr(keras.activations, name), name


# --------------------------------------------------------------------------- in a built model

SEEDED = """name: init
input:
  shape: [8, 8, 4]
blocks:
  - {type: conv, filters: 4, kernel_size: 3, padding: same, name: c,
     kernel_initializer: {class: VarianceScaling, scale: 2.0, mode: fan_out, distribution: truncated_normal, SEED}}
  - {type: separable_conv, filters: 4, kernel_size: 3, padding: same, name: s,
     kernel_initializer: {class: Orthogonal, gain: 0.5, SEED}}
  - {type: mbconv, filters: 4, expansion: 2, name: mb}
  - {type: global_avg_pool}
  - {type: dense, units: 3, name: d, kernel_initializer: {class: RandomUniform, minval: -0.5, maxval: 0.5, SEED}}
"""


def _build(seed: str):
    return modelspec.build(modelspec.loads(SEEDED.replace("SEED", seed), "init.yaml"))


@pytest.fixture(scope="module")
def seeded_models(keras):
    """Two builds with seed 7, one unseeded (the negative control)."""
    return _build("seed: 7"), _build("seed: 7"), _build("seed: null")


def _initializer(layer, key: str) -> tuple[str, dict]:
    serialized = layer.get_config()[key]
    return serialized["class_name"], serialized["config"]


@pytest.mark.slow
def test_initializer_mappings_reach_the_keras_layers(seeded_models):
    """Each {class: ...} mapping is the Keras initializer of every kernel of its layer (spec-v2 section 4:
    separable_conv's depthwise and pointwise kernels both), with exactly the given arguments and Keras'
    defaults for the rest."""
    model = seeded_models[0]
    assert _initializer(model.get_layer("c"), "kernel_initializer") == ("VarianceScaling", {
        "scale": 2.0, "mode": "fan_out", "distribution": "truncated_normal", "seed": 7,
        "input_axes": None, "output_axes": None})
    for key in ("depthwise_initializer", "pointwise_initializer"):
        assert _initializer(model.get_layer("s"), key) == ("Orthogonal", {"gain": 0.5, "seed": 7})
    assert _initializer(model.get_layer("d"), "kernel_initializer") == ("RandomUniform", {
        "minval": -0.5, "maxval": 0.5, "seed": 7})


@pytest.mark.slow
def test_mbconv_kernels_default_to_efficientnet_s_initializer(seeded_models):
    """mbconv's default kernel_initializer is Keras EfficientNet's CONV_KERNEL_INITIALIZER, on each of its
    convolutions (expand, depthwise, SE reduce and expand, project), as efficientnet.block passes it."""
    from keras.src.applications.efficientnet import CONV_KERNEL_INITIALIZER

    model = seeded_models[0]
    convs = [layer for layer in model.layers if layer.name.startswith("mb")
             and type(layer).__name__ in ("Conv2D", "DepthwiseConv2D")]
    assert len(convs) == 5, [layer.name for layer in convs]
    for layer in convs:
        key = "depthwise_initializer" if type(layer).__name__ == "DepthwiseConv2D" else "kernel_initializer"
        class_name, config = _initializer(layer, key)
        assert class_name == CONV_KERNEL_INITIALIZER["class_name"], layer.name
        assert {k: config[k] for k in CONV_KERNEL_INITIALIZER["config"]} == CONV_KERNEL_INITIALIZER["config"]


@pytest.mark.slow
def test_a_seed_makes_two_builds_give_equal_weights(seeded_models):
    import numpy as np

    first, second, unseeded = seeded_models
    for name in ("c", "s", "d"):
        for a, b, c in zip(first.get_layer(name).weights, second.get_layer(name).weights,
                           unseeded.get_layer(name).weights):
            if "bias" in a.path:
                continue  # zeros, seeded or not
            assert np.array_equal(np.asarray(a), np.asarray(b)), a.path
            assert not np.array_equal(np.asarray(a), np.asarray(c)), a.path  # negative control: unseeded differs
