"""``modelspec expand``: the fully resolved spec, as YAML that validates and builds to the same model.

Bases are merged, patches, inserts and ``--set`` applied (all by
:mod:`.compose`); here ``defaults`` are dropped, having been copied into every
block, every field a block has is written out with its value (defaults
included), and each module use is the ``sequence`` it became. Names inside a
module use are local to it; written out, they take the use's name as a prefix
(``sq`` in use ``fire2`` becomes ``fire2_sq``), which is the prefix their layers
had, so the layers keep their names.
"""

from __future__ import annotations

from typing import Any

from .blocks import BlockBase, child_lists
from .errors import SpecPath
from .graph import Graph
from .spec import ModelSpec

_TOP_ORDER = ("name", "description", "input", "inputs", "outputs", "blocks", "expect")


def expanded(spec: ModelSpec, graph: Graph) -> dict:
    """The resolved spec as plain data (the analysed ``graph`` says how module uses were named)."""
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"defaults", "blocks"})
    data["blocks"] = [_block(b, ("blocks", i), graph, {}) for i, b in enumerate(spec.blocks)]
    ordered = {key: data[key] for key in _TOP_ORDER if key in data}
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    return ordered


def _block(block: BlockBase, path: SpecPath, graph: Graph, renames: dict[str, str]) -> dict:
    """One block as data, its own names and its references renamed as ``renames`` says."""
    data = block.model_dump(mode="json", by_alias=True, exclude_none=True)
    data = {"type": data.pop("type"), **({"name": data.pop("name")} if "name" in data else {}), **data}
    if "name" in data:
        data["name"] = renames.get(data["name"], data["name"])
    if isinstance(data.get("input"), str):
        data["input"] = renames.get(data["input"], data["input"])
    if isinstance(data.get("inputs"), list):
        data["inputs"] = [renames.get(ref, ref) for ref in data["inputs"]]
    inner = renames
    if path in graph.module_prefixes:  # a module use: its own names take its prefix
        prefix = graph.module_prefixes[path]
        inner = {**renames, **{name: f"{prefix}_{name}" for name in _own_names(block)}}
    for key, blocks in child_lists(block):
        dumped = [_block(b, path + key + (j,), graph, inner) for j, b in enumerate(blocks)]
        if len(key) == 1:
            data[key[0]] = dumped
        else:
            data[key[0]][key[1]] = dumped
    return data


def _own_names(block: BlockBase) -> list[str]:
    """The names given inside a composite, down to (not into) the next block that scopes its own names."""
    names = []
    for _, blocks in child_lists(block):
        for inner in blocks:
            if inner.name is not None:
                names.append(inner.name)
            if inner.repeat == 1:  # a repeated composite's names are its copies' own (a nested use: renamed
                names += _own_names(inner)  # again inside, with a longer prefix, which is harmless)
    return names


def to_yaml(data: Any) -> str:
    """YAML for a resolved spec: block mappings, short lists of scalars in flow style, keys in order."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper, items):
        flow = all(not isinstance(v, (dict, list)) for v in items) or all(
            isinstance(v, list) and all(not isinstance(x, (dict, list)) for x in v) for v in items)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=flow and bool(items))

    Dumper.add_representer(list, represent_list)
    return yaml.dump(data, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
