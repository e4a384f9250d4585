"""Weights from Keras files: a ``.keras`` model or a ``.weights.h5`` file of the same architecture.

Both hold their weights in the layout Keras 3 writes (``model.weights.h5`` inside a ``.keras``
archive): one HDF5 group per layer, named after the layer's class and its place among the
layers of that class, in model order (``conv2d``, ``conv2d_1``, ...; ``batch_normalization_52``).
The file is read with h5py; its architecture (``config.json``) is never deserialised, so it runs
no code. Layers pair by position: the k-th layer of a class in the spec's model takes the k-th
layer of that class in the file, its weights in order and shape for shape. The first layer that
does not pair (a class the file has fewer of, a shape that differs, or layers left over in the
file) is a :class:`SpecError` at the spec path of the block that made it, and nothing is loaded.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Optional

from .errors import Problem, SpecError
from .graph import Graph
from .loader import UsageError
from .spec import ModelSpec


def _snake(name: str) -> str:
    """A class name as Keras names its group in a weights file (keras.src.utils.naming.to_snake_case)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def read_groups(path: str) -> dict[str, list]:
    """Group name -> the layer's weight arrays, from a .keras or .weights.h5 file."""
    import h5py

    file = Path(path)
    if not file.is_file():
        raise UsageError(path, "no such file")
    try:
        if file.name.endswith(".keras"):
            with zipfile.ZipFile(file) as archive, archive.open("model.weights.h5") as member:
                return _groups(h5py.File(_buffer(member.read()), "r"))
        if file.name.endswith(".weights.h5"):
            with h5py.File(file, "r") as h5:
                return _groups(h5)
    except (OSError, KeyError, zipfile.BadZipFile) as e:
        raise UsageError(path, f"not a Keras weights file: {e}") from None
    raise UsageError(path, "weights come from a .keras model or a .weights.h5 file")


def _buffer(data: bytes):
    import io

    return io.BytesIO(data)


def _groups(h5) -> dict[str, list]:
    if "layers" not in h5:
        raise KeyError("no 'layers' group (was it written by Keras 3?)")
    groups = {}
    for name, group in h5["layers"].items():
        variables = group.get("vars")
        count = len(variables) if variables is not None else 0
        groups[name] = [variables[str(i)][()] for i in range(count)]
    return groups


def pair(model, groups: dict[str, list]) -> tuple[list[tuple[object, list]], Optional[tuple[object, str]]]:
    """Pair ``model``'s layers with the file's groups; return the pairs and the first failure
    (the layer, or None for left-over groups, and why), or None."""
    seen: dict[str, int] = {}
    pairs, used = [], set()
    for layer in model.layers:
        key = _snake(type(layer).__name__)
        k = seen.get(key, 0)
        seen[key] = k + 1
        name = key if k == 0 else f"{key}_{k}"
        ours = [tuple(w.shape) for w in layer.weights]
        if name not in groups:
            if not ours:
                continue
            have = sum(1 for g in groups if g == key or re.fullmatch(re.escape(key) + r"_\d+", g))
            return pairs, (layer, f"{type(layer).__name__} layer {layer.name!r} (the {_ordinal(k + 1)} of its class) "
                                  f"has no counterpart: the file has {have} {type(layer).__name__} layer(s)")
        used.add(name)
        theirs = [tuple(a.shape) for a in groups[name]]
        if ours != theirs:
            return pairs, (layer, f"{type(layer).__name__} layer {layer.name!r} has weights of shapes "
                                  f"{_shapes(ours)}, the file's {name!r} {_shapes(theirs)}")
        pairs.append((layer, groups[name]))
    extra = [g for g in groups if g not in used and groups[g]]
    if extra:
        return pairs, (None, f"the file has {len(extra)} layer(s) with weights that the model does not "
                             f"(first: {sorted(extra)[0]!r}): not the same architecture")
    return pairs, None


def _shapes(shapes: list[tuple]) -> str:
    return "[" + ", ".join("x".join(map(str, s)) or "scalar" for s in shapes) + "]"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def load_weights(model, path: str, spec: ModelSpec, graph: Graph) -> None:
    """Load the weights of ``path`` into ``model`` (built from ``spec``), layer by layer, or raise a
    located :class:`SpecError` naming the first layer that does not pair (nothing is loaded then)."""
    pairs, failure = pair(model, read_groups(path))
    if failure is not None:
        layer, why = failure
        at = _spec_path(layer, spec, graph)
        error = SpecError(Problem(f"cannot load {path}: {why}", at))
        raise error.located(spec.source) if spec.source is not None else error
    for layer, arrays in pairs:
        if arrays:
            layer.set_weights(arrays)


def _spec_path(layer, spec: ModelSpec, graph: Graph) -> tuple:
    """The spec path of the block that made ``layer`` (the input's for an input layer; the root for none)."""
    if layer is None:
        return ()
    for node in graph.nodes:
        if node.name == layer.name:
            return node.path
    for name in graph.inputs:
        if graph.input_layer_name(name) == layer.name:
            return spec.input_path(name)
    return ()


__all__ = ["load_weights", "pair", "read_groups"]
