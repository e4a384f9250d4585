"""tf.distribute strategies by name, for ``modelspec.build(spec, strategy=...)`` and ``fit --strategy``.

    default       TensorFlow's default strategy (one device, no replication)
    mirrored      MirroredStrategy: one replica per local GPU (or the one CPU), variables mirrored
    multi-worker  MultiWorkerMirroredStrategy: the cluster in the TF_CONFIG environment variable

A multi-worker strategy must be made before TensorFlow runs any operation, so ``modelspec fit``
makes it first thing.
"""

from __future__ import annotations

from typing import Any, Callable


def _default():
    import tensorflow as tf

    return tf.distribute.get_strategy()


def _mirrored():
    import tensorflow as tf

    return tf.distribute.MirroredStrategy()


def _multi_worker():
    import tensorflow as tf

    return tf.distribute.MultiWorkerMirroredStrategy()


STRATEGIES: dict[str, Callable[[], Any]] = {
    "default": _default,
    "mirrored": _mirrored,
    "multi-worker": _multi_worker,
}


def get_strategy(strategy: Any):
    """``strategy`` itself, a new strategy for a name in :data:`STRATEGIES`, or None for None."""
    if strategy is None or not isinstance(strategy, str):
        return strategy
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r} (one of: {', '.join(STRATEGIES)})")
    return STRATEGIES[strategy]()


def is_chief(strategy: Any) -> bool:
    """Whether this process is the one that writes files: always, except a multi-worker non-chief."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0
                                             and "chief" not in resolver.cluster_spec().as_dict())


def fit_ready(model, strategy) -> None:
    """Make ``model.fit`` work under a MultiWorkerMirroredStrategy of several workers (Keras 3.15).

    Keras 3's TensorFlow trainer has two faults there (keras-team/keras#20585), both in how it
    reduces values across workers, neither in the training step itself:

    * before the first step (``_maybe_symbolic_build``) it gives the first batch, a nest of
      per-replica values, to ``strategy.reduce``, which takes a single value (TensorFlow's own
      "TODO: support value being a nest"): "Attempt to convert a value (PerReplica...) to a Tensor".
      The batch is read there only for its shapes: this model reads them from the local batch.
    * after each step it averages the per-replica logs with ``strategy.reduce("MEAN", v, axis=0)``,
      which needs an axis 0 that the scalar logs lack: "Invalid reduction dimension 0 for input
      with 0 dimensions". This model's train and test steps (Keras' own) give each log as a
      one-item vector, which that reduce averages over the replicas into the scalar Keras expects.

    Both only for this model object, only with two or more workers; the step, the gradients' all-reduce,
    the optimizer and ``fit`` are Keras' and TensorFlow's, unchanged.
    """
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) or strategy.extended._num_workers < 2:
        return

    def local(value):
        if isinstance(value, tf.distribute.DistributedValues):
            return strategy.experimental_local_results(value)[0]
        return value

    def maybe_symbolic_build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = tf.nest.map_structure(local, next(batches))
                break
        with strategy.scope():
            model._symbolic_build(data_batch=data_batch)

    def as_vectors(logs):
        return {key: tf.reshape(value, [1]) if tf.is_tensor(value) and value.shape.rank == 0 else value
                for key, value in logs.items()}

    train_step, test_step = model.train_step, model.test_step
    model._maybe_symbolic_build = maybe_symbolic_build
    model.train_step = lambda data: as_vectors(train_step(data))
    model.test_step = lambda data: as_vectors(test_step(data))
