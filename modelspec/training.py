"""The ``training:`` section: optimizer, learning-rate schedule, loss, metrics, precision, epochs.

    training:
      optimizer: {class: sgd, momentum: 0.9, nesterov: true}
      schedule: {class: cosine_decay, initial_learning_rate: 0.1, decay_steps: 10000, warmup_steps: 500,
                 warmup_target: 0.4}
      loss: {class: sparse_categorical_crossentropy, from_logits: false}
      metrics: [accuracy]
      precision: mixed_bfloat16
      epochs: 30
      batch_size: 128

Optimizers, schedules, losses and metrics are written by their Keras name (``adam``), or as a
mapping ``{class: NAME, ARGUMENT: value, ...}``. The tables below list, for each name, the Keras
class it makes and the arguments it takes, so that an unknown name or argument is a located error
with a did-you-mean before TensorFlow is imported. ``tests/test_training.py`` holds the tables to
the installed Keras' signatures. A spec still names no code: a name picks from a fixed table and
every argument is a number, a boolean or one of a few fixed words.

Nothing here imports TensorFlow; :mod:`modelspec.trainer` turns a :class:`Training` into Keras
objects. This module is imported only for a spec that has a ``training`` section.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import core_schema

from .errors import Problem, SpecError, SpecPath
from .fields import PositiveInt, Schema
from .source import Source

# ---------------------------------------------------------------- the tables (checked against Keras)

# Arguments every Keras 3 optimizer takes (keras.optimizers.Optimizer's).
COMMON_OPTIMIZER_ARGUMENTS = (
    "learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
    "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
)

# spec name -> (Keras class, the arguments it takes besides the common ones)
OPTIMIZERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sgd": ("SGD", ("momentum", "nesterov")),
    "adam": ("Adam", ("beta_1", "beta_2", "epsilon", "amsgrad")),
    "adamw": ("AdamW", ("beta_1", "beta_2", "epsilon", "amsgrad")),
    "rmsprop": ("RMSprop", ("rho", "momentum", "epsilon", "centered")),
    "nadam": ("Nadam", ("beta_1", "beta_2", "epsilon")),
    "adamax": ("Adamax", ("beta_1", "beta_2", "epsilon")),
    "adagrad": ("Adagrad", ("initial_accumulator_value", "epsilon")),
    "adadelta": ("Adadelta", ("rho", "epsilon")),
    "lion": ("Lion", ("beta_1", "beta_2")),
    "lamb": ("Lamb", ("beta_1", "beta_2", "epsilon")),
    "ftrl": ("Ftrl", ("learning_rate_power", "initial_accumulator_value", "l1_regularization_strength",
                      "l2_regularization_strength", "l2_shrinkage_regularization_strength", "beta")),
    "adafactor": ("Adafactor", ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")),
}

SCHEDULES: dict[str, tuple[str, tuple[str, ...]]] = {  # keras.optimizers.schedules
    "cosine_decay": ("CosineDecay", ("initial_learning_rate", "decay_steps", "alpha", "warmup_target", "warmup_steps")),
    "exponential_decay": ("ExponentialDecay", ("initial_learning_rate", "decay_steps", "decay_rate", "staircase")),
    "piecewise_constant": ("PiecewiseConstantDecay", ("boundaries", "values")),
}
# the arguments Keras requires (no default in its signature)
SCHEDULE_REQUIRED = {
    "cosine_decay": ("initial_learning_rate", "decay_steps"),
    "exponential_decay": ("initial_learning_rate", "decay_steps", "decay_rate"),
    "piecewise_constant": ("boundaries", "values"),
}

LOSSES: dict[str, tuple[str, tuple[str, ...]]] = {  # keras.losses
    "sparse_categorical_crossentropy": ("SparseCategoricalCrossentropy", ("from_logits", "ignore_class", "axis")),
    "categorical_crossentropy": ("CategoricalCrossentropy", ("from_logits", "label_smoothing", "axis")),
    "binary_crossentropy": ("BinaryCrossentropy", ("from_logits", "label_smoothing", "axis")),
    "categorical_focal_crossentropy": ("CategoricalFocalCrossentropy",
                                       ("alpha", "gamma", "from_logits", "label_smoothing", "axis")),
    "binary_focal_crossentropy": ("BinaryFocalCrossentropy",
                                  ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing", "axis")),
    "mean_squared_error": ("MeanSquaredError", ()),
    "mean_absolute_error": ("MeanAbsoluteError", ()),
    "mean_absolute_percentage_error": ("MeanAbsolutePercentageError", ()),
    "mean_squared_logarithmic_error": ("MeanSquaredLogarithmicError", ()),
    "huber": ("Huber", ("delta",)),
    "log_cosh": ("LogCosh", ()),
    "kl_divergence": ("KLDivergence", ()),
    "poisson": ("Poisson", ()),
    "hinge": ("Hinge", ()),
    "squared_hinge": ("SquaredHinge", ()),
    "categorical_hinge": ("CategoricalHinge", ()),
    "cosine_similarity": ("CosineSimilarity", ("axis",)),
}

METRICS: dict[str, tuple[str, tuple[str, ...]]] = {  # keras.metrics
    "accuracy": ("Accuracy", ()),
    "binary_accuracy": ("BinaryAccuracy", ("threshold",)),
    "categorical_accuracy": ("CategoricalAccuracy", ()),
    "sparse_categorical_accuracy": ("SparseCategoricalAccuracy", ()),
    "top_k_categorical_accuracy": ("TopKCategoricalAccuracy", ("k",)),
    "sparse_top_k_categorical_accuracy": ("SparseTopKCategoricalAccuracy", ("k", "from_sorted_ids")),
    "auc": ("AUC", ("num_thresholds", "curve", "summation_method", "thresholds", "multi_label", "num_labels",
                    "label_weights", "from_logits")),
    "precision": ("Precision", ("thresholds", "top_k", "class_id")),
    "recall": ("Recall", ("thresholds", "top_k", "class_id")),
    "f1_score": ("F1Score", ("average", "threshold")),
    "mean_squared_error": ("MeanSquaredError", ()),
    "mean_absolute_error": ("MeanAbsoluteError", ()),
    "root_mean_squared_error": ("RootMeanSquaredError", ()),
    "binary_crossentropy": ("BinaryCrossentropy", ("from_logits", "label_smoothing")),
    "categorical_crossentropy": ("CategoricalCrossentropy", ("from_logits", "label_smoothing", "axis")),
    "sparse_categorical_crossentropy": ("SparseCategoricalCrossentropy", ("from_logits", "ignore_class", "axis")),
}

# Keras arguments a spec does not set: the object's name (modelspec names metrics after the spec
# name), its dtype (set by `precision`), a loss's reduction, an optimizer's **kwargs.
LEFT_OUT = {
    "optimizer": ("name", "kwargs"),
    "schedule": ("name",),
    "loss": ("name", "dtype", "reduction"),
    "metric": ("name", "dtype"),
}

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored", "multi-worker")  # see modelspec.distribute

# ---------------------------------------------------------------- argument value kinds

_F = dict(strict=True, allow_inf_nan=False)  # an int is a fine float; a string or a boolean is not


def _float(**bounds):
    return Annotated[float, Schema(lambda h: core_schema.float_schema(**_F, **bounds))]


def _int(**bounds):
    return Annotated[int, Schema(lambda h: core_schema.int_schema(strict=True, **bounds))]


_Bool = Annotated[bool, Schema(lambda h: core_schema.bool_schema(strict=True))]
_Positive, _NonNegative, _Fraction = _float(gt=0), _float(ge=0), _float(ge=0, le=1)
_Number = _float()


def _words(*words: str):
    return Literal[words]  # type: ignore[valid-type]


# argument -> (type, description); the same argument means the same thing in every class that takes it
ARGUMENTS: dict[str, tuple[Any, str]] = {
    "learning_rate": (_Positive, "The step size (a number > 0); not with a schedule, which sets it."),
    "weight_decay": (Optional[_NonNegative], "Decoupled weight decay (>= 0); null: none."),
    "clipnorm": (Optional[_Positive], "Clip each gradient to this norm; null: no clipping."),
    "clipvalue": (Optional[_Positive], "Clip each gradient value to [-v, v]; null: no clipping."),
    "global_clipnorm": (Optional[_Positive], "Clip all gradients together to this global norm."),
    "use_ema": (_Bool, "Keep an exponential moving average of the weights."),
    "ema_momentum": (_Fraction, "Momentum of the moving average (0 to 1)."),
    "ema_overwrite_frequency": (Optional[_int(gt=0)], "Steps between overwriting the weights by their average."),
    "loss_scale_factor": (Optional[_Positive], "A fixed factor the loss is multiplied by (gradients divided)."),
    "gradient_accumulation_steps": (Optional[_int(gt=1)], "Apply the gradients every N steps (N >= 2)."),
    "momentum": (_Fraction, "Momentum (0 to 1)."),
    "nesterov": (_Bool, "Nesterov momentum."),
    "beta_1": (_Fraction, "Decay rate of the first-moment estimates (0 to 1)."),
    "beta_2": (_Fraction, "Decay rate of the second-moment estimates (0 to 1)."),
    "epsilon": (_Positive, "A small constant for numerical stability (> 0)."),
    "amsgrad": (_Bool, "Use the AMSGrad variant."),
    "rho": (_Fraction, "Discounting factor of the gradient history (0 to 1)."),
    "centered": (_Bool, "Normalise gradients by their estimated variance."),
    "initial_accumulator_value": (_NonNegative, "Starting value of the accumulators (>= 0)."),
    "learning_rate_power": (_float(le=0), "How the learning rate falls during training (<= 0)."),
    "l1_regularization_strength": (_NonNegative, "L1 regularisation strength (>= 0)."),
    "l2_regularization_strength": (_NonNegative, "L2 regularisation strength (>= 0)."),
    "l2_shrinkage_regularization_strength": (_NonNegative, "L2 shrinkage strength (>= 0)."),
    "beta": (_Number, "FTRL's beta."),
    "beta_2_decay": (_Number, "Decay rate of the second moment."),
    "epsilon_1": (_Positive, "A small constant added to the squared gradient (> 0)."),
    "epsilon_2": (_Positive, "A small constant in the parameter scaling (> 0)."),
    "clip_threshold": (_Positive, "Threshold of the update clipping (> 0)."),
    "relative_step": (_Bool, "Scale the learning rate by the step count."),
    # schedules
    "initial_learning_rate": (_Positive, "The learning rate at step 0 (> 0)."),
    "decay_steps": (_int(gt=0), "Optimizer steps (batches) the decay runs over (an integer > 0)."),
    "alpha": (_Fraction, "Cosine decay: the lowest rate as a fraction of the highest; focal losses: the "
              "weighting factor (0 to 1)."),
    "warmup_target": (Optional[_Positive], "The rate the warm-up climbs to, linearly, from the initial rate."),
    "warmup_steps": (_int(ge=0), "Steps of linear warm-up before the decay (an integer >= 0)."),
    "decay_rate": (_Positive, "The factor the rate is multiplied by every decay_steps (> 0)."),
    "staircase": (_Bool, "Decay in whole steps of decay_steps rather than smoothly."),
    "boundaries": (list[_int(ge=0)], "Step counts where the rate changes, increasing."),
    "values": (list[_Positive], "The rate before the first boundary, then after each one: one more than "
               "the boundaries."),
    # losses and metrics
    "from_logits": (_Bool, "The model outputs logits (no softmax / sigmoid at the end)."),
    "label_smoothing": (_Fraction, "Label smoothing (0 to 1)."),
    "axis": (_int(), "The class axis."),
    "ignore_class": (Optional[_int()], "A label value to leave out of the loss; null: none."),
    "apply_class_balancing": (_Bool, "Weight the classes by alpha."),
    "gamma": (_NonNegative, "The focusing parameter (>= 0)."),
    "delta": (_Positive, "Where the Huber loss turns from quadratic to linear (> 0)."),
    "threshold": (Optional[_Fraction], "The probability above which a prediction counts as positive."),
    "k": (_int(gt=0), "How many top predictions count (an integer > 0)."),
    "from_sorted_ids": (_Bool, "The predictions are already sorted class ids."),
    "num_thresholds": (_int(gt=1), "Thresholds used to approximate the curve (an integer > 1)."),
    "curve": (_words("ROC", "PR"), "ROC or PR."),
    "summation_method": (_words("interpolation", "minoring", "majoring"), "How the curve is summed."),
    "thresholds": (Optional[list[_Fraction]], "A list of thresholds (each 0 to 1)."),
    "multi_label": (_Bool, "Treat each output as a separate label."),
    "num_labels": (Optional[_int(gt=0)], "The number of labels, with multi_label."),
    "label_weights": (Optional[list[_NonNegative]], "A weight for each label."),
    "top_k": (Optional[_int(gt=0)], "Count only the k highest predictions."),
    "class_id": (Optional[_int(ge=0)], "Count only this class."),
    "average": (Optional[_words("micro", "macro", "weighted")], "How per-class scores are combined."),
}

# ---------------------------------------------------------------- the models

_CONFIG = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class KerasObject(BaseModel):
    """Base of the ``{class: NAME, ...}`` models: a table name and the Keras arguments written."""

    model_config = _CONFIG

    def keras_arguments(self) -> dict[str, Any]:
        """The arguments the spec writes, as the Keras class' keyword arguments."""
        return {k: v for k, v in self.model_dump(exclude={"class"}).items() if k in self.model_fields_set}

    @property
    def name(self) -> str:
        return getattr(self, "class")


def _class_model(kind: str, name: str, keras_class: str, arguments: tuple[str, ...],
                 required: tuple[str, ...] = ()) -> type[KerasObject]:
    fields: dict[str, Any] = {"class": (Literal[name], Field(description=f"Keras' {keras_class}."))}
    for arg in arguments:
        type_, description = ARGUMENTS[arg]
        fields[arg] = (type_, Field(... if arg in required else None, description=description))
    model = create_model(f"{kind.capitalize()}_{name}", __base__=KerasObject, **fields)
    model.__doc__ = f"The {kind} {name!r}: keras {keras_class}."
    return model


def _models(kind: str, table: dict, extra: tuple[str, ...] = (), required: Optional[dict] = None) -> dict:
    return {name: _class_model(kind, name, cls, extra + args, (required or {}).get(name, ()))
            for name, (cls, args) in table.items()}


OPTIMIZER_MODELS = _models("optimizer", OPTIMIZERS, COMMON_OPTIMIZER_ARGUMENTS)
SCHEDULE_MODELS = _models("schedule", SCHEDULES, required=SCHEDULE_REQUIRED)
LOSS_MODELS = _models("loss", LOSSES)
METRIC_MODELS = _models("metric", METRICS)

# section key -> (the word for it in messages, its models); `metrics` is a list of them
PIECES = {"optimizer": ("optimizer", OPTIMIZER_MODELS), "schedule": ("schedule", SCHEDULE_MODELS),
          "loss": ("loss", LOSS_MODELS), "metrics": ("metric", METRIC_MODELS)}


def _piece_schema(key: str) -> dict:
    """The JSON Schema of one piece: a name, or a mapping dispatched on ``class`` (see schema.py)."""
    return {"anyOf": [{"enum": sorted(PIECES[key][1])}, {"$ref": f"#/$defs/Training_{key}"}]}


class Training(BaseModel):
    """How the model is trained: ``modelspec.build`` compiles it with these, ``modelspec fit`` trains it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True, title="Training")

    optimizer: Any = Field(description="The optimizer: a Keras name (adam, sgd, ...) or {class: NAME, "
                           "ARGUMENT: value, ...}.")
    schedule: Any = Field(None, description="A learning-rate schedule {class: cosine_decay | exponential_decay"
                          " | piecewise_constant, ...}, counted in optimizer steps; it replaces the optimizer's"
                          " learning_rate.")
    loss: Any = Field(description="The loss: a Keras name (sparse_categorical_crossentropy, ...) or "
                      "{class: NAME, from_logits: ..., label_smoothing: ...}.")
    metrics: list[Any] = Field(default_factory=list, description="Metrics reported every epoch: Keras names or "
                               "{class: NAME, ...} mappings.")
    precision: Literal[PRECISIONS] = Field(  # type: ignore[valid-type]
        "float32", description="float32, or mixed_float16 / mixed_bfloat16: computations in 16 bits, weights "
        "and the output layers in float32.")
    jit_compile: Optional[bool] = Field(None, strict=True, description="Compile the training step with XLA; "
                                        "null: Keras' choice ('auto').")
    strategy: Optional[Literal[STRATEGIES]] = Field(  # type: ignore[valid-type]
        None, description="The tf.distribute strategy: default, mirrored (the local devices) or multi-worker "
        "(the cluster in TF_CONFIG); null: TensorFlow's default.")
    epochs: PositiveInt = Field(1, description="Passes over the training data.")
    batch_size: PositiveInt = Field(32, description="Samples per training step (across all replicas).")


def parse_training(data: Any, source: Optional[Source], at: SpecPath = ("training",)) -> Training:
    """Validate a ``training`` section into a :class:`Training`, or raise a :class:`SpecError` located in
    ``source`` whose problems name paths under ``at``."""
    from .messages import describe, spec_error

    if not isinstance(data, dict):
        raise _located(SpecError(f"must be a mapping (optimizer, loss, metrics, ...), not {describe(data)}", at),
                       source)
    problems: list[Problem] = []
    values = dict(data)
    for key, (word, models) in PIECES.items():
        if key not in data or (key == "schedule" and data[key] is None):
            continue
        if key == "metrics":
            if not isinstance(data[key], list):
                continue  # Training's own validation says it must be a list
            values[key] = [_piece(item, word, models, at + (key, i), problems) for i, item in enumerate(data[key])]
        else:
            values[key] = _piece(data[key], word, models, at + (key,), problems)
    schedule = data.get("schedule")
    optimizer = data.get("optimizer")
    if schedule is not None and isinstance(optimizer, dict) and "learning_rate" in optimizer:
        problems.append(Problem("the schedule (training.schedule) sets the learning rate: remove this, or the "
                                "schedule", at + ("optimizer", "learning_rate"), at_key=True))
    try:
        training = Training.model_validate(values)
    except ValidationError as e:
        problems += spec_error(e.errors(include_url=False), data, at, source, models={at: Training}).problems
        training = None
    if problems:
        raise _located(SpecError(problems), source)
    return training


def _piece(value: Any, word: str, models: dict, path: SpecPath, problems: list[Problem]) -> Any:
    """One optimizer / schedule / loss / metric (a name or a mapping) validated against its class' model;
    returns the model instance, or the value as it was if it has problems (added to ``problems``)."""
    from .messages import closest, describe, spec_error

    names = sorted(models)
    an = "an" if word[0] in "aeiou" else "a"
    mapping = isinstance(value, dict)
    name = value.get("class") if mapping else value
    name_path = path + ("class",) if mapping else path
    if mapping and "class" not in value:
        problems.append(Problem(f"{an} {word} mapping needs 'class': one of {', '.join(names)}", path))
        return value
    if not isinstance(name, str):
        problems.append(Problem(f"must be {an} {word} name ({', '.join(names)}) or a mapping {{class: NAME, ...}}, "
                                f"not {describe(name)}", name_path))
        return value
    if name not in models:
        match = closest(name, names)
        hint = f"; did you mean {match!r}?" if match else ""
        problems.append(Problem(f"unknown {word} {name!r}{hint} (one of: {', '.join(names)})", name_path))
        return value
    model = models[name]
    try:
        piece = model.model_validate(value if mapping else {"class": name})
    except ValidationError as e:
        errors = e.errors(include_url=False)
        found = spec_error(errors, value if mapping else {"class": name}, path, None, models={path: model}).problems
        problems += [_with_arguments(p, name, models) for p in found]
        return value
    check = _CHECKS.get((word, name))
    found = check(piece, path) if check is not None else []
    problems += found
    return value if found else piece


def _check_piecewise(schedule: KerasObject, path: SpecPath) -> list[Problem]:
    """Keras' PiecewiseConstantDecay: increasing boundaries, and one more value than boundaries."""
    boundaries, values = schedule.boundaries, schedule.values
    for i in range(1, len(boundaries)):
        if boundaries[i] <= boundaries[i - 1]:
            return [Problem(f"boundaries must increase: {boundaries[i]} follows {boundaries[i - 1]}",
                            path + ("boundaries", i))]
    if len(values) != len(boundaries) + 1:
        return [Problem(f"needs one more value than boundaries: {len(boundaries) + 1} values for "
                        f"{len(boundaries)} boundaries, not {len(values)}", path + ("values",))]
    return []


_CHECKS = {("schedule", "piecewise_constant"): _check_piecewise}


def _with_arguments(problem: Problem, name: str, models: dict) -> Problem:
    """An unknown argument's problem, saying which classes do take it (when some other one does), and
    the arguments this class takes (when no did-you-mean helped)."""
    if not problem.at_key or not problem.message.startswith("unknown field"):
        return problem
    argument = problem.path[-1]
    takes = [k for k in models[name].model_fields if k != "class"]
    listed = f"{name} takes {', '.join(takes)}" if takes else f"{name} takes no arguments"
    others = [other for other, model in sorted(models.items()) if argument in model.model_fields]
    if others:
        message = f"{name} has no argument {argument!r} ({', '.join(others)} do{'es' if len(others) == 1 else ''}); {listed}"
    elif "did you mean" in problem.message:
        return problem
    else:
        message = f"{problem.message} ({listed})"
    return Problem(message, problem.path, at_key=True)


def _located(error: SpecError, source: Optional[Source]) -> SpecError:
    return error.located(source) if source is not None else error


def json_schema_defs() -> dict[str, dict]:
    """``$defs`` for the JSON Schema: Training, each class' model, and one dispatcher per piece."""
    defs: dict[str, dict] = {}
    training = Training.model_json_schema(ref_template="#/$defs/{model}")
    defs.update(training.pop("$defs", {}))
    for key in PIECES:  # the loose fields (Any) get each piece's schema
        prop = training["properties"][key]
        piece = _piece_schema(key)
        if key == "metrics":
            prop["items"] = piece
        elif key == "schedule":
            prop.pop("anyOf", None)
            prop["anyOf"] = piece["anyOf"] + [{"type": "null"}]
        else:
            prop.update(piece)
    defs["Training"] = training
    for key, (word, models) in PIECES.items():
        for name, model in models.items():
            defs[model.__name__] = model.model_json_schema(ref_template="#/$defs/{model}")
        defs[f"Training_{key}"] = {
            "type": "object",
            "description": f"{'An' if word[0] in 'aeiou' else 'A'} {word} and its Keras arguments; 'class' "
                           "decides which arguments it takes.",
            "required": ["class"],
            "properties": {"class": {"enum": sorted(models), "description": f"Which {word} this is."}},
            "allOf": [{"if": {"properties": {"class": {"const": name}}, "required": ["class"]},
                       "then": {"$ref": f"#/$defs/{model.__name__}"}} for name, model in sorted(models.items())],
        }
    return defs
