"""tf.distribute: every variable under the strategy's scope.

* MirroredStrategy over the CPU split into two logical devices: each weight and optimizer slot is
  mirrored on both, and the loss falls (a model built without the strategy is the control).
* Two ``modelspec fit`` processes on 127.0.0.1 under MultiWorkerMirroredStrategy (TF_CONFIG): both
  finish, only the chief writes the model, and both end with the same weights.
"""

import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import ROOT
from image_folders import squares
from modelspec.cli import STRATEGIES as CLI_STRATEGIES

pytestmark = pytest.mark.slow

SPEC = """\
name: tiny
input: {shape: [8, 8, 1]}
blocks:
  - {type: rescale, scale: 0.00392156862745098}
  - {type: conv, filters: 4, kernel_size: 3, activation: relu}
  - {type: flatten}
  - {type: dense, units: 2, activation: softmax}
training:
  optimizer: {class: sgd, learning_rate: 0.1, momentum: 0.9}
  loss: sparse_categorical_crossentropy
  metrics: [accuracy]
  epochs: 3
  batch_size: 8
"""

MIRRORED = """
import json, sys
import tensorflow as tf
cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
import numpy as np
import modelspec

spec = modelspec.loads(sys.argv[1])
strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
model = modelspec.build(spec, strategy=strategy)
control = modelspec.build(spec)
rng = np.random.default_rng(0)
x = rng.integers(0, 256, (256, 8, 8, 1)).astype("float32")
y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int32")
history = model.fit(tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=4, verbose=0).history

def devices(variable):
    inner = getattr(variable, "value", variable)
    if not isinstance(inner, tf.distribute.DistributedValues):
        return None
    return sorted(v.device.rsplit("/", 1)[-1] for v in inner.values)

print(json.dumps({
    "replicas": strategy.num_replicas_in_sync,
    "weights": [devices(v) for v in model.weights],
    "slots": [devices(v) for v in model.optimizer.variables],
    "control": [devices(v) for v in control.weights],
    "loss": history["loss"],
}))
"""


def test_mirrored_strategy_mirrors_every_variable_and_trains():
    result = subprocess.run([sys.executable, "-c", MIRRORED, SPEC], capture_output=True, text=True, timeout=300,
                            cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    both = ["device:CPU:0", "device:CPU:1"]
    assert report["replicas"] == 2
    assert len(report["weights"]) == 4 and all(d == both for d in report["weights"])  # conv and dense
    assert report["slots"] and all(d == both for d in report["slots"])  # iterations, momentum slots
    assert report["control"] == [None] * 4  # built without the strategy: plain variables
    assert report["loss"][-1] < report["loss"][0]


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_train_together_and_only_the_chief_saves(tmp_path):
    spec = tmp_path / "tiny.yaml"
    spec.write_text(SPEC)
    data = squares(tmp_path / "data", classes=2, per_class=40)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        out = tmp_path / f"worker{index}" / "model.keras"
        out.parent.mkdir()
        argv = [sys.executable, "-m", "modelspec", "fit", str(spec), "--data", str(data), "-o", str(out),
                "--history", str(out.parent / "history.json"), "--strategy", "multi-worker", "--verbose", "2"]
        workers.append((out, subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                              cwd=ROOT, env=env)))
    digests = []
    for out, process in workers:
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-3000:]
        assert "strategy multi-worker (2 replica(s))" in stdout
        assert "Epoch 3/3" in stdout
        (summary,) = [line for line in stdout.splitlines() if line.startswith("fit: tiny: 3 epoch(s)")]
        digests.append(summary.rsplit("sha256:", 1)[1])
    (chief_out, _), (other_out, _) = workers
    assert chief_out.exists() and (chief_out.parent / "history.json").exists()
    assert list(other_out.parent.iterdir()) == []  # worker 1 is not the chief: it writes nothing
    assert digests[0] == digests[1]  # the same weights on both workers
    assert json.loads((chief_out.parent / "history.json").read_text())["weights_sha256"].startswith(digests[0])


def test_cli_and_library_name_the_same_strategies():
    from modelspec.distribute import STRATEGIES
    from modelspec.training import STRATEGIES as SECTION

    assert tuple(STRATEGIES) == CLI_STRATEGIES == SECTION
