"""The static pass: a validated spec expanded into its checked layer graph, without TensorFlow.

The :class:`Expander` walks the blocks in order. It keeps a table from names
to tensors (block names, the copies of repeated blocks, named blocks inside
composites, model inputs) and gives each block its input tensors: the ones it
names (``input:``, ``inputs:``), else the previous block's output. Every
reference, every merge's shapes, the model outputs and dangling outputs are
checked here, before TensorFlow is imported.
"""

from __future__ import annotations

import contextlib
import gc
import re
from typing import Callable, Iterator, NamedTuple, Optional, Sequence

from .blocks import BlockBase, child_lists
from .errors import Problem, SpecError, SpecPath, format_path
from .graph import Budget, BlockRecord, Graph, Tensor, unused_problems
from .layers import Layer
from .compose import load_source
from .limits import DEFAULT, ReaderLimits
from .spec import ModelSpec, parse_spec


class Entry(NamedTuple):
    """What a name refers to: a tensor, and the spec path where the name was given."""

    tensor: Tensor
    path: SpecPath
    implicit_input: bool = False  # v1's single input, named 'input', which a block may take over


class Scope:
    """Names visible at one place in the spec; a child sees its parent's names."""

    def __init__(self, parent: Optional["Scope"] = None):
        self.parent = parent
        self.names: dict[str, Entry] = {}

    def lookup(self, name: str) -> Optional[Entry]:
        scope: Optional[Scope] = self
        while scope is not None:
            if name in scope.names:
                return scope.names[name]
            scope = scope.parent
        return None

    def visible(self) -> list[str]:
        names, scope = [], self
        while scope is not None:
            names += list(scope.names)
            scope = scope.parent
        return names


class Expander:
    """Expands blocks into a :class:`Graph`, resolving names; what a block's ``expand`` is given as ``g``."""

    def __init__(self, spec: ModelSpec, budget: Budget):
        self.spec = spec
        self.graph = Graph(spec.input_shapes(), budget)
        self.scope = Scope()
        self.handles: dict[int, tuple[str, SpecPath]] = {}  # block output node -> (its name, its block's path)
        self.local: Optional[str] = None  # inside a repeated composite: the copy's name, which prefixes names
        self.copy_local: Optional[str] = None  # the same, for the innermost copy of a repeated block only
        self._path: SpecPath = ()
        self._enclosing: list[Optional[str]] = []  # names of the blocks being expanded, outermost first
        # the sequences that are uses of modules: their inner names are their own, as in a repeated block's copies
        self.module_uses = spec.source.module_uses if spec.source is not None else {}
        self.graph.count_inputs({name: spec.input_path(name) for name in self.graph.inputs})
        for name, tensor in self.graph.input_tensors().items():
            self.scope.names[name] = Entry(tensor, spec.input_path(name), implicit_input=spec.input is not None)
            if spec.input is None:  # a named input's InputLayer has its name; no layer may take it
                self.graph.reserved.add(name)

    # ------------------------------------------------------------ what blocks call

    def add(self, layer: Layer, inputs, name: str, *, at=None, sized_by: Optional[str] = None,
            grows_by: Optional[str] = None) -> Tensor:
        """Add one layer (see :meth:`Graph.add`); ``inputs`` is a tensor or a list of them."""
        inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        return self.graph.add(layer, inputs, name, at=at, sized_by=sized_by, grows_by=grows_by)

    def fail(self, message: str, at: Optional[str] = None) -> None:
        self.graph.fail(message, at)

    def chain(self, blocks: Sequence[BlockBase], x: Tensor, key: str, default: Callable[[int], str]) -> Tensor:
        """Expand ``blocks`` (the current block's field ``key``) in order from ``x``; return the last output.

        ``default(j)`` is the layer prefix of the j-th (1-based) block when it has no name.
        """
        base = self._path + (key,)
        for j, block in enumerate(blocks):
            x = self.block(block, base + (j,), x, default(j + 1), referable=False)
        return x

    def branches(self, branches: Sequence[Sequence[BlockBase]], x: Tensor, key: str,
                 default: Callable[[int, int], str]) -> list[Tensor]:
        """Expand each branch from ``x`` (an empty one is ``x``); siblings cannot see each other's names,
        which become visible after the last branch."""
        outer, outputs, scopes = self.scope, [], []
        base = self._path + (key,)
        for i, blocks in enumerate(branches, start=1):
            self.scope = Scope(outer)
            try:
                y = x
                for j, block in enumerate(blocks):
                    y = self.block(block, base + (i - 1, j), y, default(i, j + 1), referable=False)
            finally:
                scopes.append(self.scope)
                self.scope = outer
            outputs.append(y)
        for scope in scopes:
            for name, entry in scope.names.items():
                self._claim(name, entry.path, entry.tensor)
        return outputs

    # ------------------------------------------------------------ the walk

    def run(self) -> Graph:
        x: Optional[Tensor] = None
        if len(self.graph.inputs) == 1:
            x = next(iter(self.graph.input_tensors().values()))
        last = None
        try:
            for i, block in enumerate(self.spec.blocks):
                x = self.block(block, ("blocks", i), x, f"block{i + 1}", referable=True, top=True)
                last = block.name or f"block{i + 1}"
            self._set_outputs(last, x)
        except SpecError as e:  # the walk cannot go on: with the shape problems met before it, unless it
            earlier = self.graph.problems  # follows from one of them (a block fed by a degraded layer)
            raise SpecError(earlier + ([] if getattr(e, "cascade", False) and earlier else e.problems)) from None
        if self.graph.problems:  # every independent shape problem; dangling outputs wait until they are fixed
            raise SpecError(self.graph.problems)
        problems = unused_problems(self.graph, self.handles, {n: self.spec.input_path(n) for n in self.graph.inputs})
        if problems:
            raise SpecError(problems)
        return self.graph

    def block(self, block: BlockBase, path: SpecPath, x: Optional[Tensor], default: str, *,
              referable: bool, top: bool = False) -> Tensor:
        """Expand one block (all its copies) at spec ``path``, chained from ``x`` unless it names inputs."""
        name = block.name
        if name is not None:
            prefix = name if self.local is None else f"{self.local}_{name}"
        else:
            prefix = default
        handle = name if name is not None else (default if referable else None)
        inputs = self._inputs(block, path, x, handle)
        at = path + (("name",) if name is not None else ())
        if handle is not None:
            self._check_free(handle, at, path)
        self._enclosing.append(handle)
        try:
            out = self._copies(block, path, inputs, handle, prefix, at, top)
        except SpecError as e:
            if any(t.node in self.graph.degraded for t in inputs):
                e.cascade = True  # this block was fed by a layer that already had a problem
            raise
        finally:
            self._enclosing.pop()
        self.handles[out.node] = (handle or prefix, path)  # the outermost block whose output it is
        if handle is not None:
            self._claim(handle, at, out, original=path)
        return out

    def _copies(self, block: BlockBase, path: SpecPath, inputs: list[Tensor], handle: Optional[str], prefix: str,
                at: SpecPath, top: bool) -> Tensor:
        """Expand every copy of a (repeated) block; the copies chain, and each claims its name NAME_k."""
        out = inputs[0]
        for k in range(block.repeat):
            copy = block if k == 0 else block.later_copy()
            copy_prefix = prefix if block.repeat == 1 else f"{prefix}_{k + 1}"
            copy_handle = f"{handle}_{k + 1}" if block.repeat > 1 and handle is not None else None
            if copy_handle is not None:
                self._check_free(copy_handle, at, path, what="the copy name")
            local = copy_prefix if block.nested and (block.repeat > 1 or path in self.module_uses) else None
            if local is not None and block.repeat == 1:  # a module use: what `expand` renames its names by
                outer = f"{self.copy_local}_" if self.copy_local is not None else ""
                self.graph.module_prefixes[path] = copy_prefix.removeprefix(outer)
            out = self._expand(copy, path, inputs, copy_prefix, top, local,
                               copy=(k + 1, block.repeat) if block.repeat > 1 else None)
            if copy_handle is not None:
                self._claim(copy_handle, at, out, what="the copy name", original=path)
            inputs = [out]
        return out

    def _expand(self, block: BlockBase, path: SpecPath, inputs: list[Tensor], prefix: str, top: bool,
                local: Optional[str], copy: Optional[tuple[int, int]]) -> Tensor:
        outer_path, outer_scope, outer_local, outer_copy = self._path, self.scope, self.local, self.copy_local
        self._path = path
        if local is not None:  # a copy of a repeated composite, or a module use: its inner names are its own
            self.scope, self.local = Scope(outer_scope), local
            if copy is not None:
                self.copy_local = local
        first = len(self.graph.nodes)
        try:
            with self.graph.within(path, block=prefix if top else None, copy=copy):
                out = block.expand(self, inputs, prefix)
        finally:
            self._path, self.scope, self.local, self.copy_local = outer_path, outer_scope, outer_local, outer_copy
        if top:
            self.graph.blocks.append(BlockRecord(prefix, block.type, first, len(self.graph.nodes), out))
        return out

    def _inputs(self, block: BlockBase, path: SpecPath, x: Optional[Tensor], own: Optional[str]) -> list[Tensor]:
        sources = block.sources()
        if sources is None:
            if x is None:
                raise SpecError(f"this model has several inputs ({', '.join(self.graph.inputs)}): a block that "
                                "starts a chain names its 'input:'", path)
            return [x]
        return [self._resolve(ref, path + at, path, own) for ref, at in sources]

    def _resolve(self, ref: str, at: SpecPath, block_path: SpecPath, own: Optional[str]) -> Tensor:
        entry = self.scope.lookup(ref)
        if entry is not None:
            return entry.tensor
        if own is not None and (ref == own or ref.startswith(own + "_") and ref[len(own) + 1:].isdigit()):
            raise SpecError(f"{ref!r} is this block's own name: a block takes the output of an earlier block", at)
        if ref in self._enclosing:
            raise SpecError(f"{ref!r} is the block this one is inside, whose output is not made yet; a block inside "
                            "it starts from its input, or refers to an earlier name", at)
        raise SpecError(_unknown_reference(self.spec, ref, block_path, self.scope.visible()), at)

    def _check_free(self, name: str, at: SpecPath, path: SpecPath, what: str = "block name") -> None:
        entry = self.scope.lookup(name)
        if entry is not None and not entry.implicit_input:
            raise SpecError(_already_used(what, name, entry.path, path, self.spec), at)

    def _claim(self, name: str, at: SpecPath, tensor: Tensor, *, what: str = "block name",
               original: Optional[SpecPath] = None) -> None:
        entry = self.scope.lookup(name)
        if entry is not None and not entry.implicit_input and entry.path != at:
            raise SpecError(_already_used(what, name, entry.path, original or at, self.spec), at)
        self.scope.names[name] = Entry(tensor, at)

    def _set_outputs(self, last: Optional[str], x: Tensor) -> None:
        if self.spec.outputs is None:
            self.graph.outputs = [(last, x)]
            return
        seen: dict[str, int] = {}
        for i, ref in enumerate(self.spec.outputs):
            at = ("outputs", i)
            if ref in seen:
                raise SpecError(f"{ref!r} is already outputs[{seen[ref]}]; list each output once", at)
            seen[ref] = i
            entry = self.scope.lookup(ref)
            if entry is None:
                raise SpecError(_unknown_reference(self.spec, ref, None, self.scope.visible()), at)
            if entry.tensor.node < 0:
                raise SpecError(f"{ref!r} is a model input; an output must be a block's output", at)
            self.graph.outputs.append((ref, entry.tensor))


def _block_path(entry_path: SpecPath) -> SpecPath:
    return entry_path[:-1] if entry_path[-1:] == ("name",) else entry_path


def _already_used(what: str, name: str, other: SpecPath, path: SpecPath, spec: ModelSpec) -> str:
    other_block = _block_path(other)
    hint = ""
    if _repeats(spec, other_block) or _repeats(spec, path):
        hint = " (a repeated block NAME names its copies NAME_1, NAME_2, ...)"
    where = format_path(other_block) if other_block[:1] == ("blocks",) else f"model input {name!r}"
    return f"{what} {name!r} is already used by {where}{hint}"


def _repeats(spec: ModelSpec, path: SpecPath) -> bool:
    block = _at(spec, path)
    return block is not None and getattr(block, "repeat", 1) > 1


def _at(spec: ModelSpec, path: SpecPath):
    """The block model at a spec path, or None."""
    node = spec
    for part in path:
        try:
            node = node[part] if isinstance(part, int) else getattr(node, part)
        except (AttributeError, IndexError, TypeError):
            return None
    return node if isinstance(node, BlockBase) else None


def _unknown_reference(spec: ModelSpec, ref: str, block_path: Optional[SpecPath], visible: list[str]) -> str:
    """Why ``ref`` names nothing the referring block can see: later, in a sibling branch, hidden, or unknown."""
    for name, path, hidden_in in _all_names(spec):
        if name != ref:
            continue
        if hidden_in is not None and (block_path is None or block_path[:len(hidden_in)] != hidden_in):
            return (f"{ref!r} is a block inside the repeated block at {format_path(hidden_in)}, and names inside a "
                    "repeated block are not visible outside it; refer to the repeated block itself (its last "
                    "copy) or to one copy, NAME_k")
        if block_path is not None and _sibling_branches(path, block_path):
            return (f"{ref!r} is in another branch of the same parallel ({format_path(path)}); a branch may refer "
                    "to earlier names outside the parallel and in its own branch, not to a sibling branch")
        if block_path is not None:
            return (f"{ref!r} is the block at {format_path(path)}, which comes later; a block can only take the "
                    "output of an earlier block")
    from .messages import closest  # error wording is loaded only when an error is met

    match = closest(ref, visible)
    hint = f"; did you mean {match!r}?" if match else ""
    if re.search(r"_(block\d+|branch\d+_\d+)$", ref):
        hint += " (a block inside a sequence or parallel can be referred to only by a name it is given)"
    return f"unknown name {ref!r}{hint} (a block name, a copy NAME_k of a repeated block, or a model input)"


def _sibling_branches(a: SpecPath, b: SpecPath) -> bool:
    """Whether spec paths ``a`` and ``b`` lie in different branches of one parallel."""
    for n in range(min(len(a), len(b)) - 1):
        if a[:n] != b[:n]:
            return False
        if a[n] == "branches" == b[n] and a[n + 1] != b[n + 1]:
            return True
    return False


def _all_names(spec: ModelSpec) -> Iterator[tuple[str, SpecPath, Optional[SpecPath]]]:
    """Every name a block defines, in spec order: (name, the block's path, the repeated composite hiding it)."""

    def walk(blocks, base: SpecPath, hidden: Optional[SpecPath], top: bool):
        for j, block in enumerate(blocks):
            path = base + (j,)
            name = block.name or (f"block{j + 1}" if top else None)
            if name is not None:
                yield name, path, hidden
                for k in range(1, block.repeat + 1 if block.repeat > 1 else 1):
                    yield f"{name}_{k}", path, hidden
            inner_hidden = hidden if hidden is not None else (path if block.repeat > 1 else None)
            for key, lists in child_lists(block):
                yield from walk(lists, path + key, inner_hidden, False)

    yield from walk(spec.blocks, ("blocks",), None, True)


def analyze(spec: ModelSpec, budget: Budget = Budget()) -> Graph:
    """Expand every block into primitive layers, inferring shapes, params and MACs.

    Raises :class:`SpecError` (located when the spec was read from a file) for
    unknown, later and self references, duplicate names, shapes that collapse,
    do not fit or do not merge, identity shortcuts that cannot be, dangling
    outputs, bad ``outputs`` and exceeded budgets.
    """
    try:
        return Expander(spec, budget).run()
    except SpecError as e:
        raise (e.located(spec.source) if spec.source else e) from None


def check(path: str, budget: Budget = Budget(), *, overrides: Sequence[str] = (),
          text: Optional[str | bytes] = None, as_json: Optional[bool] = None,
          expect: bool = True, limits: ReaderLimits = DEFAULT) -> tuple[ModelSpec, Graph]:
    """Read, resolve, validate and statically analyse the spec file at ``path`` (``-``: stdin).

    ``overrides`` are ``--set PATH=VALUE`` strings, applied last. ``text``, when given, is the
    file's content (an editor's unsaved buffer, say): ``path`` then only names it and anchors
    relative ``extends`` paths (``as_json``: read it as JSON or YAML; by default, by ``path``'s
    suffix). ``expect``: hold the model to the spec's ``expect`` figures
    (the views, ``summary`` and ``diff``, show a model that misses them instead). ``limits``: what
    the file (and its bases) may be, read as data (:class:`~modelspec.limits.ReaderLimits`).
    """
    try:
        spec = parse_spec(load_source(path, overrides, text=text, as_json=as_json, limits=limits))
        graph = analyze(spec, budget)
    except RecursionError:
        # validation and the static pass recurse once per level of nesting; the default depth limit keeps
        # them far from Python's recursion limit, but a caller may raise it past what the stack allows
        problem = Problem(f"the spec nests too deeply to check: {limits.stack_ran_out()}", (), path, 1, 1)
        raise SpecError(problem) from None
    if expect and spec.expect is not None:
        from .expect import check_expect

        check_expect(spec, graph)
    return spec, graph


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off Python's cyclic garbage collector while one spec is read and checked.

    Reading, validating and expanding a spec allocate many small objects that
    stay alive until the end; the collector's repeated full passes over them
    made the time per block grow with the spec's size (1.25x per block at
    10,000 blocks), and pausing it keeps the check linear. The previous state
    is restored, also after an error. The console script uses it around each
    check; library calls (:func:`check`, ``modelspec.load``) leave the collector
    alone, since it belongs to the whole process: a program checking very large
    specs may wrap its calls in it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


__all__ = ["Expander", "Problem", "analyze", "check", "gc_paused"]
