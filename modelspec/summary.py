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
    """A layer table (name, class, output shape, params, MACs) with totals, like Keras' summary."""
    rows = [("Layer", "Class", "Output shape", "Params", "MACs")]
    rows += [(r["name"], r["class"], _shape(r["output_shape"]), _count(r["params"]), _count(r["macs"]))
             for r in summary["layers"]]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    line = "  ".join("-" * w for w in widths)

    def fmt(row):
        return "  ".join(cell.ljust(w) if i < 3 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))

    params = summary["params"]
    out = [f'Model: "{summary["name"]}"  input {_shape(summary["input_shape"])} -> '
           f'output {_shape(summary["output_shape"])}', line, fmt(rows[0]), line]
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
