"""modelspec expand (the resolved spec, which compiles to the same model) and modelspec diff (an
architecture diff for review, with diff(1)'s exit statuses)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import modelspec
from modelspec.cli import main

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p for p in (ROOT / "specs").rglob("*") if p.suffix in (".yaml", ".json")
               and "modules" not in p.parts)


def _layers(graph) -> list[tuple]:
    return [(n.name, n.layer, [graph.source_name(i) for i in n.inputs], n.output_shape, n.trainable,
             n.non_trainable) for n in graph.nodes]


def _expand(path: Path, tmp_path: Path, capsys) -> Path:
    assert main(["expand", str(path)]) == 0
    out = tmp_path / f"{path.stem}.expanded.yaml"
    out.write_text(capsys.readouterr().out, encoding="utf-8")
    return out


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(ROOT / "specs")))
def test_expand_gives_a_spec_with_identical_layers(path, tmp_path, capsys):
    expanded = _expand(path, tmp_path, capsys)
    text = expanded.read_text()
    assert "extends:" not in text and "patch:" not in text and "modules:" not in text and "defaults:" not in text
    _, before = modelspec.check(str(path))
    _, after = modelspec.check(str(expanded))
    assert _layers(after) == _layers(before)
    assert after.outputs == before.outputs and after.inputs == before.inputs
    assert main(["diff", str(path), str(expanded)]) == 0  # the same architecture
    assert "same architecture" in capsys.readouterr().out
    # expanding the expanded spec changes nothing
    assert main(["expand", str(expanded)]) == 0
    assert capsys.readouterr().out == text


@pytest.mark.slow
@pytest.mark.parametrize("name", ["experiments/squeezenet1_1", "experiments/googlenet_no5x5", "unet"])
def test_expanded_spec_builds_to_an_identical_keras_model(name, tmp_path, capsys):
    path = ROOT / "specs" / f"{name}.yaml"
    a, b = modelspec.build(path), modelspec.build(_expand(path, tmp_path, capsys))
    describe = lambda m: [(layer.name, type(layer).__name__, [tuple(w.shape) for w in layer.weights])
                          for layer in m.layers]
    assert describe(a) == describe(b)
    assert [tuple(t.shape) for t in a.outputs] == [tuple(t.shape) for t in b.outputs]


# --------------------------------------------------------------------------- diff

BASE = """\
name: net
input: {shape: [32, 32, 3]}
blocks:
  - {name: stem, type: conv, filters: 16, kernel_size: 3, padding: same, activation: relu}
  - {name: mid, type: conv, filters: 16, kernel_size: 3, padding: same, activation: relu}
  - {name: pool, type: global_avg_pool}
  - {name: head, type: dense, units: 10}
"""

CHANGES = {
    # name -> (the new text, exit status, what the JSON diff must say)
    "identical": (BASE, 0, {"blocks": {"added": [], "removed": [], "renamed": [], "changed": []}}),
    "written-differently": (BASE.replace("{name: mid, type: conv, filters: 16, kernel_size: 3, padding: same, "
                                         "activation: relu}",
                                         "{name: mid, type: conv, filters: 16, kernel_size: [3, 3], "
                                         "padding: same, activation: relu, strides: 1}"), 0, {}),
    "renamed": (BASE.replace("name: mid", "name: middle"), 1,
                {"blocks": {"renamed": [{"before": "mid", "after": "middle", "type": "conv"}]},
                 "layers": {"renamed": [{"before": "mid", "after": "middle"}]}}),
    "widened": (BASE.replace("name: mid, type: conv, filters: 16", "name: mid, type: conv, filters: 32"), 1,
                {"params": {"before": 448 + 2320 + 170, "after": 448 + 4640 + 330, "delta": 4640 + 330 - 2320 - 170}}),
    "deepened": (BASE.replace("  - {name: pool", "  - {name: mid2, type: conv, filters: 16, kernel_size: 3, "
                              "padding: same, activation: relu}\n  - {name: pool"), 1,
                 {"blocks": {"added": [{"name": "mid2", "type": "conv", "output_shape": [32, 32, 16],
                                        "params": 2320, "macs": 2359296, "after": "mid"}]}}),
    "re-wired": (BASE.replace("name: head, type: dense, units: 10", "name: head, type: dense, units: 10")
                 .replace("  - {name: pool, type: global_avg_pool}",
                          "  - {name: skip, type: add, inputs: [stem, mid]}\n  - {name: pool, type: global_avg_pool}"),
                 1, {}),
}


def _subset(small, big) -> bool:
    if isinstance(small, dict):
        return isinstance(big, dict) and all(k in big and _subset(v, big[k]) for k, v in small.items())
    if isinstance(small, list) and small and isinstance(small[0], dict):
        return all(any(_subset(s, b) for b in big) for s in small)
    return small == big


@pytest.mark.parametrize("case", sorted(CHANGES))
def test_diff(tmp_path, capsys, case):
    new, status, expected = CHANGES[case]
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(new)
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--json"]) == status
    result = json.loads(capsys.readouterr().out)
    assert result["same"] is (status == 0)
    assert _subset(expected, result), result
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]) == status
    text = capsys.readouterr().out
    assert text.startswith(f"--- {tmp_path / 'a.yaml'} (net)\n+++ {tmp_path / 'b.yaml'} (net)\n")


def test_rewired_layers_name_their_old_and_new_inputs(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(CHANGES["re-wired"][0])
    main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--json"])
    result = json.loads(capsys.readouterr().out)
    pool = next(c for c in result["layers"]["changed"] if c["name"] == "pool")
    assert pool["inputs"] == {"before": ["mid"], "after": ["skip"]}


def test_widened_block_lists_the_changed_field_and_the_moved_figures(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "b.yaml").write_text(CHANGES["widened"][0])
    main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")])
    text = capsys.readouterr().out
    assert "~ mid (conv): filters: 16 -> 32; output (32, 32, 16) -> (32, 32, 32); params 2,320 -> 4,640" in text
    assert "~ head: params 170 -> 330 (+160, +94.1%)" in text


def test_diff_of_an_invalid_or_missing_spec_is_trouble_exit_2(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(BASE)
    (tmp_path / "bad.yaml").write_text(BASE.replace("units: 10", "units: 0"))
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "bad.yaml")]) == 2
    assert "bad.yaml:7:38: error: blocks[3].units" in capsys.readouterr().err
    assert main(["diff", str(tmp_path / "a.yaml"), str(tmp_path / "nowhere.yaml")]) == 2


def test_changing_a_base_shows_which_experiments_change_and_by_how_much(tmp_path):
    """As a user would: widen one block of a bundled base, then validate and diff its experiments."""
    specs = tmp_path / "specs"
    shutil.copytree(ROOT / "specs", specs)
    before = tmp_path / "resnet50.before.yaml"
    shutil.copy(specs / "resnet50.yaml", before)
    text = (specs / "resnet50.yaml").read_text()
    (specs / "resnet50.yaml").write_text(text.replace("{name: conv1, type: conv, filters: 64,",
                                                      "{name: conv1, type: conv, filters: 80,"))
    run = lambda *args: subprocess.run([sys.executable, "-m", "modelspec", *args], capture_output=True, text=True,
                                       cwd=tmp_path)
    result = run("validate", *sorted(str(p) for p in (specs / "experiments").glob("*.yaml")))
    assert result.returncode == 1
    # only the experiment that extends resnet50 moves; its expect names the figure and the file and line
    failing = [line for line in result.stderr.splitlines() if "error:" in line]
    assert all("resnet50_cifar10.yaml" in line for line in failing) and failing
    assert any("expect.params: expected params 23,600,522, got" in line for line in failing)
    assert result.stdout.count("ok: ") == 3
    # diff of the old and the new base says by how much
    result = run("diff", str(before), str(specs / "resnet50.yaml"))
    assert result.returncode == 1
    assert "~ conv1 (conv): filters: 64 -> 80" in result.stdout
    assert "params: 25,636,712 -> " in result.stdout


def test_diff_of_two_revisions_from_git(tmp_path):
    """The review workflow: ``git show HEAD~1:spec > old.yaml`` and ``modelspec diff old.yaml spec``."""
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = lambda *args: subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, check=True)
    run(git, "init", "-q")
    (tmp_path / "net.yaml").write_text(BASE)
    run(git, "add", "net.yaml")
    run(git, "commit", "-qm", "base")
    (tmp_path / "net.yaml").write_text(CHANGES["deepened"][0])
    run(git, "commit", "-qam", "deeper")
    (tmp_path / "old.yaml").write_text(run(git, "show", "HEAD~1:net.yaml").stdout)
    result = subprocess.run([sys.executable, "-m", "modelspec", "diff", "old.yaml", "net.yaml"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "+ mid2 (conv) after mid: (32, 32, 16), 2,320 params" in result.stdout
