"""``modelspec plot``: pictures from the static pass, read back through Graphviz itself.

The .dot output is parsed by Graphviz's own ``dot -Tjson`` (clusters, nodes, edges and their
styles), so what is checked is what a user's Graphviz sees. The structures expected come from the
papers the bundled specs cite: GoogLeNet's inception module concatenates four parallel branches
(Szegedy et al. 2015, figure 2b; table 1 gives 3a and 3b 256 and 480 output channels), a residual
block adds a shortcut to its main path (He et al. 2016, figure 2), and U-Net copies four encoder
maps across to the decoder (Ronneberger et al. 2015, figure 1).
"""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import SPECS
from modelspec.cli import main
from test_no_tensorflow import PROBE

DOT = shutil.which("dot")
needs_dot = pytest.mark.skipif(DOT is None, reason="Graphviz's 'dot' is not installed (apt-get install graphviz)")


def plot(tmp_path, spec, suffix, *extra):
    out = tmp_path / f"picture{suffix}"
    status = main(["plot", str(SPECS / spec), "-o", str(out), *extra])
    return status, out


class Drawn:
    """A .dot file as Graphviz reads it: clusters (name -> label, member node names), nodes, edges."""

    def __init__(self, dot_file):
        data = json.loads(subprocess.run([DOT, "-Tjson", str(dot_file)], capture_output=True, check=True,
                                         timeout=120).stdout)
        objects = data["objects"]
        self.nodes = {o["name"]: o["label"].split("\\n") for o in objects if "nodes" not in o}
        by_id = {o["_gvid"]: o for o in objects}
        self.clusters = {o["label"]: {by_id[n]["name"] for n in o.get("nodes", [])}
                         for o in objects if o["name"].startswith("cluster_")}
        self.cluster_labels = [o["label"] for o in objects if o["name"].startswith("cluster_")]
        self.edges = [(by_id[e["tail"]]["name"], by_id[e["head"]]["name"], e.get("style", "solid"), e.get("color"))
                      for e in data.get("edges", [])]

    def node(self, layer: str) -> str:
        (name,) = [n for n, label in self.nodes.items() if label[0] == layer]
        return name

    def into(self, layer: str) -> list:
        target = self.node(layer)
        return [e for e in self.edges if e[1] == target]


@needs_dot
def test_inception_modules_show_four_parallel_branches(tmp_path):
    status, out = plot(tmp_path, "inception_modules.yaml", ".dot")
    assert status == 0
    drawn = Drawn(out)
    for module, channels in (("inception_3a", 256), ("inception_3b", 480)):
        (members,) = [m for label, m in drawn.clusters.items() if label.startswith(f"{module} · inception")]
        concat = drawn.node(f"{module}_concat")
        assert drawn.nodes[concat][1] == f"Concatenate  256×256×{channels}"
        branch_ends = {tail for tail, _, _, _ in drawn.into(f"{module}_concat")}
        assert len(branch_ends) == 4 and branch_ends <= members  # four branches, inside the module's box
        starts = {head for tail, head, _, _ in drawn.edges if head in members and tail not in members}
        assert len(starts) == 4  # each branch starts from the module's input
        assert all(len(drawn.nodes[n]) == 2 and "×" in drawn.nodes[n][1] for n in members)  # class and shape


@needs_dot
def test_residual_shortcut_is_drawn_as_a_skip(tmp_path):
    status, out = plot(tmp_path, "residual_module.yaml", ".dot")
    assert status == 0
    drawn = Drawn(out)
    edges = {drawn.nodes[tail][0]: style for tail, _, style, _ in drawn.into("block1_add")}
    assert edges == {"block1_shortcut": "dashed", "block1_conv2": "solid"}


@needs_dot
def test_unet_copy_and_crop_references_are_visible_at_block_level(tmp_path):
    status, out = plot(tmp_path, "unet.yaml", ".dot", "--level", "blocks")
    assert status == 0
    drawn = Drawn(out)
    assert drawn.clusters == {}
    references = {(drawn.nodes[t][0].split(" · ")[0], drawn.nodes[h][0].split(" · ")[0])
                  for t, h, style, colour in drawn.edges if style == "dashed"}
    for level in (1, 2, 3, 4):
        assert (f"enc{level}_2", f"crop{level}") in references
    crop4 = drawn.nodes[drawn.node("crop4 · crop")]
    assert crop4[1] == "56×56×512"  # figure 1: the 64×64 map cropped to 56×56


@needs_dot
def test_branches_of_a_parallel_block_are_clusters(tmp_path):
    status, out = plot(tmp_path, "inception_v3.yaml", ".dot")
    assert status == 0
    drawn = Drawn(out)
    # Keras' InceptionV3 has eleven mixed blocks (mixed0 ... mixed10), each a concatenation of branches
    mixed = [label for label in drawn.cluster_labels if label.startswith("mixed")]
    assert len(mixed) == 11 and all(" · parallel  (" in label for label in mixed)
    assert drawn.cluster_labels.count("branch 1") >= 11  # every mixed block's branches are boxes (some nest)
    assert len(drawn.into("mixed0_concat")) == 4


def test_mermaid_has_the_same_edges_as_the_summary(tmp_path, capsys):
    status, out = plot(tmp_path, "residual_module.yaml", ".mmd")
    assert status == 0 and capsys.readouterr().out == f"wrote: {out}\n"
    text = out.read_text()
    assert text.splitlines()[3] == "flowchart TB"
    ids = dict(line.strip().split("[", 1)[0:1] + [line.split('"')[1].split("<br/>")[0]]
               for line in text.splitlines() if '["' in line and not line.strip().startswith("subgraph"))
    ids.update({"i0": "input"})
    edges = set()
    for line in text.splitlines():
        for arrow in (" --> ", " -.-> "):
            if arrow in line:
                a, b = line.strip().split(arrow)
                edges.add((ids[a], ids[b]))
    assert main(["summary", "--json", str(SPECS / "residual_module.yaml")]) == 0
    layers = json.loads(capsys.readouterr().out)["layers"]
    assert edges == {(source, layer["name"]) for layer in layers for source in layer["inputs"]}
    assert text.count("subgraph ") == 1 and "linkStyle" in text


@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG\r\n\x1a\n"), (".pdf", b"%PDF")])
def test_rendered_formats(tmp_path, suffix, magic):
    status, out = plot(tmp_path, "inception_modules.yaml", suffix)
    assert status == 0
    assert out.read_bytes().startswith(magic)
    if suffix == ".svg":
        svg = out.read_text()
        assert "inception_3a_5x5_reduce" in svg and "inception_3b_concat" in svg
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_missing_dot_is_named(tmp_path, capsys):
    env_path = os.environ["PATH"]
    os.environ["PATH"] = str(tmp_path)  # no 'dot' here
    try:
        status, out = plot(tmp_path, "inception_modules.yaml", ".svg")
    finally:
        os.environ["PATH"] = env_path
    assert status == 2 and not out.exists()
    err = capsys.readouterr().err
    assert err.startswith(f"{out}: error: writing .svg needs Graphviz's 'dot' program, which is not on the PATH")


@pytest.mark.parametrize("argv, status, message", [
    (["-o", "{tmp}/x.jpeg"], 2, "cannot tell the picture's format from the suffix '.jpeg'"),
    (["-o", "{tmp}/no/such/dir/x.dot"], 2, "no such directory"),
])
def test_usage_errors(tmp_path, capsys, argv, status, message):
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["plot", str(SPECS / "vgg_block.yaml"), *argv]) == status
    assert message in capsys.readouterr().err


def test_bad_spec_leaves_no_file(tmp_path, capsys):
    spec = tmp_path / "bad.yaml"
    spec.write_text("name: bad\ninput: {shape: [8, 8, 3]}\nblocks:\n"
                    "  - {type: vgg, filters: 8, convs: 2, pool_size: 9}\n")
    out = tmp_path / "bad.dot"
    assert main(["plot", str(spec), "-o", str(out)]) == 1
    assert capsys.readouterr().err.startswith(f"{spec}:4:")
    assert not out.exists()


def test_plot_does_not_import_tensorflow(tmp_path):
    argv = ["plot", str(SPECS / "resnet50.yaml"), "-o", str(tmp_path / "r.dot")]
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True,
                            timeout=120)
    assert "IMPORTED: none" in result.stdout, result.stdout + result.stderr
