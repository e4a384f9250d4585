"""The ``training:`` section: every field valid and invalid, found without TensorFlow; its tables held
to the installed Keras; and what ``modelspec.build`` compiles from it (optimizer, schedule, loss,
metrics, precision, jit_compile).
"""

import inspect
import json
import subprocess
import sys

import jsonschema
import pytest

import modelspec
from modelspec.errors import SpecError, render
from modelspec.training import (COMMON_OPTIMIZER_ARGUMENTS, LEFT_OUT, LOSSES, METRICS, OPTIMIZERS,
                                SCHEDULE_REQUIRED, SCHEDULES)

from conftest import ROOT, SPECS

HEAD = """\
name: t
input: {shape: [8, 8, 1]}
blocks:
  - {type: flatten}
  - {type: dense, units: 10, activation: softmax}
training:
"""


def spec_text(training: str) -> str:
    return HEAD + "".join(f"  {line}\n" for line in training.strip().splitlines())


def errors(training: str) -> list[str]:
    with pytest.raises(SpecError) as info:
        modelspec.loads(spec_text(training), "spec.yaml")
    return [render(p) for p in info.value.problems]


# (training section, what the parsed section holds)
VALID = [
    ("optimizer: adam\nloss: mean_squared_error", {"optimizer": "adam", "loss": "mean_squared_error",
                                                    "metrics": [], "precision": "float32", "epochs": 1,
                                                    "batch_size": 32, "jit_compile": None}),
    ("optimizer: {class: sgd, learning_rate: 0.1, momentum: 0.9, nesterov: true, weight_decay: 0.0001, "
     "clipnorm: 1.0}\nloss: sparse_categorical_crossentropy", {"optimizer": "sgd"}),
    ("optimizer: {class: adam, learning_rate: 1, beta_1: 0.8, beta_2: 0.99, epsilon: 1.0e-7, clipnorm: 2}\n"
     "loss: categorical_crossentropy", {"optimizer": "adam"}),
    ("optimizer: adamw\nschedule: {class: cosine_decay, initial_learning_rate: 0.0, decay_steps: 100}\n"
     "loss: mean_squared_error", None),  # 0.0 is not > 0: see INVALID
    ("optimizer: sgd\nschedule: {class: cosine_decay, initial_learning_rate: 0.01, decay_steps: 1000, "
     "warmup_steps: 100, warmup_target: 0.1, alpha: 0.1}\nloss: mean_squared_error", {"schedule": "cosine_decay"}),
    ("optimizer: sgd\nschedule: {class: exponential_decay, initial_learning_rate: 0.1, decay_steps: 10, "
     "decay_rate: 0.5, staircase: true}\nloss: mean_squared_error", {"schedule": "exponential_decay"}),
    ("optimizer: sgd\nschedule: {class: piecewise_constant, boundaries: [100, 200], values: [0.1, 0.01, 0.001]}\n"
     "loss: mean_squared_error", {"schedule": "piecewise_constant"}),
    ("optimizer: rmsprop\nloss: {class: categorical_crossentropy, from_logits: true, label_smoothing: 0.1}\n"
     "metrics: [accuracy, {class: top_k_categorical_accuracy, k: 5}, auc]", {"metrics": ["accuracy",
                                                                                   "top_k_categorical_accuracy", "auc"]}),
    ("optimizer: adam\nloss: mean_squared_error\nprecision: mixed_float16\njit_compile: true\nepochs: 30\n"
     "batch_size: 128", {"precision": "mixed_float16", "jit_compile": True, "epochs": 30, "batch_size": 128}),
    ("optimizer: adam\nloss: mean_squared_error\nprecision: mixed_bfloat16\njit_compile: false",
     {"precision": "mixed_bfloat16", "jit_compile": False}),
]


def _name(piece):
    return piece if isinstance(piece, str) else piece.name


@pytest.mark.parametrize("training, expected", [v for v in VALID if v[1] is not None])
def test_valid_section(training, expected):
    section = modelspec.loads(spec_text(training)).training
    for key, value in expected.items():
        got = getattr(section, key)
        if key in ("optimizer", "loss", "schedule"):
            got = _name(got)
        elif key == "metrics":
            got = [_name(m) for m in got]
        assert got == value, key


def test_written_arguments_are_kept_and_only_those():
    section = modelspec.loads(spec_text("optimizer: {class: sgd, learning_rate: 0.1, momentum: 0.9}\n"
                                        "loss: mean_squared_error")).training
    assert section.optimizer.keras_arguments() == {"learning_rate": 0.1, "momentum": 0.9}


L = "spec.yaml"
# (training section, the exact error lines)
INVALID = [
    ("optimizer: adm\nloss: mean_squared_error",
     [f"{L}:7:14: error: training.optimizer: unknown optimizer 'adm'; did you mean 'adam'? (one of: adadelta, "
      "adafactor, adagrad, adam, adamax, adamw, ftrl, lamb, lion, nadam, rmsprop, sgd)"]),
    ("optimizer: {class: sgd, momentun: 0.9}\nloss: mean_squared_error",
     [f"{L}:7:27: error: training.optimizer.momentun: unknown field 'momentun'; did you mean 'momentum'?"]),
    ("optimizer: {class: adam, momentum: 0.9}\nloss: mean_squared_error",
     [f"{L}:7:28: error: training.optimizer.momentum: adam has no argument 'momentum' (rmsprop, sgd do); adam takes learning_rate, "
      "weight_decay, clipnorm, clipvalue, global_clipnorm, use_ema, ema_momentum, ema_overwrite_frequency, "
      "loss_scale_factor, gradient_accumulation_steps, beta_1, beta_2, epsilon, amsgrad"]),
    ("optimizer: {class: sgd, nesterov: yes}\nloss: mean_squared_error",
     [f"{L}:7:37: error: training.optimizer.nesterov: must be true or false, not a string ('yes'; YAML 1.2 "
      "reads only true/false as booleans)"]),
    ("optimizer: {class: sgd, learning_rate: 0}\nloss: mean_squared_error",
     [f"{L}:7:42: error: training.optimizer.learning_rate: must be greater than 0.0"]),
    ("optimizer: {class: sgd, learning_rate: '0.1'}\nloss: mean_squared_error",
     [f"{L}:7:42: error: training.optimizer.learning_rate: must be a number, not a string ('0.1')"]),
    ("optimizer: {class: adam, beta_1: 1.5}\nloss: mean_squared_error",
     [f"{L}:7:36: error: training.optimizer.beta_1: must be at most 1.0"]),
    ("optimizer: {class: adam, epsilon: -1}\nloss: mean_squared_error",
     [f"{L}:7:37: error: training.optimizer.epsilon: must be greater than 0.0"]),
    ("optimizer: {class: sgd, clipnorm: true}\nloss: mean_squared_error",
     [f"{L}:7:37: error: training.optimizer.clipnorm: must be a number, not a boolean (true)"]),
    ("optimizer: {class: sgd, weight_decay: -0.1}\nloss: mean_squared_error",
     [f"{L}:7:41: error: training.optimizer.weight_decay: must be at least 0.0"]),
    ("optimizer: {learning_rate: 0.1}\nloss: mean_squared_error",
     [f"{L}:7:14: error: training.optimizer: an optimizer mapping needs 'class': one of adadelta, adafactor, "
      "adagrad, adam, adamax, adamw, ftrl, lamb, lion, nadam, rmsprop, sgd"]),
    ("optimizer: 3\nloss: mean_squared_error",
     [f"{L}:7:14: error: training.optimizer: must be an optimizer name (adadelta, adafactor, adagrad, adam, "
      "adamax, adamw, ftrl, lamb, lion, nadam, rmsprop, sgd) or a mapping {class: NAME, ...}, not an integer (3)"]),
    ("loss: mean_squared_error",
     [f"{L}:7:3: error: training: missing required field 'optimizer'"]),
    ("optimizer: {class: sgd, learning_rate: 0.1}\nschedule: {class: cosine_decay, initial_learning_rate: 0.1, "
     "decay_steps: 10}\nloss: mean_squared_error",
     [f"{L}:7:27: error: training.optimizer.learning_rate: the schedule (training.schedule) sets the learning "
      "rate: remove this, or the schedule"]),
    ("optimizer: sgd\nschedule: {class: cosine_decy, decay_steps: 10}\nloss: mean_squared_error",
     [f"{L}:8:21: error: training.schedule.class: unknown schedule 'cosine_decy'; did you mean 'cosine_decay'? "
      "(one of: cosine_decay, exponential_decay, piecewise_constant)"]),
    ("optimizer: sgd\nschedule: {class: cosine_decay, decay_steps: 10}\nloss: mean_squared_error",
     [f"{L}:8:13: error: training.schedule: missing required field 'initial_learning_rate'"]),
    ("optimizer: sgd\nschedule: {class: cosine_decay, initial_learning_rate: 0.1, decay_steps: 10, warmup_step: 5}"
     "\nloss: mean_squared_error",
     [f"{L}:8:80: error: training.schedule.warmup_step: unknown field 'warmup_step'; did you mean 'warmup_steps'?"]),
    ("optimizer: sgd\nschedule: {class: cosine_decay, initial_learning_rate: 0.1, decay_steps: 10.5}\n"
     "loss: mean_squared_error",
     [f"{L}:8:76: error: training.schedule.decay_steps: must be an integer, not a float (10.5)"]),
    ("optimizer: sgd\nschedule: {class: exponential_decay, initial_learning_rate: 0.1, decay_steps: 10}\n"
     "loss: mean_squared_error",
     [f"{L}:8:13: error: training.schedule: missing required field 'decay_rate'"]),
    ("optimizer: sgd\nschedule: {class: piecewise_constant, boundaries: [100, 50], values: [0.1, 0.01, 0.001]}\n"
     "loss: mean_squared_error",
     [f"{L}:8:59: error: training.schedule.boundaries[1]: boundaries must increase: 50 follows 100"]),
    ("optimizer: sgd\nschedule: {class: piecewise_constant, boundaries: [100], values: [0.1]}\n"
     "loss: mean_squared_error",
     [f"{L}:8:68: error: training.schedule.values: needs one more value than boundaries: 2 values for "
      "1 boundaries, not 1"]),
    ("optimizer: sgd\nloss: sparse_categorical_crossentropi",
     [f"{L}:8:9: error: training.loss: unknown loss 'sparse_categorical_crossentropi'; did you mean "
      "'sparse_categorical_crossentropy'? (one of: binary_crossentropy, binary_focal_crossentropy, "
      "categorical_crossentropy, categorical_focal_crossentropy, categorical_hinge, cosine_similarity, hinge, "
      "huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error, "
      "mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)"]),
    ("optimizer: sgd\nloss: {class: sparse_categorical_crossentropy, label_smoothing: 0.1}",
     [f"{L}:8:50: error: training.loss.label_smoothing: sparse_categorical_crossentropy has no argument "
      "'label_smoothing' (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy, "
      "categorical_focal_crossentropy do); sparse_categorical_crossentropy takes from_logits, ignore_class, axis"]),
    ("optimizer: sgd\nloss: {class: categorical_crossentropy, from_logits: 1}",
     [f"{L}:8:56: error: training.loss.from_logits: must be true or false, not an integer (1)"]),
    ("optimizer: sgd\nloss: {class: categorical_crossentropy, label_smoothing: 2}",
     [f"{L}:8:60: error: training.loss.label_smoothing: must be at most 1.0"]),
    ("optimizer: sgd\nloss: {class: mean_squared_error, delta: 1}",
     [f"{L}:8:37: error: training.loss.delta: mean_squared_error has no argument 'delta' (huber does); "
      "mean_squared_error takes no arguments"]),
    ("optimizer: sgd\nloss: {class: huber, delt: 1}",
     [f"{L}:8:24: error: training.loss.delt: unknown field 'delt'; did you mean 'delta'?"]),
    ("optimizer: sgd\nloss: {class: log_cosh, weight: 1}",
     [f"{L}:8:27: error: training.loss.weight: unknown field 'weight' (log_cosh takes no arguments)"]),
    ("optimizer: sgd",
     [f"{L}:7:3: error: training: missing required field 'loss'"]),
    ("optimizer: sgd\nloss: mean_squared_error\nmetrics: [acuracy]",
     [f"{L}:9:13: error: training.metrics[0]: unknown metric 'acuracy'; did you mean 'accuracy'? (one of: "
      "accuracy, auc, binary_accuracy, binary_crossentropy, categorical_accuracy, categorical_crossentropy, "
      "f1_score, mean_absolute_error, mean_squared_error, precision, recall, root_mean_squared_error, "
      "sparse_categorical_accuracy, sparse_categorical_crossentropy, sparse_top_k_categorical_accuracy, "
      "top_k_categorical_accuracy)"]),
    ("optimizer: sgd\nloss: mean_squared_error\nmetrics: [{class: top_k_categorical_accuracy, k: 0}]",
     [f"{L}:9:52: error: training.metrics[0].k: must be greater than 0"]),
    ("optimizer: sgd\nloss: mean_squared_error\nmetrics: [{class: auc, curve: roc}]",
     [f"{L}:9:33: error: training.metrics[0].curve: unknown curve 'roc'; did you mean 'ROC'? (one of: ROC, PR)"]),
    ("optimizer: sgd\nloss: mean_squared_error\nmetrics: accuracy",
     [f"{L}:9:12: error: training.metrics: must be a list, not a string ('accuracy')"]),
    ("optimizer: sgd\nloss: mean_squared_error\nprecision: mixed_float61",
     [f"{L}:9:14: error: training.precision: unknown precision 'mixed_float61'; did you mean 'mixed_float16'? "
      "(one of: float32, mixed_float16, mixed_bfloat16)"]),
    ("optimizer: sgd\nloss: mean_squared_error\njit_compile: 'yes'",
     [f"{L}:9:16: error: training.jit_compile: must be true or false, not a string ('yes'; YAML 1.2 reads "
      "only true/false as booleans)"]),
    ("optimizer: sgd\nloss: mean_squared_error\nepochs: 0",
     [f"{L}:9:11: error: training.epochs: must be greater than 0"]),
    ("optimizer: sgd\nloss: mean_squared_error\nbatch_size: 32.0",
     [f"{L}:9:15: error: training.batch_size: must be an integer, not a float (32.0); write 32"]),
    ("optimizer: sgd\nloss: mean_squared_error\nbatchsize: 32",
     [f"{L}:9:3: error: training.batchsize: unknown field 'batchsize'; did you mean 'batch_size'?"]),
    ("optimizer: adm\nloss: mean_squared_error\nepochs: -1",  # every problem of the section at once
     [f"{L}:7:14: error: training.optimizer: unknown optimizer 'adm'; did you mean 'adam'? (one of: adadelta, "
      "adafactor, adagrad, adam, adamax, adamw, ftrl, lamb, lion, nadam, rmsprop, sgd)",
      f"{L}:9:11: error: training.epochs: must be greater than 0"]),
]


@pytest.mark.parametrize("training, expected", INVALID, ids=[f"invalid{i}" for i in range(len(INVALID))])
def test_invalid_section(training, expected):
    assert errors(training) == expected


def test_section_must_be_a_mapping():
    with pytest.raises(SpecError) as info:
        modelspec.loads(HEAD + "  - adam\n", "spec.yaml")
    assert [render(p) for p in info.value.problems] == [
        f"{L}:7:3: error: training: must be a mapping (optimizer, loss, metrics, ...), not a list"]


def test_training_and_block_problems_are_reported_together():
    text = spec_text("optimizer: adm\nloss: mean_squared_error").replace("units: 10", "units: 0")
    with pytest.raises(SpecError) as info:
        modelspec.loads(text, "spec.yaml")
    lines = [render(p) for p in info.value.problems]
    assert [line.split(": error: ")[1].split(":")[0] for line in lines] == ["blocks[1].units", "training.optimizer"]


def test_cli_reports_training_errors_without_tensorflow(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(spec_text("optimizer: {class: sgd, momentun: 0.9}\nloss: mean_squared_error"))
    code = ("import sys; from modelspec.cli import main; s = main(['validate', sys.argv[1]]); "
            "print('TF' if 'tensorflow' in sys.modules else 'noTF'); sys.exit(s)")
    result = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stdout.strip() == "noTF"
    assert "training.optimizer.momentun: unknown field 'momentun'; did you mean 'momentum'?" in result.stderr


def test_a_spec_without_training_does_not_load_the_training_models():
    code = ("import sys, modelspec; modelspec.load(sys.argv[1]); "
            "print('modelspec.training' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code, str(SPECS / "vgg16.yaml")], capture_output=True,
                            text=True, timeout=120)
    assert result.stdout.strip() == "False", result.stderr


def _schema_validator():
    return jsonschema.Draft202012Validator(json.loads((ROOT / "schemas" / "modelspec.schema.json").read_text()))


@pytest.mark.parametrize("training", [v[0] for v in VALID if v[1] is not None])
def test_json_schema_accepts_valid_sections(training):
    _schema_validator().validate(modelspec.parse_text(spec_text(training), 'spec.yaml').data)


@pytest.mark.parametrize("training", [case[0] for case in INVALID if "must increase" not in case[1][0]
                                      and "one more value" not in case[1][0]
                                      and "sets the learning rate" not in case[1][0]
                                      and "write 32" not in case[1][0]])
def test_json_schema_refuses_invalid_sections(training):
    # the few rules only the code states (a schedule's boundaries, learning_rate with a schedule) aside,
    # and 32.0, which JSON Schema counts as an integer
    assert list(_schema_validator().iter_errors(modelspec.parse_text(spec_text(training), 'spec.yaml').data))


# ---------------------------------------------------------------- the tables against Keras

def _parameters(cls) -> dict[str, inspect.Parameter]:
    return dict(inspect.signature(cls).parameters)


def _table_cases():
    import_paths = {"optimizer": "optimizers", "schedule": "optimizers.schedules", "loss": "losses",
                    "metric": "metrics"}
    tables = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES, "loss": LOSSES, "metric": METRICS}
    for kind, table in tables.items():
        for name, (cls, args) in table.items():
            yield pytest.param(kind, import_paths[kind], name, cls, args, id=f"{kind}-{name}")


@pytest.mark.slow
@pytest.mark.parametrize("kind, module, name, cls, args", list(_table_cases()))
def test_table_matches_keras(kind, module, name, cls, args):
    import keras

    target = keras
    for part in module.split("."):
        target = getattr(target, part)
    keras_class = getattr(target, cls)
    parameters = _parameters(keras_class)
    written = set(args) | (set(COMMON_OPTIMIZER_ARGUMENTS) if kind == "optimizer" else set())
    assert written == set(parameters) - set(LEFT_OUT[kind])
    required = {p for p, v in parameters.items() if v.default is inspect.Parameter.empty
                and v.kind not in (v.VAR_KEYWORD, v.VAR_POSITIONAL)}
    assert required == set(SCHEDULE_REQUIRED.get(name, ())) if kind == "schedule" else not required
    # the name a spec writes is the name Keras itself knows the object by (schedules have no names in Keras)
    if kind == "optimizer":
        try:
            assert type(keras.optimizers.get(name)) is keras_class
        except ValueError:  # Lamb, which keras.optimizers.get does not know by name
            assert name == cls.lower()
    elif kind == "loss":
        assert keras_class().fn is keras.losses.get(name)
    elif kind == "metric":
        assert type(keras.metrics.get(name)) is keras_class


@pytest.mark.slow
def test_tables_cover_keras_optimizers():
    import keras

    classes = {cls for cls, _ in OPTIMIZERS.values()}
    public = {n for n in dir(keras.optimizers) if isinstance(getattr(keras.optimizers, n), type)
              and issubclass(getattr(keras.optimizers, n), keras.optimizers.Optimizer)}
    # wrappers and optimizers that take sub-optimizers or a weights map are not for a spec
    assert public - classes <= {"Optimizer", "LossScaleOptimizer", "Muon", "ScheduleFreeAdamW", "MultiOptimizer"}


# ---------------------------------------------------------------- what build compiles

def _build(training: str):
    return modelspec.build(modelspec.loads(spec_text(training)))


@pytest.mark.slow
def test_compiled_optimizer_and_schedule():
    import keras

    model = _build("optimizer: {class: sgd, momentum: 0.9, nesterov: true, weight_decay: 0.0001, clipnorm: 1.0}\n"
                   "schedule: {class: cosine_decay, initial_learning_rate: 0.01, decay_steps: 1000, "
                   "warmup_steps: 100, warmup_target: 0.1}\nloss: sparse_categorical_crossentropy")
    optimizer = model.optimizer
    assert type(optimizer) is keras.optimizers.SGD
    config = optimizer.get_config()
    assert (config["momentum"], config["nesterov"], config["weight_decay"], config["clipnorm"]) == (
        0.9, True, 0.0001, 1.0)
    schedule = optimizer._learning_rate
    assert type(schedule) is keras.optimizers.schedules.CosineDecay
    # Keras' own schedule: the initial rate at step 0, the target at the end of the warm-up, then cosine
    assert float(schedule(0)) == pytest.approx(0.01)
    assert float(schedule(100)) == pytest.approx(0.1)
    assert float(schedule(100 + 500)) == pytest.approx(0.05)  # half-way: (1 + cos(pi/2)) / 2 of the peak


@pytest.mark.slow
@pytest.mark.parametrize("schedule, steps, rates", [
    ("{class: exponential_decay, initial_learning_rate: 0.1, decay_steps: 10, decay_rate: 0.5, staircase: true}",
     (0, 9, 10, 25), (0.1, 0.1, 0.05, 0.025)),
    ("{class: piecewise_constant, boundaries: [100, 200], values: [0.1, 0.01, 0.001]}",
     (0, 100, 101, 201), (0.1, 0.1, 0.01, 0.001)),
])
def test_compiled_schedules(schedule, steps, rates):
    model = _build(f"optimizer: adam\nschedule: {schedule}\nloss: mean_squared_error")
    assert [float(model.optimizer._learning_rate(s)) for s in steps] == pytest.approx(rates)


@pytest.mark.slow
def test_compiled_adam_loss_and_metrics():
    import keras

    model = _build("optimizer: {class: adam, learning_rate: 0.002, beta_1: 0.8, beta_2: 0.99, epsilon: 1.0e-6}\n"
                   "loss: {class: categorical_crossentropy, from_logits: true, label_smoothing: 0.1}\n"
                   "metrics: [accuracy, {class: top_k_categorical_accuracy, k: 3}]\njit_compile: false")
    config = model.optimizer.get_config()
    assert type(model.optimizer) is keras.optimizers.Adam
    assert (config["learning_rate"], config["beta_1"], config["beta_2"], config["epsilon"]) == pytest.approx(
        (0.002, 0.8, 0.99, 1e-6))
    assert type(model.loss) is keras.losses.CategoricalCrossentropy
    assert (model.loss.from_logits, model.loss.label_smoothing) == (True, 0.1)
    assert model.jit_compile is False
    x = keras.random.uniform((4, 8, 8, 1))
    y = keras.ops.one_hot(keras.ops.arange(4), 10)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert set(logs) == {"loss", "accuracy", "top_k_categorical_accuracy"}
    metric = next(m for m in model.metrics[1].metrics if m.name == "top_k_categorical_accuracy")
    assert type(metric) is keras.metrics.TopKCategoricalAccuracy and metric._fn_kwargs["k"] == 3


@pytest.mark.slow
@pytest.mark.parametrize("precision, compute", [("mixed_float16", "float16"), ("mixed_bfloat16", "bfloat16")])
def test_mixed_precision(precision, compute):
    import keras

    before = keras.config.dtype_policy().name
    model = _build(f"optimizer: sgd\nloss: sparse_categorical_crossentropy\nprecision: {precision}")
    assert keras.config.dtype_policy().name == before  # the global policy is restored
    assert model.dtype_policy.name == precision
    hidden, output = model.layers[1], model.layers[-1]
    assert (hidden.compute_dtype, hidden.variable_dtype) == (compute, "float32")
    assert (output.dtype_policy.name, output.compute_dtype) == ("float32", "float32")
    assert model.output.dtype == "float32"
    assert all(w.dtype == "float32" for w in model.weights)
    if precision == "mixed_float16":  # Keras scales the loss so that float16 gradients do not underflow
        assert type(model.optimizer) is keras.optimizers.LossScaleOptimizer
    loss = model.train_on_batch(keras.random.uniform((8, 8, 8, 1)), keras.ops.arange(8) % 10)
    assert loss == loss  # a number, not NaN


@pytest.mark.slow
def test_float32_and_no_training_section():
    model = modelspec.build(modelspec.load(SPECS / "vgg_block.yaml"))
    assert not model.compiled
    model = _build("optimizer: adam\nloss: mean_squared_error\njit_compile: true")
    assert model.compiled and model.jit_compile is True and model.dtype_policy.name == "float32"


def test_extends_and_set_reach_the_section(tmp_path):
    base = tmp_path / "base.yaml"
    base.write_text(spec_text("optimizer: {class: sgd, learning_rate: 0.1}\nloss: sparse_categorical_crossentropy\n"
                              "epochs: 10"))
    child = tmp_path / "child.yaml"
    child.write_text("extends: base.yaml\ntraining:\n  optimizer: {momentum: 0.9}\n  epochs: 3\n")
    spec, _ = modelspec.check(str(child), overrides=["training.optimizer.learning_rate=0.01",
                                                     "training.precision=mixed_bfloat16"])
    training = spec.training
    assert training.optimizer.keras_arguments() == {"learning_rate": 0.01, "momentum": 0.9}
    assert (training.epochs, training.precision, _name(training.loss)) == (3, "mixed_bfloat16",
                                                                           "sparse_categorical_crossentropy")
    with pytest.raises(SpecError) as info:
        modelspec.check(str(child), overrides=["training.optimizer.momentun=0.5"])
    assert "training.optimizer.momentun: unknown field 'momentun'; did you mean 'momentum'?" in str(info.value)


@pytest.mark.parametrize("strategy", ["default", "mirrored", "multi-worker", None])
def test_strategy_field(strategy):
    text = "optimizer: sgd\nloss: mean_squared_error" + (f"\nstrategy: {strategy}" if strategy else "")
    assert modelspec.loads(spec_text(text)).training.strategy == strategy


def test_unknown_strategy():
    assert errors("optimizer: sgd\nloss: mean_squared_error\nstrategy: mirror") == [
        f"{L}:9:13: error: training.strategy: unknown strategy 'mirror'; did you mean 'mirrored'? (one of: default, "
        "mirrored, multi-worker)"]
