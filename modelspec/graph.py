"""The layer graph a spec expands into: the static pass's record of the model.

Blocks add primitive layers to a :class:`Graph` in the style of Keras' functional
API (``x = g.add(Conv2D(...), [x], "block1_conv1")``). Each ``add`` infers the new
layer's output shape, parameters and MACs on the spot, enforces the size
budgets, and turns any shape problem into a :class:`SpecError` pointing at the
block (and field) that caused it. The build later walks the very same nodes to
create Keras layers, so the two can never drift apart.

The graph holds no notion of "the previous layer": every layer names the
tensors it takes, every top-level block's output is recorded in
:attr:`Graph.blocks`, and the model outputs are set explicitly.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator, NamedTuple, Optional, Sequence, Union

from .errors import Problem, SpecError, SpecPath
from .fields import INT32_MAX
from .layers import Layer, Shape, ShapeProblem, count_elements, format_shape

BYTES_PER_VALUE = 4  # float32 activations


@dataclass(frozen=True)
class Budget:
    """Limits checked while the graph grows, before anything is allocated."""

    max_params: int = 1_000_000_000
    max_layers: int = 10_000
    max_activation_bytes: int = 8 * 1024**3  # one sample, float32, summed over layers


class Tensor(NamedTuple):
    """A symbolic output: which node made it (model input k is node ``-(k + 1)``) and its shape."""

    node: int
    shape: Shape


def input_node(k: int) -> int:
    """The node index of model input ``k`` (0-based)."""
    return -(k + 1)


class Node(NamedTuple):
    """One layer the build will create."""

    name: str
    layer: Layer
    inputs: tuple[int, ...]  # node indices, in the order the layer takes them
    output_shape: Shape
    trainable: int
    non_trainable: int
    macs: Optional[int]
    block: str  # the top-level block (or copy) it belongs to
    path: SpecPath  # the spec path of the innermost block that made it

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable


class BlockRecord(NamedTuple):
    """A top-level block (or one copy of a repeated one): its nodes and its output."""

    name: str
    type: str
    first: int  # its nodes are ``nodes[first:end]``
    end: int
    output: Tensor


class _Where(NamedTuple):
    block: str
    path: SpecPath
    repeated: Optional[SpecPath]  # the innermost block with a repeat in play (None: none)
    copy: tuple[int, int] = (1, 1)  # which copy of it this is, of how many


class Graph:
    """A growing layer graph with named inputs, checked as it grows."""

    def __init__(self, inputs: dict[str, Shape], budget: Budget = Budget()):
        self.inputs: dict[str, Shape] = {name: tuple(shape) for name, shape in inputs.items()}
        self.budget = budget
        self.nodes: list[Node] = []
        self.layer_names: set[str] = set()
        self.reserved: set[str] = set()  # names no layer may take (named inputs: their InputLayers have them)
        self.blocks: list[BlockRecord] = []
        # module uses (not repeated) by spec path: their layers' prefix, less any enclosing copy's
        self.module_prefixes: dict[SpecPath, str] = {}
        self.outputs: list[tuple[str, Tensor]] = []  # (the block that gives it, its tensor)
        self.total_params = 0
        self.activation_bytes = 0
        # shape problems met so far; a layer that had one gets a loosened output shape (its sizes but
        # the last free) and is "degraded", as is every layer after it, whose own problems are not
        # reported: they may be the first one's consequences
        self.problems: list[Problem] = []
        self.degraded: set[int] = set()
        self.lost: set[int] = set()  # degraded layers whose shape is not known at all (taken as the identity)
        self._refused: set[tuple[int, ...]] = set()  # inputs a layer could not take, whatever its settings
        self._where = _Where("", (), None)

    def input_tensors(self) -> dict[str, Tensor]:
        return {name: Tensor(input_node(k), shape) for k, (name, shape) in enumerate(self.inputs.items())}

    def input_name(self, node: int) -> str:
        return list(self.inputs)[-node - 1]

    @contextlib.contextmanager
    def within(self, path: SpecPath, *, block: Optional[str] = None,
               copy: Optional[tuple[int, int]] = None) -> Iterator[None]:
        """Attribute the layers added inside to the block at spec ``path``.

        ``block`` (the top-level block or copy the layers belong to) is inherited
        when not given; ``copy`` (k, n) says that this is copy k of n of the block
        at ``path``, repeated. Then a layer budget overrun inside it blames that
        block's ``repeat`` (the innermost such block's), and so does a shape
        problem in a copy after the first: the first copies fitted, so it is the
        number of copies that does not.
        """
        outer = self._where
        if copy is None:
            self._where = _Where(outer.block if block is None else block, path, outer.repeated, outer.copy)
        else:
            self._where = _Where(outer.block if block is None else block, path, path, copy)
        try:
            yield
        finally:
            self._where = outer

    def fail(self, message: str, at: Optional[str] = None) -> None:
        """Raise a :class:`SpecError` at the current block, or at its field ``at``."""
        raise SpecError(message, self._where.path + ((at,) if at else ()))

    def add(self, layer: Layer, inputs: Sequence[Tensor], name: str, *, at: Union[None, str, dict] = None,
            sized_by: Optional[str] = None, grows_by: Optional[str] = None) -> Tensor:
        """Add ``layer`` named ``name`` on ``inputs``; return its output.

        Fields of the current block to blame (from ``Block.field``): ``at`` for a
        shape problem (a window that does not fit: ``kernel_size``; or a mapping
        from the problem's ``cause`` to a field, the block itself for a cause it
        does not name), ``sized_by``
        for the parameter budget (``filters``), ``grows_by`` for the activation
        budget (default: ``sized_by``; an upsampling's ``size``).
        """
        if name in self.reserved:
            self.fail(f"layer name {name!r} is already used by model input {name!r}; rename the block or the input",
                      "name")
        if name in self.layer_names:
            self.fail(f"layer name {name!r} is already used by another block; give the blocks distinct names",
                      "name")
        shapes = [t.shape for t in inputs]
        lost = any(t.node in self.lost for t in inputs)
        degraded = lost or any(t.node in self.degraded for t in inputs)
        refused = False
        try:
            shape = _representable(layer.output_shape(shapes))
        except ShapeProblem as e:
            refused = True
            if e.cause == "output":  # a size grown past int32: blame what grows it
                field = grows_by or sized_by or (at if isinstance(at, str) else None)
            else:
                field = at.get(e.cause) if isinstance(at, dict) else at
            sources = tuple(t.node for t in inputs)
            # an independent mistake: report it, and go on where the shapes allow; an input that one layer
            # cannot take at all (its rank) is reported once, not again by each branch that reads it
            if not degraded and not (e.cause is None and sources in self._refused):
                self.problems.append(self._shape_problem(name, e, field))
            if e.cause is None:
                self._refused.add(sources)
            shapes = [_loosened(s) for s in shapes]
            try:
                shape = layer.output_shape(shapes)
            except ShapeProblem:  # not even the channels fit: taken as the identity, so that the walk goes
                shape, lost = shapes[0], True  # on; what follows it is not checked against it
            degraded = True
        trainable, non_trainable = layer.param_counts(shapes)
        node = Node(name, layer, tuple(t.node for t in inputs), shape, trainable, non_trainable,
                    layer.macs(shapes, shape), self._where.block, self._where.path)
        self._check_budget(node, sized_by, grows_by or sized_by, count_params=not refused)
        self.nodes.append(node)
        self.layer_names.add(name)
        if lost:  # a shape unknown: nothing downstream can be checked
            self.lost.add(len(self.nodes) - 1)
        if lost or (degraded and None in shape):  # sizes lost to a problem (a global pool recovers them)
            self.degraded.add(len(self.nodes) - 1)
        return Tensor(len(self.nodes) - 1, shape)

    def _shape_problem(self, name: str, e: ShapeProblem, field: Optional[str]) -> Problem:
        """The problem ``e`` of layer ``name``, at the field of the current block that it blames; in a later
        copy of a repeated block, at that block's ``repeat`` (the copies before it fitted)."""
        where = self._where
        k, n = where.copy
        if where.repeated is not None and k > 1:
            return Problem(f"{name}: {e} (in copy {k:,} of {n:,}; the copies before it fit)",
                           where.repeated + ("repeat",))
        return Problem(f"{name}: {e}", where.path + ((field,) if field else ()))

    def _check_budget(self, node: Node, sized_by: Optional[str], grows_by: Optional[str], *,
                      count_params: bool = True) -> None:
        """Fail when the graph, with ``node``, is over a budget. A node whose shape problem was just
        reported does not count its weights (``count_params`` False): they come from the same mistake."""
        b = self.budget
        if len(self.nodes) + 1 > b.max_layers:
            message = over_budget("layers", len(self.nodes) + 1, b.max_layers, f"with layer {node.name}")
            if self._where.repeated is not None:  # the repeat that makes the copies, not the block copied
                raise SpecError(message, self._where.repeated + ("repeat",))
            self.fail(message)
        self.total_params += node.params if count_params else 0
        if self.total_params > b.max_params:
            self.fail(over_budget("params", self.total_params, b.max_params, f"with layer {node.name}"), sized_by)
        values = count_elements(node.output_shape)
        self.activation_bytes += (values or 0) * BYTES_PER_VALUE
        if self.activation_bytes > b.max_activation_bytes:
            self.fail(over_budget("activations", self.activation_bytes, b.max_activation_bytes,
                                  f"with layer {node.name}"), grows_by)

    def count_inputs(self, paths: dict[str, SpecPath]) -> None:
        """Count the model inputs against the activation budget (they are activations too), each at its
        spec path; call once, before any layer is added."""
        for name, shape in self.inputs.items():
            self.activation_bytes += (count_elements(shape) or 0) * BYTES_PER_VALUE
            if self.activation_bytes > self.budget.max_activation_bytes:
                raise SpecError(over_budget("activations", self.activation_bytes, self.budget.max_activation_bytes,
                                            f"with input {name!r}"), paths[name] + ("shape",))

    # ------------------------------------------------------------------ reading

    def unused(self) -> list[int]:
        """Nodes (and model inputs, as negative indices) that no layer takes and that are not outputs."""
        used = {i for node in self.nodes for i in node.inputs}
        used.update(t.node for _, t in self.outputs)
        ends = [input_node(k) for k in range(len(self.inputs))] + list(range(len(self.nodes)))
        return [n for n in ends if n not in used]

    def keras_order(self) -> list[int]:
        """Node indices in the order of the built model's ``model.layers`` (InputLayers left out).

        Keras (``keras/src/ops/function.py: map_graph``) sorts layers by depth —
        the longest path to any output, deepest first — and breaks ties by a
        depth-first pre-order walk from the outputs, in order, that visits each
        layer's inputs in order.
        """
        index: dict[int, int] = {}
        for _, output in self.outputs:
            stack = [output.node]
            while stack:  # iterative pre-order DFS, inputs visited in order
                n = stack.pop()
                if n in index or n < 0:
                    continue
                index[n] = len(index)
                stack.extend(reversed(self.nodes[n].inputs))
        depth = {n: 0 for n in index}
        for n in sorted(index, reverse=True):  # creation order is topological
            for parent in self.nodes[n].inputs:
                if parent >= 0:
                    depth[parent] = max(depth[parent], depth[n] + 1)
        return sorted(index, key=lambda n: (-depth[n], index[n]))

    def input_layer_name(self, name: str) -> str:
        """The name of model input ``name``'s InputLayer: the input's, unless a layer took it (then
        ``input_1``, ``input_2``, ...).

        Only v1's implicit input, named ``input``, can clash: ``input`` is a valid
        block name, and Keras refuses a model in which two layers share a name,
        so the name of the one layer the spec does not name gives way. The
        static pass refuses layer names that clash with named (v2) inputs.
        """
        taken = {node.name for node in self.nodes}
        candidate, n = name, 0
        while candidate in taken:
            n += 1
            candidate = f"{name}_{n}"
        return candidate

    def source_name(self, node: int) -> str:
        """The layer (or InputLayer) name of a node index, as the built model names it."""
        return self.input_layer_name(self.input_name(node)) if node < 0 else self.nodes[node].name

    def summary(self, name: str) -> dict:
        """The ``summary --json`` document of the contract (v2)."""
        layers = [
            {"name": n.name, "block": n.block, "class": n.layer.keras_class,
             "inputs": [self.source_name(i) for i in n.inputs],
             "output_shape": list(n.output_shape), "params": n.params, "macs": n.macs}
            for n in (self.nodes[i] for i in self.keras_order())
        ]
        blocks = []
        for record in self.blocks:
            members = self.nodes[record.first:record.end]
            macs = [n.macs for n in members]
            blocks.append({
                "name": record.name, "type": record.type, "output_shape": list(record.output.shape),
                "params": sum(n.params for n in members), "macs": None if None in macs else sum(macs),
            })
        all_macs = [n.macs for n in self.nodes]
        outputs = [{"name": block, "shape": list(t.shape)} for block, t in self.outputs]
        return {
            "name": name,
            "input_shape": list(next(iter(self.inputs.values()))),
            "inputs": {k: list(v) for k, v in self.inputs.items()},
            "output_shape": outputs[0]["shape"],
            "outputs": outputs,
            "params": {
                "total": sum(n.params for n in self.nodes),
                "trainable": sum(n.trainable for n in self.nodes),
                "non_trainable": sum(n.non_trainable for n in self.nodes),
            },
            "macs": None if None in all_macs else sum(all_macs),
            "blocks": blocks,
            "layers": layers,
        }


def _representable(shape: Shape) -> Shape:
    """``shape`` itself, when TensorFlow can hold each of its sizes (32-bit, as the fields are)."""
    if any(d is not None and d > INT32_MAX for d in shape):
        raise ShapeProblem(f"its output {format_shape(shape)} has a size past {INT32_MAX:,}, "
                           "the largest TensorFlow takes", "output")
    return shape


def _loosened(shape: Shape) -> Shape:
    """``shape`` with every size but the last (the channels, or the features) free."""
    return tuple(None for _ in shape[:-1]) + tuple(shape[-1:])


_BUDGETS = {  # what is counted, the unit, and the option that raises the limit
    "layers": ("too many layers", "", "--max-layers"),
    "params": ("too many parameters", "", "--max-params"),
    "activations": ("too much activation memory for one sample", " bytes", "--max-activation-bytes"),
}


def over_budget(budget: str, value: int, limit: int, where: str) -> str:
    """The one sentence every exceeded budget is reported with."""
    what, unit, option = _BUDGETS[budget]
    return f"{what}: {value:,}{unit} {where}, over the limit of {limit:,}{unit} (raise it with {option})"


def unused_problems(graph: Graph, handles: dict[int, tuple[str, SpecPath]],
                    input_paths: dict[str, SpecPath]) -> list[Problem]:
    """One problem per dangling output: a block's (or a model input's) value that nothing takes."""
    problems = []
    for n in graph.unused():
        if n < 0:
            name = graph.input_name(n)
            problems.append(Problem(f"model input {name!r} is never used: name it in a block's 'input:' or "
                                    "'inputs:'", input_paths[name]))
            continue
        handle, path = handles.get(n, (graph.nodes[n].name, graph.nodes[n].path))
        problems.append(Problem(f"the output of {handle!r} is never used: no later block takes it "
                                "(the next block names another 'input:') and it is not in 'outputs'", path))
    return problems
