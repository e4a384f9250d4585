"""What makes the JSON Schema good to type against: ``examples`` on every field, a completion snippet per block.

:func:`add_editor_help` finishes the generated schema in place:

* every property without ``examples`` gets some: a value that reads well for
  its name when one is known (``filters: 64``, ``kernel_size: 3``) and is valid
  for it, else one made from its schema (its default, first enum value, a
  value within its bounds, an object of its required fields); every example is
  checked against the property's own schema before it is kept;
* every block type gets a ``defaultSnippets`` entry on its own definition:
  ``type`` and the block's required fields, each a tab stop with an example
  value. yaml-language-server offers every type's snippet on a new list item
  (where each ``if type == X`` rule could still apply) and, inside a block,
  only that block's own; a snippet on ``Block`` itself would be offered inside
  every block, for every type.

Editors that read these (yaml-language-server, VS Code's YAML extension) show
the examples in hovers and insert the snippets on completion.
"""

from __future__ import annotations

import json
from typing import Any, Optional

# Values that read well for common field names; each is used only where the field's schema accepts it.
NAMED_EXAMPLES: dict[str, list] = {
    "filters": [64, 128], "units": [1000, 128], "kernel_size": [3, [1, 7]], "strides": [2, 1],
    "pool_size": [2, 3], "pool_strides": [2], "size": [2], "name": ["conv1", "stage2"], "input": ["conv1"],
    "inputs": [["branch_a", "branch_b"], {"image": {"shape": [224, 224, 3]}, "meta": {"shape": [8]}}],
    "outputs": [["predictions"]], "repeat": [3], "rate": [0.5, 0.2],
    "shape": [[224, 224, 3], [None, None, 3]], "target_shape": [[7, 7, 512], [-1]], "convs": [2],
    "activation": ["relu", "softmax"], "padding": ["same", 1], "axis": [-1], "epsilon": [0.001],
    "momentum": [0.99], "description": ["ResNet-50 v1, as keras.applications.ResNet50"],
    "dilation_rate": [2], "groups": [2], "depth_multiplier": [1], "cropping": [16], "expansion": [6],
    "se_ratio": [0.25], "drop_rate": [0.2], "growth_rate": [32],
    "blocks": [[{"type": "conv", "filters": 64, "kernel_size": 3}, {"type": "max_pool"}]],
    "branches": [[[{"type": "conv", "filters": 64, "kernel_size": 1}],
                  [{"type": "conv", "filters": 32, "kernel_size": 3, "padding": "same"}], []]],
    "scale": [0.00392156862745098], "offset": [0.0], "mean": [[0.485, 0.456, 0.406]],
    "variance": [[0.052, 0.050, 0.051]], "max_value": [6.0], "negative_slope": [0.0], "threshold": [0.0],
    "compression": [0.5], "reduction": [0.5], "kernel_initializer": ["he_normal"],
}


def add_editor_help(schema: dict, block_defs: dict[str, str]) -> dict:
    """Add examples and snippets to ``schema`` (in place; returned). ``block_defs``: block tag -> definition."""
    from jsonschema import Draft202012Validator

    defs = schema["$defs"]

    def valid(prop: dict, value: Any) -> bool:
        return Draft202012Validator({**prop, "$defs": defs}).is_valid(value)

    for owner in [schema, *defs.values()]:
        for name, prop in owner.get("properties", {}).items():
            if not isinstance(prop, dict) or prop.get("examples"):
                continue
            examples = [v for v in NAMED_EXAMPLES.get(name, []) if valid(prop, v)]
            if not examples:
                made = example(prop, defs)
                if made is not _NONE and valid(prop, made):
                    examples = [made]
            if examples:
                prop["examples"] = examples
    for tag, name in block_defs.items():
        snippet = block_snippet(tag, defs[name], defs)
        for def_name in (name, name + "InModuleFile"):  # the copy a file with modules checks against
            if def_name in defs:
                defs[def_name]["defaultSnippets"] = [snippet]
    return schema


_NONE = object()


def example(node: Any, defs: dict, depth: int = 0) -> Any:
    """A value valid for the schema ``node`` (best effort; the caller checks it), or ``_NONE``."""
    if not isinstance(node, dict) or depth > 8:
        return _NONE
    for key in ("examples",):
        if node.get(key):
            return node[key][0]
    if node.get("default") is not None:
        return node["default"]
    if "const" in node:
        return node["const"]
    if node.get("enum"):
        return next((v for v in node["enum"] if v is not None), node["enum"][0])
    if "$ref" in node:
        return example(defs.get(node["$ref"].rsplit("/", 1)[-1]), defs, depth + 1)
    for key in ("oneOf", "anyOf"):
        if key in node:
            for choice in node[key]:
                if choice.get("type") != "null":
                    value = example(choice, defs, depth + 1)
                    if value is not _NONE:
                        return value
    if "allOf" in node and node.get("properties", {}).get("type", {}).get("enum"):  # the Block dispatcher
        for rule in node["allOf"]:
            if rule.get("if", {}).get("properties", {}).get("type", {}).get("const") == "conv":
                return example(rule["then"], defs, depth + 1)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object":
        props = node.get("properties", {})
        out = {}
        for name in node.get("required", []):
            named = NAMED_EXAMPLES.get(name)
            value = named[0] if named else example(props.get(name, {}), defs, depth + 1)
            if value is _NONE:
                return _NONE
            out[name] = value
        return out
    if kind == "array":
        if "prefixItems" in node:
            values = [example(item, defs, depth + 1) for item in node["prefixItems"]]
            return _NONE if _NONE in values else values
        item = example(node.get("items", {}), defs, depth + 1)
        return _NONE if item is _NONE else [item] * max(1, node.get("minItems", 1))
    if kind == "integer":
        low = node.get("minimum", node.get("exclusiveMinimum", 0) + 1 if "exclusiveMinimum" in node else 1)
        return min(int(low), node.get("maximum", int(low)))
    if kind == "number":
        low, high = node.get("minimum", node.get("exclusiveMinimum", 0.0)), node.get("maximum", 1.0)
        return (low + high) / 2 if high > low else low
    if kind == "boolean":
        return True
    if kind == "string":
        return "x"
    return _NONE


def block_snippet(tag: str, block: dict, defs: dict) -> dict:
    """A ``defaultSnippets`` entry for block type ``tag``: its type and required fields as tab stops."""
    props = block.get("properties", {})
    body: dict[str, Any] = {"type": tag}
    stop = 0
    for name in block.get("required", []):
        if name == "type":
            continue
        prop = props.get(name, {})
        value: Optional[Any] = (prop.get("examples") or [example(prop, defs)])[0]
        stop += 1
        body[name] = f"${{{stop}:{_placeholder(value)}}}" if isinstance(value, (int, float, str)) and \
            not isinstance(value, bool) else value
    description = (props.get("type", {}).get("description") or "").strip()
    return {"label": tag, "description": description, "body": body}


def _placeholder(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text.replace("$", "\\$").replace("}", "\\}")
