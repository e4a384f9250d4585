"""The layer graph a spec expands into: the static pass's record of the model.

Blocks add primitive layers to a :class:`Graph` in the style of Keras' functional
API (``x = g.add(Conv2D(...), x, "block1_conv1")``). Each ``add`` infers the new
layer's output shape, parameters and MACs on the spot, enforces the size
budgets, and turns any shape problem into a :class:`SpecError` pointing at the
block (and field) that caused it. The build later walks the very same nodes to
create Keras layers, so the two can never drift apart.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Optional, Sequence, Union

from .errors import SpecError, SpecPath
from .layers import Layer, Shape, ShapeProblem, count_elements

INPUT = -1  # node index of the model input
BYTES_PER_VALUE = 4  # float32 activations


@dataclass(frozen=True)
class Budget:
    """Limits checked while the graph grows, before anything is allocated."""

    max_params: int = 1_000_000_000
    max_layers: int = 10_000
    max_activation_bytes: int = 8 * 1024**3  # one sample, float32, summed over layers


class Tensor(NamedTuple):
    """A symbolic output: which node made it and its shape (batch axis left out)."""

    node: int
    shape: Shape


class Node(NamedTuple):
    """One layer the build will create."""

    name: str
    layer: Layer
    inputs: tuple[int, ...]
    output_shape: Shape
    trainable: int
    non_trainable: int
    macs: Optional[int]
    block: str
    block_type: str
    path: SpecPath

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


class _Block(NamedTuple):
    name: str
    type: str
    path: SpecPath
    repeats: bool = False


class Graph:
    """A growing layer graph with one input, checked as it grows."""

    def __init__(self, input_shape: Shape, budget: Budget = Budget()):
        self.input_shape = tuple(input_shape)
        self.budget = budget
        self.nodes: list[Node] = []
        self.names: dict[str, SpecPath] = {}
        self.output = Tensor(INPUT, self.input_shape)
        self.total_params = 0
        self.activation_bytes = 0
        self.blocks: list[tuple[str, str, int]] = []  # (name, type, last node index)
        self._block: Optional[_Block] = None

    @property
    def input(self) -> Tensor:
        return Tensor(INPUT, self.input_shape)

    @contextlib.contextmanager
    def block(self, name: str, type: str, path: SpecPath, *, repeats: bool = False) -> Iterator[None]:
        """Attribute the layers added inside to block ``name`` at spec ``path`` (a copy of it if ``repeats``)."""
        self._block = _Block(name, type, path, repeats)
        try:
            yield
        finally:
            self._block = None
        self.blocks.append((name, type, len(self.nodes) - 1))

    def fail(self, message: str, at: Optional[str] = None) -> None:
        path = self._block.path if self._block else ()
        raise SpecError(message, path + ((at,) if at else ()))

    def add(self, layer: Layer, inputs: Union[Tensor, Sequence[Tensor]], name: str,
            *, at: Optional[str] = None) -> Tensor:
        """Add ``layer`` named ``name`` on ``inputs``; ``at`` names the spec field to blame."""
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        if name in self.names:
            self.fail(f"layer name {name!r} is already used by another block; give the blocks distinct names",
                      "name")
        shapes = [t.shape for t in inputs]
        try:
            shape = layer.output_shape(shapes)
        except ShapeProblem as e:
            self.fail(f"{name}: {e}", at)
        trainable, non_trainable = layer.param_counts(shapes)
        node = Node(
            name, layer, tuple(t.node for t in inputs), shape, trainable, non_trainable,
            layer.macs(shapes, shape), self._block.name if self._block else "", 
            self._block.type if self._block else "", self._block.path if self._block else (),
        )
        self._check_budget(node, at)
        self.nodes.append(node)
        self.names[name] = node.path
        self.output = Tensor(len(self.nodes) - 1, shape)
        return self.output

    def _check_budget(self, node: Node, at: Optional[str]) -> None:
        b = self.budget
        if len(self.nodes) + 1 > b.max_layers:
            self.fail(f"the model would have more than {b.max_layers:,} layers "
                      "(the limit; raise it with --max-layers)",
                      "repeat" if self._block and self._block.repeats else None)
        # A total grows past its budget at some layer; blame the field that sizes that
        # layer (filters, units), not the one its shape checks name (kernel_size, pool_size).
        sized = _size_field(node.layer, at)
        self.total_params += node.params
        if self.total_params > b.max_params:
            self.fail(f"the model would have more than {b.max_params:,} parameters "
                      f"({self.total_params:,} by layer {node.name}; the limit, raise it with --max-params)", sized)
        values = count_elements(node.output_shape)
        self.activation_bytes += (values or 0) * BYTES_PER_VALUE
        if self.activation_bytes > b.max_activation_bytes:
            self.fail(f"activations for one sample would take more than {b.max_activation_bytes:,} bytes "
                      f"({self.activation_bytes:,} by layer {node.name}; the limit, raise it with "
                      "--max-activation-bytes)", sized)

    # ------------------------------------------------------------------ reading

    def keras_order(self) -> list[int]:
        """Node indices in the order of the built model's ``model.layers``.

        Keras (``keras/src/ops/function.py: map_graph``) sorts layers by depth —
        the longest path to the output, deepest first — and breaks ties by a
        depth-first pre-order walk from the output that visits inputs in order.
        """
        out = self.output.node
        if out == INPUT:
            return []
        index: dict[int, int] = {}
        stack = [out]
        while stack:  # iterative pre-order DFS, inputs visited in order
            n = stack.pop()
            if n in index or n == INPUT:
                continue
            index[n] = len(index)
            stack.extend(reversed(self.nodes[n].inputs))
        depth = {n: 0 for n in index}
        for n in sorted(index, reverse=True):  # creation order is topological
            for parent in self.nodes[n].inputs:
                if parent != INPUT:
                    depth[parent] = max(depth[parent], depth[n] + 1)
        return sorted(index, key=lambda n: (-depth[n], index[n]))

    def summary(self, name: str) -> dict:
        """The ``summary --json`` document of the contract."""
        order = self.keras_order()
        layers = [
            {"name": n.name, "block": n.block, "class": n.layer.keras_class,
             "output_shape": list(n.output_shape), "params": n.params, "macs": n.macs}
            for n in (self.nodes[i] for i in order)
        ]
        blocks = []
        start = 0
        for block_name, block_type, last in self.blocks:
            members = self.nodes[start : last + 1]
            start = last + 1
            macs = [n.macs for n in members]
            blocks.append({
                "name": block_name, "type": block_type,
                "output_shape": list(members[-1].output_shape) if members else None,
                "params": sum(n.params for n in members),
                "macs": None if None in macs else sum(macs),
            })
        all_macs = [n.macs for n in self.nodes]
        return {
            "name": name,
            "input_shape": list(self.input_shape),
            "output_shape": list(self.output.shape),
            "params": {
                "total": sum(n.params for n in self.nodes),
                "trainable": sum(n.trainable for n in self.nodes),
                "non_trainable": sum(n.non_trainable for n in self.nodes),
            },
            "macs": None if None in all_macs else sum(all_macs),
            "blocks": blocks,
            "layers": layers,
        }


_GEOMETRY_FIELDS = (None, "kernel_size", "strides", "pool_size", "padding")


def _size_field(layer: Layer, at: Optional[str]) -> Optional[str]:
    """The spec field that sets how big ``layer`` is (``filters``, ``units``, an inception branch's width)."""
    if layer.size_field is None:
        return None
    return layer.size_field if at in _GEOMETRY_FIELDS else at
