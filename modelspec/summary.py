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


TEXTCONV_WIDTHS = (32, 22, 18, 13, 17, 24)  # wide enough that most edits do not re-align the whole table


def render_text(summary: dict, min_widths: tuple[int, ...] = (0, 0, 0, 0, 0, 0)) -> str:
    """A layer table grouped by block, like Keras' summary: name, class, output shape, params, MACs, connected to.

    Each top-level block (or copy of a repeated one) gets a row with its type, output shape and
    subtotals, its layers indented beneath it; a block that is one layer of its own name is that
    layer's row alone. ``min_widths`` (git's textconv: :data:`TEXTCONV_WIDTHS`) keeps columns from
    re-aligning when one name grows. "Connected to" lists the layers (or model inputs) a layer takes, as Keras'
    ``model.summary()`` does for functional models. Totals close the table.
    """
    head = ("Layer", "Class", "Output shape", "Params", "MACs", "Connected to")
    layers_of: dict[str, list] = {}
    for r in summary["layers"]:
        layers_of.setdefault(r["block"], []).append(r)
    groups = []  # (block row or None, layer rows)
    for block in summary["blocks"]:
        members = layers_of.pop(block["name"], [])
        rows = [(r["name"], r["class"], _shape(r["output_shape"]), _count(r["params"]), _count(r["macs"]),
                 ", ".join(r["inputs"])) for r in members]
        if len(members) == 1 and members[0]["name"] == block["name"]:
            groups.append((None, rows))
        else:
            groups.append(((block["name"], block["type"], _shape(block["output_shape"]), _count(block["params"]),
                            _count(block["macs"]), ""), [("  " + row[0],) + row[1:] for row in rows]))
    for members in layers_of.values():  # layers of no top-level block (none today): listed as they are
        groups.append((None, [(r["name"], r["class"], _shape(r["output_shape"]), _count(r["params"]),
                               _count(r["macs"]), ", ".join(r["inputs"])) for r in members]))
    every = [head] + [row for header, rows in groups for row in ([header] if header else []) + rows]
    widths = [max([min_widths[i]] + [len(row[i]) for row in every]) for i in range(len(head))]
    line = "  ".join("-" * w for w in widths)

    def fmt(row):
        cells = [cell.rjust(w) if i in (3, 4) else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))]
        return "  ".join(cells).rstrip()

    params = summary["params"]
    inputs = ", ".join(f"{name} {_shape(shape)}" for name, shape in summary["inputs"].items())
    outputs = ", ".join(f"{o['name']} {_shape(o['shape'])}" for o in summary["outputs"])
    out = [f'Model: "{summary["name"]}"  inputs: {inputs} -> outputs: {outputs}', line, fmt(head), line]
    for k, (header, rows) in enumerate(groups):
        if header is not None:
            if k and out[-1] != "":
                out.append("")
            out.append(fmt(header))
        out += [fmt(row) for row in rows]
        if header is not None and k + 1 < len(groups):
            out.append("")
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
