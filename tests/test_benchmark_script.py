"""The benchmark script runs end to end (``--quick --dry-run``) and reports every measurement.

The benchmark itself never runs in the test suite and nothing here is timed:
this only proves that ``python benchmarks/run.py`` works, so that its numbers
can be re-measured at any time.
"""

import json
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "run.py"

MEASUREMENTS = {
    "check_time", "check_memory", "batch_validation", "scaling_flatness", "scaling_largest",
    "build_vgg16", "build_resnet50", "runtime_train_step", "runtime_inference",
}
MACHINE_KEYS = {"cpu_model", "cpu_count", "memory_bytes", "python", "tensorflow", "keras"}


@pytest.mark.slow  # imports TensorFlow and builds VGG16 and ResNet50 at 32x32 (about a minute)
def test_quick_dry_run_reports_every_measurement(tmp_path):
    output = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--dry-run", "--output", str(output)],
        cwd=tmp_path, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "measurement" in proc.stdout and "target" in proc.stdout  # the table

    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["mode"] == "dry-run"
    assert MACHINE_KEYS <= set(data["machine"])
    rows = {row["id"]: row for row in data["measurements"]}
    assert MEASUREMENTS <= set(rows)
    for name in MEASUREMENTS:
        row = rows[name]
        assert row["error"] is None, (name, row["error"])
        assert isinstance(row["value"], (int, float)) and row["value"] > 0, name
        assert isinstance(row["ratio"], (int, float)) and row["ratio"] > 0, name
        assert isinstance(row["passed"], bool), name
        assert row["target"], name
    assert rows["build_vgg16"]["details"]["params_equal"] is True
    assert rows["build_resnet50"]["details"]["params_equal"] is True


def test_unknown_group_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--only", "nonsense", "--output", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown group" in proc.stderr
    assert not (tmp_path / "r.json").exists()
