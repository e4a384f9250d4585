"""Pictures of a model, drawn from the static pass (no TensorFlow): Graphviz DOT and Mermaid.

:func:`picture` turns a :class:`~modelspec.graph.Graph` into a small drawing
description — boxes, clusters and edges — at one of two levels:

* ``layers``: every layer with its class and output shape, inside a cluster per
  top-level block (and, inside a ``parallel``, a cluster per branch);
* ``blocks``: one box per top-level block (or copy of a repeated one) with its
  type, output shape and parameters.

Edges are of three kinds, drawn differently so a reader can tell them apart:
``flow`` (the chain), ``skip`` (into an element-wise merge such as a residual
``Add``, from anything but the layer just before it: a shortcut) and
``reference`` (from a top-level block other than the one just before: ``input:
enc3``, a U-Net copy-and-crop, an auxiliary head). :func:`to_dot` and
:func:`to_mermaid` write the description as text; :func:`render` runs
Graphviz's ``dot`` for ``.svg``, ``.png`` and ``.pdf``.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Callable

from .errors import UsageError
from .graph import Graph

LEVELS = ("layers", "blocks")
ELEMENTWISE_MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum"}

# Fill colour of a layer's box by its Keras class; others are white.
COLOURS = {
    "Conv2D": "#dbe9f6", "DepthwiseConv2D": "#dbe9f6", "SeparableConv2D": "#dbe9f6",
    "Conv2DTranspose": "#dbe9f6", "Dense": "#e6dcf2",
    "MaxPooling2D": "#dcefdc", "AveragePooling2D": "#dcefdc", "GlobalAveragePooling2D": "#dcefdc",
    "GlobalMaxPooling2D": "#dcefdc", "UpSampling2D": "#dcefdc",
    "Add": "#fbe3c8", "Subtract": "#fbe3c8", "Multiply": "#fbe3c8", "Average": "#fbe3c8",
    "Maximum": "#fbe3c8", "Concatenate": "#fbe3c8",
    "BatchNormalization": "#f2f2f2", "LayerNormalization": "#f2f2f2", "Activation": "#f7f7f7",
    "ReLU": "#f7f7f7", "Dropout": "#f7f7f7",
}
INPUT_COLOUR, BLOCK_COLOUR = "#e8e8e8", "#dbe9f6"


def shape_text(shape) -> str:
    """``(224, 224, 64)`` -> ``224×224×64``; an unknown size is ``?``."""
    return "×".join("?" if d is None else str(d) for d in shape)


@dataclass
class Box:
    id: str
    lines: list[str]
    fill: str = "#ffffff"
    kind: str = "layer"  # layer, block, input
    output: bool = False  # a model output: drawn with a double border


@dataclass
class Cluster:
    id: str
    label: str
    boxes: list[str] = field(default_factory=list)
    children: list["Cluster"] = field(default_factory=list)


@dataclass
class Edge:
    source: str
    target: str
    kind: str = "flow"  # flow, skip, reference


@dataclass
class Picture:
    title: str
    boxes: dict[str, Box]
    clusters: list[Cluster]
    edges: list[Edge]


def picture(graph: Graph, name: str, level: str = "layers") -> Picture:
    """The drawing of ``graph`` at ``level`` (``layers`` or ``blocks``)."""
    boxes, edges = {}, []
    for k, (input_name, shape) in enumerate(graph.inputs.items()):
        boxes[f"i{k}"] = Box(f"i{k}", [input_name, shape_text(shape)], INPUT_COLOUR, "input")
    record_of = {}  # node index -> index of its top-level block record
    for r, record in enumerate(graph.blocks):
        for n in range(record.first, record.end):
            record_of[n] = r
    outputs = {t.node for _, t in graph.outputs}
    params = sum(n.params for n in graph.nodes)
    title = f"{name}  ·  {params:,} params"
    if level == "blocks":
        return _blocks(graph, title, boxes, record_of, outputs)
    clusters = []
    for r, record in enumerate(graph.blocks):
        members = graph.nodes[record.first:record.end]
        cluster = Cluster(f"b{r}", f"{record.name} · {record.type}  ({sum(n.params for n in members):,} params)")
        clusters.append(cluster)
        branches: dict[tuple, Cluster] = {}
        for n in range(record.first, record.end):
            node = graph.nodes[n]
            boxes[f"n{n}"] = Box(f"n{n}", [node.name, f"{node.layer.keras_class}  {shape_text(node.output_shape)}"],
                                 COLOURS.get(node.layer.keras_class, "#ffffff"), output=n in outputs)
            _branch_cluster(cluster, branches, node.path).boxes.append(f"n{n}")
            for source in node.inputs:
                edges.append(Edge(_id(source), f"n{n}", _kind(graph, record_of, source, n)))
    return Picture(title, boxes, clusters, edges)


def _id(node: int) -> str:
    return f"i{-node - 1}" if node < 0 else f"n{node}"


def _kind(graph: Graph, record_of: dict[int, int], source: int, target: int) -> str:
    here = record_of[target]
    there = record_of.get(source, -1)  # model inputs count as "before the first block"
    if there not in (here, here - 1):
        return "reference"
    if graph.nodes[target].layer.keras_class in ELEMENTWISE_MERGES and source != target - 1:
        return "skip"
    return "flow"


def _branch_cluster(top: Cluster, branches: dict[tuple, Cluster], path: tuple) -> Cluster:
    """The innermost ``parallel`` branch cluster that spec ``path`` lies in (``top`` when none)."""
    cluster, prefix = top, ()
    for i, part in enumerate(path):
        prefix += (part,)
        if i >= 1 and path[i - 1] == "branches" and isinstance(part, int):
            if prefix not in branches:
                branches[prefix] = Cluster(f"{top.id}_{'_'.join(map(str, prefix[2:]))}", f"branch {part + 1}")
                cluster.children.append(branches[prefix])
            cluster = branches[prefix]
    return cluster


def _blocks(graph: Graph, title: str, boxes: dict[str, Box], record_of: dict[int, int],
            outputs: set[int]) -> Picture:
    edges, seen = [], set()
    output_records = {record_of[n] for n in outputs}
    for r, record in enumerate(graph.blocks):
        members = graph.nodes[record.first:record.end]
        macs = [n.macs for n in members]
        lines = [f"{record.name} · {record.type}", shape_text(record.output.shape),
                 f"{sum(n.params for n in members):,} params"
                 + ("" if None in macs else f" · {_short(sum(macs))} MACs")]
        boxes[f"b{r}"] = Box(f"b{r}", lines, BLOCK_COLOUR, "block", output=r in output_records)
        for n in range(record.first, record.end):
            for source in graph.nodes[n].inputs:
                there = record_of.get(source)
                if there == r:
                    continue
                source_id = _id(source) if there is None else f"b{there}"
                if (source_id, r) not in seen:
                    seen.add((source_id, r))
                    kind = "flow" if (there if there is not None else -1) == r - 1 else "reference"
                    edges.append(Edge(source_id, f"b{r}", kind))
    return Picture(title, boxes, [], edges)


def _short(count: int) -> str:
    for unit, size in (("G", 10**9), ("M", 10**6), ("K", 10**3)):
        if count >= size:
            return f"{count / size:.3g}{unit}"
    return str(count)


# ---------------------------------------------------------------- text formats

_DOT_EDGE = {"flow": "", "skip": ' [style=dashed, color="#c0392b", penwidth=1.4]',
             "reference": ' [style=dashed, color="#2471a3", penwidth=1.4]'}


def _quote(*lines: str) -> str:
    """A DOT string of ``lines``, one per line of the label."""
    return '"' + "\\n".join(line.replace("\\", "\\\\").replace('"', '\\"') for line in lines) + '"'

def to_dot(pic: Picture) -> str:
    """Graphviz DOT: clusters for blocks and branches, one box per layer (or block)."""
    kinds = {e.kind for e in pic.edges}
    legend = [text for kind, text in (("skip", "red dashed: shortcut into a merge"),
                                      ("reference", "blue dashed: from an earlier block, by name")) if kind in kinds]
    legend.append("double border: a model output")
    title = [pic.title, "  ·  ".join(legend)]
    out = [f"digraph {_quote(pic.title.split()[0])} {{",
           f"  graph [rankdir=TB, label={_quote(*title)}, labelloc=t, fontname=Helvetica, fontsize=14, "
           "newrank=true, nodesep=0.25, ranksep=0.35];",
           '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=10, color="#5d6d7e"];',
           '  edge [color="#566573", arrowsize=0.6];']

    def box(b: Box, indent: str) -> str:
        shape = ", shape=ellipse" if b.kind == "input" else ""
        border = ", peripheries=2" if b.output else ""
        return f"{indent}{b.id} [label={_quote(*b.lines)}, fillcolor={_quote(b.fill)}{shape}{border}];"

    def cluster(c: Cluster, indent: str) -> None:
        out.append(f"{indent}subgraph cluster_{c.id} {{")
        out.append(f'{indent}  label={_quote(c.label)}; labeljust=l; fontsize=11; style="rounded,filled"; '
                   f'fillcolor="{"#f8f9f9" if c.id.count("_") == 0 else "#eef3f8"}"; color="#aab7b8";')
        out.extend(box(pic.boxes[b], indent + "  ") for b in c.boxes)
        for child in c.children:
            cluster(child, indent + "  ")
        out.append(f"{indent}}}")

    clustered = {b for c in _walk(pic.clusters) for b in c.boxes}
    out.extend(box(b, "  ") for b in pic.boxes.values() if b.id not in clustered)
    for c in pic.clusters:
        cluster(c, "  ")
    out.extend(f"  {e.source} -> {e.target}{_DOT_EDGE[e.kind]};" for e in pic.edges)
    out.append("}")
    return "\n".join(out) + "\n"


def _walk(clusters: list[Cluster]):
    for c in clusters:
        yield c
        yield from _walk(c.children)


_MERMAID_EDGE = {"flow": "-->", "skip": "-.->", "reference": "-.->"}


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(pic: Picture) -> str:
    """Mermaid ``flowchart``: subgraphs for blocks and branches; skips and references dotted."""
    out = ["---", f"title: {pic.title}", "---", "flowchart TB"]

    def box(b: Box, indent: str) -> str:
        label = _mermaid_text("<br/>".join(b.lines))
        if b.kind == "input":
            return f'{indent}{b.id}(["{label}"])'
        return f'{indent}{b.id}[["{label}"]]' if b.output else f'{indent}{b.id}["{label}"]'

    def cluster(c: Cluster, indent: str) -> None:
        out.append(f'{indent}subgraph {c.id}["{_mermaid_text(c.label)}"]')
        out.append(f"{indent}  direction TB")
        out.extend(box(pic.boxes[b], indent + "  ") for b in c.boxes)
        for child in c.children:
            cluster(child, indent + "  ")
        out.append(f"{indent}end")

    clustered = {b for c in _walk(pic.clusters) for b in c.boxes}
    out.extend(box(b, "  ") for b in pic.boxes.values() if b.id not in clustered)
    for c in pic.clusters:
        cluster(c, "  ")
    out.extend(f"  {e.source} {_MERMAID_EDGE[e.kind]} {e.target}" for e in pic.edges)
    styled = [i for i, e in enumerate(pic.edges) if e.kind != "flow"]
    for kind, colour in (("skip", "#c0392b"), ("reference", "#2471a3")):
        ids = [str(i) for i in styled if pic.edges[i].kind == kind]
        if ids:
            out.append(f"  linkStyle {','.join(ids)} stroke:{colour},stroke-width:2px")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- files

TEXT_FORMATS: dict[str, Callable[[Picture], str]] = {".dot": to_dot, ".gv": to_dot, ".mmd": to_mermaid}
DOT_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf"}


def suffixes() -> list[str]:
    return sorted(TEXT_FORMATS) + sorted(DOT_FORMATS)


def writer(out) -> Callable[[Picture], Callable[[str], None]]:
    """For an output path, a function from a picture to a ``write(tmp_path)`` (for cli._write_atomically).

    Raises :class:`UsageError` for a suffix it cannot write, and, before any work, when the suffix
    needs Graphviz's ``dot`` and it is not on the PATH.
    """
    suffix = out.suffix.lower()
    if suffix in TEXT_FORMATS:
        text_of = TEXT_FORMATS[suffix]
        return lambda pic: lambda tmp: _write_text(tmp, text_of(pic))
    if suffix in DOT_FORMATS:
        dot = shutil.which("dot")
        if dot is None:
            raise UsageError(out, f"writing {suffix} needs Graphviz's 'dot' program, which is not on the PATH; "
                             "install Graphviz (apt-get install graphviz, brew install graphviz) or write .dot "
                             "or .mmd")
        return lambda pic: lambda tmp: _run_dot(dot, DOT_FORMATS[suffix], to_dot(pic), tmp, out)
    raise UsageError(out, f"cannot tell the picture's format from the suffix {suffix or '(none)'!r}; use one of "
                     + ", ".join(suffixes()))


def _write_text(tmp: str, text: str) -> None:
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


def _run_dot(dot: str, fmt: str, text: str, tmp: str, out) -> None:
    try:
        result = subprocess.run([dot, f"-T{fmt}", "-o", tmp], input=text.encode("utf-8"),
                                capture_output=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise UsageError(out, f"Graphviz's 'dot' could not run: {e}") from None
    if result.returncode != 0:
        why = result.stderr.decode(errors="replace").strip().splitlines()
        raise UsageError(out, f"Graphviz's 'dot' failed (exit {result.returncode}): "
                         f"{why[-1] if why else 'no message'}")


def plot(graph: Graph, name: str, out, level: str = "layers") -> Callable[[str], None]:
    """The ``write(tmp)`` that draws ``graph`` into a file like ``out``."""
    return writer(out)(picture(graph, name, level))


__all__ = ["LEVELS", "Picture", "picture", "plot", "suffixes", "to_dot", "to_mermaid", "writer"]
