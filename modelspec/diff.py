"""``modelspec diff A B``: what changed between two architectures, for code review.

Both specs go through the whole static pass; the diff compares what they
compile to, not how they are written (a ``repeat: 3`` and three written-out
copies are the same architecture). It reports:

* top-level blocks (and the copies of repeated ones) added, removed, renamed
  (same type and fields, another name) or changed: the fields that differ, and
  the output shape, params and MACs that moved;
* layers added, removed, renamed (inside a renamed block) or changed: class or
  settings, output shape, params, or the layers they take (re-wired);
* the model's inputs and outputs, and params, trainable params and MACs before,
  after and the difference.

Two specs are the same architecture when their layers, in order, have the same
names, classes, settings, inputs and output shapes, and the models the same
inputs and outputs.
"""

from __future__ import annotations

import json
from typing import Any, Optional

from .graph import Graph, Node
from .spec import ModelSpec

MAX_TEXT_LAYERS = 40  # layer lines in the text form; --json lists all


def architecture_diff(old: tuple[str, ModelSpec, Graph], new: tuple[str, ModelSpec, Graph]) -> dict:
    """The diff of two checked specs, each given as (path, spec, graph), as plain data."""
    (a_path, a_spec, a), (b_path, b_spec, b) = old, new
    blocks = _block_diff(a_spec, a, b_spec, b)
    renamed_prefixes = {r["before"]: r["after"] for r in blocks["renamed"]}
    layers = _layer_diff(a, b, renamed_prefixes)
    a_sum, b_sum = a.summary(a_spec.name), b.summary(b_spec.name)
    same = _signature(a) == _signature(b)
    return {
        "same": same,
        "a": {"path": a_path, "name": a_spec.name},
        "b": {"path": b_path, "name": b_spec.name},
        "inputs": _pair(a_sum["inputs"], b_sum["inputs"]),
        "outputs": _pair(a_sum["outputs"], b_sum["outputs"]),
        "blocks": blocks,
        "layers": layers,
        "params": _figure(a_sum["params"]["total"], b_sum["params"]["total"]),
        "trainable_params": _figure(a_sum["params"]["trainable"], b_sum["params"]["trainable"]),
        "macs": _figure(a_sum["macs"], b_sum["macs"]),
    }


def _pair(before: Any, after: Any) -> dict:
    return {"before": before, "after": after, "changed": before != after}


def _figure(before: Optional[int], after: Optional[int]) -> dict:
    delta = None if before is None or after is None else after - before
    return {"before": before, "after": after, "delta": delta}


def _signature(graph: Graph) -> tuple:
    layers = tuple((n.name, n.layer, tuple(graph.source_name(i) for i in n.inputs), n.output_shape)
                   for n in graph.nodes)
    outputs = tuple((name, t.shape) for name, t in graph.outputs)
    return tuple(graph.inputs.items()), layers, outputs


# ------------------------------------------------------------------ blocks


def _records(spec: ModelSpec, graph: Graph) -> dict[str, dict]:
    """Top-level block (or copy) name -> its type, fields as written out, output shape, params and MACs."""
    records = {}
    for record in graph.blocks:
        members = graph.nodes[record.first:record.end]
        index = members[0].path[1] if members and members[0].path[:1] == ("blocks",) else None
        fields = {}
        if index is not None:
            fields = spec.blocks[index].model_dump(mode="json", by_alias=True, exclude_none=True)
            fields.pop("name", None)
        macs = [n.macs for n in members]
        records[record.name] = {
            "type": record.type, "fields": fields, "output_shape": list(record.output.shape),
            "params": sum(n.params for n in members), "macs": None if None in macs else sum(macs),
        }
    return records


def _block_diff(a_spec: ModelSpec, a: Graph, b_spec: ModelSpec, b: Graph) -> dict:
    old, new = _records(a_spec, a), _records(b_spec, b)
    removed = [name for name in old if name not in new]
    added = [name for name in new if name not in old]
    renamed = []
    for name in list(removed):
        match = next((other for other in added if _same_block(old[name], new[other])), None)
        if match is not None:
            renamed.append({"before": name, "after": match, "type": old[name]["type"]})
            removed.remove(name)
            added.remove(match)
    changed = []
    for name in old:
        if name not in new:
            continue
        before, after = old[name], new[name]
        fields = _changed_fields(before["fields"], after["fields"])
        moved = {key: {"before": before[key], "after": after[key]}
                 for key in ("output_shape", "params", "macs") if before[key] != after[key]}
        if before["type"] != after["type"]:
            moved["retyped"] = {"before": before["type"], "after": after["type"]}
        if fields or moved:
            changed.append({"name": name, "type": after["type"], "fields": fields, **moved})
    return {
        "added": [{"name": name, **_brief(new[name]), "after": _previous(list(new), name)} for name in added],
        "removed": [{"name": name, **_brief(old[name])} for name in removed],
        "renamed": renamed,
        "changed": changed,
    }


def _brief(record: dict) -> dict:
    return {key: record[key] for key in ("type", "output_shape", "params", "macs")}


def _previous(names: list[str], name: str) -> Optional[str]:
    i = names.index(name)
    return names[i - 1] if i > 0 else None


def _same_block(before: dict, after: dict) -> bool:
    return all(before[key] == after[key] for key in ("type", "fields", "output_shape", "params"))


def _changed_fields(before: Any, after: Any, path: str = "") -> list[dict]:
    """Every leaf that differs, as {field, before, after}; lists of different lengths are one change."""
    if isinstance(before, dict) and isinstance(after, dict):
        changes = []
        for key in list(before) + [k for k in after if k not in before]:
            sub = f"{path}.{key}" if path else key
            if key not in after:
                changes.append({"field": sub, "before": before[key], "after": None})
            elif key not in before:
                changes.append({"field": sub, "before": None, "after": after[key]})
            else:
                changes += _changed_fields(before[key], after[key], sub)
        return changes
    if (isinstance(before, list) and isinstance(after, list) and len(before) == len(after)
            and any(isinstance(v, (dict, list)) for v in before)):
        changes = []
        for i, (x, y) in enumerate(zip(before, after)):
            changes += _changed_fields(x, y, f"{path}[{i}]")
        return changes
    return [] if before == after else [{"field": path, "before": before, "after": after}]


# ------------------------------------------------------------------ layers


def _layer_diff(a: Graph, b: Graph, renamed_prefixes: dict[str, str]) -> dict:
    def renamed(name: str) -> str:
        for before, after in renamed_prefixes.items():
            if name == before or name.startswith(before + "_"):
                return after + name[len(before):]
        return name

    old = {n.name: n for n in a.nodes}
    new = {n.name: n for n in b.nodes}
    pairs, added, removed, renames = [], [], [], []
    for name, node in old.items():
        target = name if name in new else renamed(name)
        if target in new and (target == name or target not in old):
            pairs.append((node, new[target]))
            if target != name:
                renames.append({"before": name, "after": target})
        else:
            removed.append(_layer(a, node))
    matched = {after.name for _, after in pairs}
    added = [_layer(b, node) for name, node in new.items() if name not in matched]
    changed = []
    for before, after in pairs:
        change = _layer_change(a, before, b, after, renamed)
        if change:
            changed.append({"name": after.name, "class": after.layer.keras_class, **change})
    return {"added": added, "removed": removed, "renamed": renames, "changed": changed}


def _layer(graph: Graph, node: Node) -> dict:
    return {"name": node.name, "class": node.layer.keras_class, "output_shape": list(node.output_shape),
            "params": node.params, "inputs": [graph.source_name(i) for i in node.inputs]}


def _layer_change(a: Graph, before: Node, b: Graph, after: Node, renamed) -> dict:
    change: dict = {}
    if before.layer != after.layer:
        if type(before.layer) is not type(after.layer):
            change["class"] = {"before": before.layer.keras_class, "after": after.layer.keras_class}
        else:
            change["settings"] = _changed_settings(before.layer, after.layer)
    if before.output_shape != after.output_shape:
        change["output_shape"] = {"before": list(before.output_shape), "after": list(after.output_shape)}
    if before.params != after.params:
        change["params"] = {"before": before.params, "after": after.params}
    inputs_before = [renamed(a.source_name(i)) for i in before.inputs]
    inputs_after = [b.source_name(i) for i in after.inputs]
    if inputs_before != inputs_after:
        change["inputs"] = {"before": [a.source_name(i) for i in before.inputs], "after": inputs_after}
    return change


def _changed_settings(before, after) -> list[dict]:
    import dataclasses

    if not dataclasses.is_dataclass(before):
        return []
    changes = []
    for f in dataclasses.fields(before):
        x, y = getattr(before, f.name), getattr(after, f.name)
        if x != y:
            changes.append({"field": f.name, "before": _plain(x), "after": _plain(y)})
    return changes


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# ------------------------------------------------------------------ rendering


def render_json(diff: dict) -> str:
    return json.dumps(diff, indent=2) + "\n"


def render_text(diff: dict) -> str:
    a, b = diff["a"], diff["b"]
    lines = [f"--- {a['path']} ({a['name']})", f"+++ {b['path']} ({b['name']})"]
    if diff["same"]:
        lines.append("same architecture: every layer, its settings, inputs and output shape are equal")
    for key in ("inputs", "outputs"):
        if diff[key]["changed"]:
            lines.append(f"{key}: {_io(diff[key]['before'])} -> {_io(diff[key]['after'])}")
    blocks = diff["blocks"]
    if any(blocks.values()):
        lines.append("blocks:")
        for item in blocks["removed"]:
            lines.append(f"  - {item['name']} ({item['type']}) {_shape(item['output_shape'])}, "
                         f"{item['params']:,} params")
        for item in blocks["added"]:
            where = f" after {item['after']}" if item["after"] else " first"
            lines.append(f"  + {item['name']} ({item['type']}){where}: {_shape(item['output_shape'])}, "
                         f"{item['params']:,} params")
        for item in blocks["renamed"]:
            lines.append(f"  > {item['before']} -> {item['after']} ({item['type']}), renamed")
        for item in blocks["changed"]:
            parts = [", ".join(f"{c['field']}: {_value(c['before'])} -> {_value(c['after'])}"
                               for c in item["fields"][:6])]
            if len(item["fields"]) > 6:
                parts[0] += f", and {len(item['fields']) - 6} more field(s)"
            if "retyped" in item:
                parts.append(f"type {item['retyped']['before']} -> {item['retyped']['after']}")
            lines.append(f"  ~ {item['name']} ({item['type']}): " + "; ".join(p for p in parts + _moves(item) if p))
    layers = diff["layers"]
    counts = [f"{len(layers[k])} {k}" for k in ("added", "removed", "renamed", "changed") if layers[k]]
    if counts:
        lines.append(f"layers: {', '.join(counts)}")
        shown = []
        for item in layers["removed"]:
            shown.append(f"  - {item['name']} ({item['class']}) {_shape(item['output_shape'])}")
        for item in layers["added"]:
            shown.append(f"  + {item['name']} ({item['class']}) {_shape(item['output_shape'])} <- "
                         f"{', '.join(item['inputs'])}")
        for item in layers["renamed"]:
            shown.append(f"  > {item['before']} -> {item['after']}")
        for item in layers["changed"]:
            parts = []
            if "class" in item and isinstance(item["class"], dict):
                parts.append(f"class {item['class']['before']} -> {item['class']['after']}")
            for c in item.get("settings", []):
                parts.append(f"{c['field']}: {_value(c['before'])} -> {_value(c['after'])}")
            parts += _moves(item)
            if "inputs" in item:
                parts.append(f"inputs {', '.join(item['inputs']['before'])} -> {', '.join(item['inputs']['after'])}")
            shown.append(f"  ~ {item['name']}: " + "; ".join(parts))
        lines += shown[:MAX_TEXT_LAYERS]
        if len(shown) > MAX_TEXT_LAYERS:
            lines.append(f"  ... and {len(shown) - MAX_TEXT_LAYERS} more layer change(s) (--json lists all)")
    for key, label in (("params", "params"), ("trainable_params", "trainable params"), ("macs", "MACs")):
        figure = diff[key]
        lines.append(f"{label}: {_delta(figure['before'], figure['after'])}")
    return "\n".join(lines) + "\n"


def _moves(item: dict) -> list[str]:
    """A changed block's or layer's output shape and params, before -> after, as far as they moved."""
    parts = []
    if "output_shape" in item:
        parts.append(f"output {_shape(item['output_shape']['before'])} -> {_shape(item['output_shape']['after'])}")
    if "params" in item:
        parts.append(f"params {_delta(item['params']['before'], item['params']['after'])}")
    return parts


def _delta(before: Optional[int], after: Optional[int]) -> str:
    if before is None or after is None:
        return f"{_count(before)} -> {_count(after)}"
    if before == after:
        return f"{before:,} (unchanged)"
    percent = f", {100 * (after - before) / before:+.1f}%" if before else ""
    return f"{before:,} -> {after:,} ({after - before:+,}{percent})"


def _count(value: Optional[int]) -> str:
    return "unknown" if value is None else f"{value:,}"


def _shape(shape: list) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _io(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{name} {_shape(shape)}" for name, shape in value.items())
    return ", ".join(f"{item['name']} {_shape(item['shape'])}" for item in value)


def _value(value: Any) -> str:
    return json.dumps(value) if not isinstance(value, str) else value
