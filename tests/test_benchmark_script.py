"""The benchmark script runs end to end (``--quick --dry-run``) and reports every measurement.

The benchmark itself never runs in the test suite and nothing here is timed:
this only proves that ``python benchmarks/run.py`` works, so that its numbers
can be re-measured at any time.
"""

import functools
import importlib.util
import json
import re
import subprocess
import sys

import pytest

from conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "run.py"

MEASUREMENTS = {
    "check_time", "check_memory", "check_time_densenet121", "batch_validation", "scaling_flatness",
    "scaling_largest", "graph_scaling_flatness", "build_vgg16", "build_resnet50", "runtime_train_step",
    "runtime_inference", "runtime_train_step_densenet121", "runtime_train_step_inception_v3",
    # issue 10: EfficientNetB0's check latency; MobileNetV2 and EfficientNetB0 built and run against
    # keras.applications
    "check_time_efficientnet_b0", "build_mobilenet_v2", "build_efficientnet_b0",
    "runtime_train_step_mobilenet_v2", "runtime_inference_mobilenet_v2",
    "runtime_train_step_efficientnet_b0", "runtime_inference_efficientnet_b0",
    # issue 13: the language server's diagnostics and hover, plot's latency
    "lsp_diagnostics", "lsp_hover", "plot_time",
}
RUNTIME_ROWS = sorted(name for name in MEASUREMENTS if name.startswith("runtime_"))
INFORMATIONAL = {"graph_scaling_largest"}  # a value, no target
MACHINE_KEYS = {"cpu_model", "cpu_count", "memory_bytes", "python", "tensorflow", "keras"}


# imports TensorFlow; builds VGG16, ResNet50, DenseNet121, InceptionV3, MobileNetV2 and EfficientNetB0 small
@pytest.mark.slow  # (about 2 minutes on 2 busy cores)
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
    for name in INFORMATIONAL:
        assert rows[name]["error"] is None, (name, rows[name]["error"])
        assert isinstance(rows[name]["value"], (int, float)) and rows[name]["value"] > 0, name
    for name in ("build_vgg16", "build_resnet50", "build_mobilenet_v2", "build_efficientnet_b0"):
        assert rows[name]["details"]["params_equal"] is True, name
    for name in RUNTIME_ROWS:
        details = rows[name]["details"]
        assert details["same_weights"] is True, name
        # every layer's output compared (the layers line up one to one), not only the softmax
        assert details["layer_outputs_compared"] == details["layers"]["keras"] - 1, name  # less the input
    # EfficientNet's adaptable Normalization got statistics that were copied and applied (the layer
    # comparison above would fail otherwise); it takes pixels, 0 to 255 (efficientnet.py: Rescaling(1/255))
    for name in ("runtime_train_step_efficientnet_b0", "runtime_inference_efficientnet_b0"):
        assert rows[name]["details"]["normalization_statistics_copied"] == 1, name
        assert rows[name]["details"]["input_range"] == [0, 255], name
    assert rows["runtime_train_step_mobilenet_v2"]["details"]["normalization_statistics_copied"] == 0
    assert rows["check_time_densenet121"]["details"]["command"][-1] == "specs/densenet121.yaml"
    assert rows["check_time_efficientnet_b0"]["details"]["command"][-1] == "specs/efficientnet_b0.yaml"


@functools.lru_cache(maxsize=None)
def load_script():
    """benchmarks/run.py as a module (it imports no TensorFlow at import time)."""
    spec = importlib.util.spec_from_file_location("benchmark_run", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("blocks", [1, 6, 7, 8, 13, 14, 15, 100])
def test_synthetic_graph_specs_are_valid_graphs(blocks):
    """The graph-scaling specs validate at every size (whole units, and units plus a remainder of
    chained batch norms): no dangling output, no bad reference (spec-v2.md section 1), and the
    spec has exactly ``blocks`` top-level blocks."""
    import modelspec

    run = load_script()
    text = run.synthetic_graph_spec(blocks)
    assert len(re.findall(r"^  - ", text, re.M)) == blocks
    modelspec.loads(text, f"graph_{blocks}.yaml")
    if blocks >= run.GRAPH_UNIT_BLOCKS:  # a unit holds every graph feature the issue names
        for feature in ("input: input", "type: add, inputs: [a0, b0]", "type: concat, inputs: [c0, e0]",
                        "type: parallel", "branches: [[],", "type: sequence"):
            assert feature in text, feature


def test_a_dangling_synthetic_graph_is_rejected():
    """Negative control for the test above: concatenating d0 instead of e0 leaves e0's output
    unused, which spec-v2.md section 1 makes an error; the static pass rejects it."""
    import modelspec

    text = load_script().synthetic_graph_spec(7).replace("inputs: [c0, e0]", "inputs: [c0, d0]")
    with pytest.raises(modelspec.SpecError, match="never used"):
        modelspec.loads(text, "dangling.yaml")


def test_unknown_group_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--dry-run", "--only", "nonsense", "--output", str(tmp_path / "r.json")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "unknown group" in proc.stderr
    assert not (tmp_path / "r.json").exists()


@pytest.mark.slow  # imports TensorFlow; two tiny models (a few seconds)
def test_layer_comparison_catches_normalization_statistics_not_applied():
    """Negative control for the run-time rows' equality check: an adaptable Normalization (EfficientNet's
    stem, keras/src/applications/efficientnet.py) whose statistics were set with ``set_weights`` alone
    still applies 0 and 1 (Normalization.finalize_state makes the constants it applies), and the layer by
    layer comparison says so; copied with the script's ``copy_weights`` the two models agree."""
    import keras
    import numpy as np

    run = load_script()

    def tiny():
        inputs = keras.Input((8, 8, 3))
        x = keras.layers.Rescaling(1 / 255)(inputs)
        x = keras.layers.Normalization()(x)
        x = keras.layers.Conv2D(4, 3)(x)
        x = keras.layers.GlobalAveragePooling2D()(x)
        return keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(x))

    reference, candidate = tiny(), tiny()
    assert run.set_normalization_statistics(reference) == 1
    x = np.random.default_rng(0).uniform(0, 255, (2, 8, 8, 3)).astype(np.float32)
    for ref, cand in zip(reference.layers, candidate.layers):
        cand.set_weights(ref.get_weights())  # no finalize_state
    with pytest.raises(run.BenchmarkError, match="normalization"):
        run.compare_layer_outputs(reference, candidate, x, "tiny")
    assert run.copy_weights(reference, candidate, "tiny") == 3  # the layers with weights: Normalization, Conv2D, Dense
    compared, diff = run.compare_layer_outputs(reference, candidate, x, "tiny")
    assert compared == 5 and diff == 0.0  # every layer but the input
