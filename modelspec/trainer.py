"""A spec's ``training`` section turned into Keras objects, and the model built and compiled with it.

:func:`build_model` is what ``modelspec.build`` runs: under the strategy's scope (so that every
variable, the optimizer's included, is created by the strategy), under the section's dtype policy
(restored afterwards), the layers are made, pretrained weights loaded if given, and the model compiled.
TensorFlow is imported here; :mod:`modelspec.training` (the section's models) does not import it.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator, Optional

from .graph import Graph
from .spec import ModelSpec
from .training import LOSSES, METRICS, OPTIMIZERS, SCHEDULES, KerasObject, Training


def _make(table: dict, module: Any, piece: KerasObject, **extra):
    """The Keras object a validated piece (``{class: NAME, ...}``, or a name) stands for."""
    return getattr(module, table[piece.name][0])(**piece.keras_arguments(), **extra)


def keras_schedule(piece: KerasObject):
    import keras

    return _make(SCHEDULES, keras.optimizers.schedules, piece)


def keras_optimizer(training: Training):
    """The optimizer, with the schedule as its learning rate when the section has one."""
    import keras

    extra = {} if training.schedule is None else {"learning_rate": keras_schedule(training.schedule)}
    return _make(OPTIMIZERS, keras.optimizers, training.optimizer, **extra)


def keras_loss(training: Training):
    import keras

    return _make(LOSSES, keras.losses, training.loss)


def keras_metrics(training: Training) -> list:
    """The metrics: ``accuracy`` by name is left to Keras, which picks the accuracy the loss calls for
    (sparse categorical for sparse labels); every other metric is its Keras class, named as in the spec."""
    import keras

    metrics = []
    for piece in training.metrics:
        if piece.name == "accuracy":
            metrics.append("accuracy")
        else:
            metrics.append(_make(METRICS, keras.metrics, piece, name=piece.name))
    return metrics


def compile_model(model, training: Training) -> None:
    """``model.compile`` with the section's optimizer, loss, metrics and ``jit_compile``."""
    options = {} if training.jit_compile is None else {"jit_compile": training.jit_compile}
    model.compile(optimizer=keras_optimizer(training), loss=keras_loss(training),
                  metrics=keras_metrics(training), **options)


@contextlib.contextmanager
def dtype_policy(name: str) -> Iterator[None]:
    """Keras' global dtype policy set to ``name`` for the block, then restored."""
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def build_model(spec: ModelSpec, graph: Graph, *, strategy: Any = None, weights: Optional[str] = None):
    """The checked Keras model of ``spec``; compiled when the spec has a ``training`` section.

    ``strategy`` is a ``tf.distribute.Strategy`` or a name (see :mod:`modelspec.distribute`);
    every variable is created under its scope. ``weights`` is a ``.keras`` or ``.weights.h5``
    file of the same architecture (see :mod:`modelspec.weights`).
    """
    from .backend import require_tensorflow
    from .compiler import graph_to_model
    from .distribute import fit_ready, get_strategy

    require_tensorflow()

    training = spec.training
    if strategy is None and training is not None:
        strategy = training.strategy
    strategy = get_strategy(strategy)
    precision = training.precision if training is not None else "float32"
    with contextlib.ExitStack() as stack:
        if strategy is not None:
            stack.enter_context(strategy.scope())
        if precision != "float32":
            stack.enter_context(dtype_policy(precision))
        model = graph_to_model(graph, spec.name, output_dtype="float32" if precision != "float32" else None)
        if weights is not None:
            from .weights import load_weights

            load_weights(model, str(weights), spec, graph)
        if training is not None:
            compile_model(model, training)
    if strategy is not None:
        fit_ready(model, strategy)
    return model
