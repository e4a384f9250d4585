"""Rendering the static pass's summary: data first (``Graph.summary``), text here."""

from __future__ import annotations

import json
from typing import Optional


def _shape(shape: Optional[list]) -> str:
    if shape is None:
        return "?"
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _count(value: Optional[int]) -> str:
    return "?" if value is None else f"{value:,}"


def render_text(summary: dict) -> str:
    """A layer table (name, class, output shape, params, MACs, connected to) with totals, like Keras' summary.

    "Connected to" lists the layers (or model inputs) a layer takes, as Keras'
    ``model.summary()`` does for functional models.
    """
    head = ("Layer", "Class", "Output shape", "Params", "MACs", "Connected to")
    rows = [head] + [(r["name"], r["class"], _shape(r["output_shape"]), _count(r["params"]), _count(r["macs"]),
                      ", ".join(r["inputs"])) for r in summary["layers"]]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    line = "  ".join("-" * w for w in widths)

    def fmt(row):
        cells = [cell.rjust(w) if i in (3, 4) else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    params = summary["params"]
    inputs = ", ".join(f"{name} {_shape(shape)}" for name, shape in summary["inputs"].items())
    outputs = ", ".join(f"{o['name']} {_shape(o['shape'])}" for o in summary["outputs"])
    out = [f'Model: "{summary["name"]}"  inputs: {inputs} -> outputs: {outputs}', line, fmt(rows[0]), line]
    out += [fmt(row) for row in rows[1:]]
    out += [
        line,
        f"Total params: {params['total']:,}",
        f"Trainable params: {params['trainable']:,}",
        f"Non-trainable params: {params['non_trainable']:,}",
        f"MACs: {_count(summary['macs'])}",
    ]
    return "\n".join(out)


def render_json(summary: dict) -> str:
    return json.dumps(summary, indent=2)
