"""The build: the static pass's layer graph turned into a Keras functional model, then checked.

TensorFlow/Keras is imported here, inside :func:`graph_to_model`, and nowhere on
the validate / summary / schema path. ``modelspec.build`` is the public entry.
"""

from __future__ import annotations

import sys

from .errors import InternalError
from .graph import INPUT, Graph


def graph_to_model(graph: Graph, name: str):
    """Create one Keras layer per node of the static pass's ``graph``, wire them, and check the result.

    Raises :class:`InternalError` if the built model disagrees with the static pass.
    """
    import keras

    # Keras maps a functional graph recursively, a frame or two per layer of depth (more when
    # saving), and TensorFlow sets the recursion limit to 3,000 on import: make room for the
    # deepest graph the layer budget admits.
    needed = 4 * len(graph.nodes) + 1000
    if sys.getrecursionlimit() < needed:
        sys.setrecursionlimit(needed)
    inputs = keras.Input(shape=graph.input_shape, name=input_name(graph))
    tensors = {INPUT: inputs}
    for index, node in enumerate(graph.nodes):
        layer = node.layer.to_keras(node.name)
        args = [tensors[i] for i in node.inputs]
        tensors[index] = layer(args if node.layer.many_inputs else args[0])
    model = keras.Model(inputs, tensors[graph.output.node], name=name)
    check_model(model, graph)
    return model


def input_name(graph: Graph) -> str:
    """The InputLayer's name: ``input``, unless a block took it (``input_1``, ``input_2``, ... then).

    Keras refuses a model in which two layers share a name, and ``input`` is a
    valid block name, so the name of the one layer the spec does not name must
    give way.
    """
    taken = {node.name for node in graph.nodes}
    name, n = "input", 0
    while name in taken:
        n += 1
        name = f"input_{n}"
    return name


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
    if problems:
        raise InternalError("the built model disagrees with the static pass (a modelspec bug): "
                            + "; ".join(problems[:5]))


def _size(weight) -> int:
    size = 1
    for d in weight.shape:
        size *= int(d)
    return size
