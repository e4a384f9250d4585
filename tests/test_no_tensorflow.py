"""validate, summary and schema never import TensorFlow or Keras (the contract's CLI table).

Also for v2 graphs: spec-v2 section 1 says unknown / later / self references, sibling-branch
references, dangling outputs and bad ``outputs`` are caught by the static pass, so a bad graph is
refused (exit 1, one located line) and a good one summarised without TensorFlow.
"""

import subprocess
import sys

import pytest

from conftest import ROOT, SPECS

PROBE = """
import sys
from modelspec.cli import main
status = main({argv!r})
heavy = sorted(m for m in ("tensorflow", "keras") if m in sys.modules)
print("IMPORTED:", ",".join(heavy) or "none")
sys.exit(status)
"""


@pytest.mark.parametrize("argv", [
    ["validate", str(SPECS / "multiple_vgg_blocks.yaml"), str(SPECS / "residual_module.yaml")],
    ["summary", str(SPECS / "inception_modules.yaml")],
    ["summary", "--json", str(SPECS / "naive_inception.yaml")],
    ["schema"],
    ["validate", str(ROOT / "tests" / "no-such-spec.yaml")],
])
def test_command_does_not_import_tensorflow(argv):
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)],
                            capture_output=True, text=True, timeout=120)
    assert "IMPORTED: none" in result.stdout, result.stdout + result.stderr


def test_probe_can_see_a_tensorflow_import(tmp_path):
    # The probe is meaningful: the same probe around `build` does see TensorFlow and Keras.
    argv = ["build", str(SPECS / "vgg_block.yaml"), "-o", str(tmp_path / "m.keras")]
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=argv)],
                            capture_output=True, text=True, timeout=300)
    assert "IMPORTED: keras,tensorflow" in result.stdout, result.stdout + result.stderr


def test_importing_the_package_does_not_import_tensorflow():
    code = "import sys, modelspec; print('tensorflow' in sys.modules or 'keras' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "False"


# A graph that uses every v2 construct the static pass handles: two named inputs, `input:` and
# `inputs:` references, a parallel nested in a parallel branch (squeeze-and-excitation as data),
# the merges, dense_block, transition, preact_bottleneck, conv_transpose, crop, upsample, reshape.
GOOD_GRAPH = """\
name: graph_probe
inputs:
  image: {shape: [32, 32, 3]}
  meta: {shape: [8]}
blocks:
  - {name: enc, type: conv, filters: 8, kernel_size: 3, padding: same, batch_norm: true, input: image}
  - {name: down, type: max_pool}
  - type: parallel
    name: mixed
    merge: concat
    branches:
      - []
      - - {type: conv, filters: 4, kernel_size: 1}
        - type: parallel
          merge: multiply
          branches:
            - []
            - - {type: global_avg_pool, keepdims: true}
              - {type: conv, filters: 4, kernel_size: 1, activation: sigmoid}
  - {name: dense, type: dense_block, layers: 2, growth_rate: 4}
  - {name: trans, type: transition}
  - {name: pre, type: preact_bottleneck, filters: 2}
  - {name: up, type: conv_transpose, filters: 8, kernel_size: 2, strides: 2}
  - {name: skip, type: crop, cropping: 8, input: enc}
  - {name: cat, type: concat, inputs: [skip, up]}
  - {type: upsample, size: 2}
  - {type: global_avg_pool, name: pooled}
  - {type: concat, inputs: [pooled, meta]}
  - {type: reshape, shape: [-1, 4]}
  - {type: dense, units: 3, name: out}
outputs: [out]
"""

# Each bad graph differs from GOOD_GRAPH in one line; the error is found by the static pass.
BAD_GRAPHS = {
    "unknown-reference": ("input: enc}", "input: enk}", "unknown name 'enk'; did you mean 'enc'?"),
    "later-reference": ("input: enc}", "input: pooled}", "which comes later"),
    "dangling-output": ("inputs: [skip, up]", "inputs: [skip, skip]", "the output of 'up' is never used"),
    "merge-shapes": ("cropping: 8,", "cropping: 7,", "must agree on every other axis"),
    "bad-outputs": ("outputs: [out]", "outputs: [out, meta]", "'meta' is a model input"),
}


GRAPH_RUNS = [(name, command) for name in ["good", *BAD_GRAPHS]
              for command in (["validate"], ["summary", "--json"])] + [("good", ["summary"])]


@pytest.mark.parametrize("name, command", GRAPH_RUNS, ids=[f"{n}-{'-'.join(c)}" for n, c in GRAPH_RUNS])
def test_graph_spec_is_checked_without_tensorflow(tmp_path, name, command):
    text = GOOD_GRAPH
    if name != "good":
        old, new, message = BAD_GRAPHS[name]
        assert text.count(old) == 1
        text = text.replace(old, new)
    spec = tmp_path / "graph.yaml"
    spec.write_text(text)
    result = subprocess.run([sys.executable, "-c", PROBE.format(argv=[*command, str(spec)])],
                            capture_output=True, text=True, timeout=120)
    assert "IMPORTED: none" in result.stdout, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    if name == "good":
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 1, result.stdout + result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"{spec}:") and ": error: " in line and message in line, line
