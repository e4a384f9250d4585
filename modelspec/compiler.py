"""The build: the static pass's layer graph turned into a Keras functional model, then checked.

TensorFlow/Keras is imported here, inside :func:`graph_to_model`, and nowhere on
the validate / summary / schema path. ``modelspec.build`` is the public entry.
"""

from __future__ import annotations

import contextlib
import sys
from typing import Iterator, Optional

from .errors import InternalError
from .graph import Graph, input_node


def graph_to_model(graph: Graph, name: str, *, output_dtype: Optional[str] = None):
    """Create one Keras layer per node of the static pass's ``graph``, wire them, and check the result.

    A model with one input and one output takes and gives a tensor (as v1
    did); with several, lists in the spec's order. Raises
    :class:`InternalError` if the built model disagrees with the static pass.
    ``output_dtype`` (a Keras dtype policy) is given to the layers that make the model's outputs:
    under mixed precision they stay ``float32``.
    """
    from .backend import require_tensorflow

    require_tensorflow()
    import keras

    with recursion_room(len(graph.nodes)):
        return _graph_to_model(graph, name, output_dtype)


@contextlib.contextmanager
def recursion_room(layers: int) -> Iterator[None]:
    """Room on the stack for Keras to walk (build, save, load) a functional graph of ``layers`` layers.

    Keras maps a functional graph recursively, a frame or two per layer of depth (more when saving),
    and TensorFlow sets the recursion limit to 3,000 on import. The limit is raised while inside and
    put back on the way out, so a library call leaves the process's limit as it found it; the
    command line also saves and loads the model inside it.
    """
    needed = 4 * layers + 1000
    before = sys.getrecursionlimit()
    if before < needed:
        sys.setrecursionlimit(needed)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def _graph_to_model(graph: Graph, name: str, output_dtype: Optional[str]):
    import keras

    tensors = {}
    for k, (input_name, shape) in enumerate(graph.inputs.items()):
        tensors[input_node(k)] = keras.Input(shape=shape, name=graph.input_layer_name(input_name))
    output_nodes = {t.node for _, t in graph.outputs} if output_dtype else set()
    for index, node in enumerate(graph.nodes):
        layer = _keras_layer(node, output_dtype if index in output_nodes else None)
        args = [tensors[i] for i in node.inputs]
        tensors[index] = layer(args if node.layer.many_inputs else args[0])
    inputs = [tensors[input_node(k)] for k in range(len(graph.inputs))]
    outputs = [tensors[t.node] for _, t in graph.outputs]
    model = keras.Model(inputs[0] if len(inputs) == 1 else inputs,
                        outputs[0] if len(outputs) == 1 else outputs, name=name)
    check_model(model, graph)
    return model


def _keras_layer(node, dtype_policy: Optional[str]):
    """The node's Keras layer, made under ``dtype_policy`` if one is given (the global policy otherwise)."""
    if dtype_policy is None:
        return node.layer.to_keras(node.name)
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(dtype_policy)
    try:
        return node.layer.to_keras(node.name)
    finally:
        keras.config.set_dtype_policy(previous)


def check_model(model, graph: Graph) -> None:
    """Raise :class:`InternalError` unless ``model`` has exactly the layers the static pass predicts."""
    expected = [graph.nodes[i] for i in graph.keras_order()]
    built = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    problems = []
    if [n.name for n in expected] != [layer.name for layer in built]:
        problems.append(f"layers {[layer.name for layer in built]} != static pass {[n.name for n in expected]}")
    for node, layer in zip(expected, built):
        shape = tuple(layer.output.shape[1:])
        trainable = sum(int(_size(w)) for w in layer.trainable_weights)
        non_trainable = sum(int(_size(w)) for w in layer.non_trainable_weights)
        if type(layer).__name__ != node.layer.keras_class:
            problems.append(f"{node.name}: class {type(layer).__name__} != {node.layer.keras_class}")
        if shape != tuple(node.output_shape):
            problems.append(f"{node.name}: output shape {shape} != static pass {node.output_shape}")
        if (trainable, non_trainable) != (node.trainable, node.non_trainable):
            problems.append(f"{node.name}: params {trainable}+{non_trainable} != static pass "
                            f"{node.trainable}+{node.non_trainable}")
    total = sum(n.params for n in graph.nodes)
    if model.count_params() != total:
        problems.append(f"count_params() {model.count_params()} != static pass {total}")
    shapes = [tuple(t.shape[1:]) for t in model.outputs]
    if shapes != [tuple(t.shape) for _, t in graph.outputs]:
        problems.append(f"model outputs {shapes} != static pass {[t.shape for _, t in graph.outputs]}")
    if problems:
        raise InternalError("the built model disagrees with the static pass (a modelspec bug): "
                            + "; ".join(problems[:5]))


def _size(weight) -> int:
    size = 1
    for d in weight.shape:
        size *= int(d)
    return size
