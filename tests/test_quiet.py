"""``build`` holds back TensorFlow's known start-up lines and passes everything else through.

The known lines are the ones TensorFlow 2.x writes while it loads (copied from its own output:
absl's pre-InitializeLog warning, oneDNN's notice, the CUDA probes, the CPU feature notice).
"""

import os
import subprocess
import sys

import pytest

from conftest import SPECS
from modelspec.quiet import is_known

TF_START_UP = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796180732.050973    3834 port.cc:153] oneDNN custom operations are on. You may see slightly "
    "different numerical results due to floating-point round-off errors from different computation orders. To "
    "turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.",
    "I0000 00:00:1796180732.052071    3834 cudart_stub.cc:31] Could not find cuda drivers on your machine, GPU "
    "will not be used.",
    "E0000 00:00:1796180735.826023    3834 cuda_platform.cc:52] failed call to cuInit: INTERNAL: CUDA error: "
    "Failed call to cuInit: UNKNOWN ERROR (303)",
    "I0000 00:00:1796180738.329583    3936 cpu_feature_guard.cc:227] This TensorFlow binary is optimized to use "
    "available CPU instructions in performance-critical operations.",
]
KEPT = [
    "modelspec: error: something that matters",
    "/x/keras/src/layers/layer.py:1: UserWarning: a warning of the user's own doing",
    "E0000 00:00:1796180735.826023    3834 some_other.cc:52] an error TensorFlow really reports",
    "To enable the following instructions: AVX2, in other operations, rebuild TensorFlow",  # only after the notice
]

CHILD = """
import os, sys
from modelspec.quiet import start_up_filtered
lines = {lines!r}
with start_up_filtered(verbose={verbose}):
    for line in lines:
        os.write(2, (line + "\\n").encode())  # as C++ writes: straight to descriptor 2
    print("from python", file=sys.stderr)
print("after", file=sys.stderr)
"""


@pytest.mark.parametrize("line", TF_START_UP)
def test_known_start_up_lines(line):
    assert is_known(line)


@pytest.mark.parametrize("line", KEPT)
def test_other_lines_are_not_known(line):
    assert not is_known(line)


def run_child(lines, verbose=False):
    result = subprocess.run([sys.executable, "-c", CHILD.format(lines=lines, verbose=verbose)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stderr.splitlines()


def test_the_filter_drops_only_known_lines_in_order():
    notice = TF_START_UP[-1]
    continuation = "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with the " \
                   "appropriate compiler flags."
    mixed = [TF_START_UP[0], KEPT[0], TF_START_UP[1], notice, continuation, KEPT[1], TF_START_UP[3], KEPT[2], KEPT[3]]
    assert run_child(mixed) == [KEPT[0], KEPT[1], KEPT[2], KEPT[3], "from python", "after"]


def test_verbose_passes_everything():
    assert run_child(TF_START_UP, verbose=True) == TF_START_UP + ["from python", "after"]


@pytest.mark.slow
def test_build_shows_no_start_up_noise_and_verbose_shows_it(tmp_path):
    bare = subprocess.run([sys.executable, "-c", "import tensorflow as tf; tf.config.list_physical_devices()"],
                          capture_output=True, text=True, timeout=300)
    noise = [line for line in bare.stderr.splitlines() if line.strip()]
    if not noise:
        pytest.skip("this TensorFlow writes nothing while it loads: nothing to hold back")
    assert all(is_known(line) or line.startswith("To enable the following instructions") for line in noise), noise

    def build(*extra):
        return subprocess.run([sys.executable, "-m", "modelspec", "build", str(SPECS / "vgg_block.yaml"), "-o",
                               str(tmp_path / "m.keras"), *extra], capture_output=True, text=True, timeout=300,
                              env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})

    quiet = build()
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stderr == "" and "saved: " in quiet.stdout
    loud = build("--verbose")
    assert loud.returncode == 0, loud.stderr
    assert any(is_known(line) for line in loud.stderr.splitlines()), loud.stderr
