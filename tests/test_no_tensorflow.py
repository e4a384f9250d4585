"""validate, summary and schema never import TensorFlow or Keras (the contract's CLI table)."""

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
