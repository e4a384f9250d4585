"""``modelspec fit``: a folder that does not fit the spec is refused before TensorFlow loads; a real run
on PNG folders trains with Keras' progress output, validation metrics, overrides, an atomic ``-o``
and a history file; a run killed with SIGKILL after its first epoch resumes at the second; the
README's digits demo reaches 95% validation accuracy.
"""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SPECS
from image_folders import squares

TINY = """\
name: tiny
input: {{shape: [{side}, {side}, {channels}]}}
blocks:
  - {{type: rescale, scale: 0.00392156862745098}}
  - {{type: conv, filters: 8, kernel_size: 3, padding: same, activation: relu}}
  - {{type: global_avg_pool}}
  - {{type: dense, units: {units}, activation: softmax}}
training:
  optimizer: {{class: adam, learning_rate: 0.01}}
  loss: {loss}
  metrics: [accuracy]
  epochs: {epochs}
  batch_size: 8
"""

PROBE = """
import sys
from modelspec.cli import main
status = main(sys.argv[1:])
print("IMPORTED:", ",".join(m for m in ("tensorflow", "keras") if m in sys.modules) or "none")
sys.exit(status)
"""


def tiny(tmp_path, *, side=8, channels=1, units=2, loss="sparse_categorical_crossentropy", epochs=2):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.format(side=side, channels=channels, units=units, loss=loss, epochs=epochs))
    return path


def probe(*argv, timeout=300, env=None):
    return subprocess.run([sys.executable, "-c", PROBE, *map(str, argv)], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=env)


def folder_cases(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    no_images = tmp_path / "no_images"
    (no_images / "a").mkdir(parents=True)
    (no_images / "a" / "notes.txt").write_text("not an image")
    one_empty = squares(tmp_path / "one_empty", classes=2, per_class=2)
    (one_empty / "class_2").mkdir()
    three = squares(tmp_path / "three", classes=3, per_class=2)
    rgb = squares(tmp_path / "rgb", classes=2, per_class=2, rgb=True)
    gray = squares(tmp_path / "gray", classes=2, per_class=2)
    spec = tiny(tmp_path)
    spec_rgb = tiny(tmp_path / "rgb", channels=3)
    spec_binary = tiny(tmp_path / "three", units=1, loss="binary_crossentropy")
    return [
        (spec, empty, f"{empty}: error: no images: the folder needs one sub-folder per class, each holding "
         ".bmp, .gif, .jpeg, .jpg, .png files"),
        (spec, no_images, f"{no_images}: error: no images: the folder needs one sub-folder per class, each "
         "holding .bmp, .gif, .jpeg, .jpg, .png files"),
        (spec, tmp_path / "missing", f"{tmp_path / 'missing'}: error: no such directory (give a folder with one "
         "sub-folder of images per class)"),
        (spec, one_empty, f"{one_empty / 'class_2'}: error: class folder has no images"),
        (spec, three, f"{three}: error: 3 class folders (class_0, class_1, class_2) but the model's output [2] "
         f"({spec}:7:26: blocks[3].units) has 2 units; it needs 3 units"),
        (spec, rgb, f"{rgb / 'class_0' / '000.png'}: error: is an RGB image but the model's input [8, 8, 1] "
         f"({spec}:2:16: input.shape) has 1 channel(s), grayscale; change the input's channels or convert "
         "the images"),
        (spec_rgb, gray, f"{gray / 'class_0' / '000.png'}: error: is a grayscale image but the model's input "
         f"[8, 8, 3] ({spec_rgb}:2:16: input.shape) has 3 channel(s), rgb; change the input's channels or "
         "convert the images"),
        (spec_binary, three, f"{three}: error: a binary loss needs 2 class folders, not 3"),
    ]


def test_folders_that_do_not_fit_are_refused_before_tensorflow(tmp_path):
    for spec, data, expected in folder_cases(tmp_path):
        out = tmp_path / "out.keras"
        result = probe("fit", spec, "--data", data, "-o", out)
        assert (result.returncode, result.stderr.strip()) == (2, expected), data
        assert "IMPORTED: none" in result.stdout
        assert not out.exists()


def test_fit_needs_a_training_section(tmp_path):
    data = squares(tmp_path / "data", classes=2, per_class=2)
    result = probe("fit", SPECS / "vgg_block.yaml", "--data", data)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"{SPECS / 'vgg_block.yaml'}:4:1: error: $: fit needs a 'training' "
                                     "section (optimizer, loss, ...): see docs/format.md")


@pytest.mark.parametrize("argv, message", [
    (["--epochs", "0"], "--epochs: error: must be at least 1"),
    (["--validation-split", "1.5"], "--validation-split: error: must be at least 0 and less than 1, not 1.5"),
    (["-o", "model.h5"], "model.h5: error: the output file must end in .keras"),
])
def test_bad_options(tmp_path, argv, message):
    data = squares(tmp_path / "data", classes=2, per_class=2)
    result = probe("fit", tiny(tmp_path), "--data", data, *argv)
    assert (result.returncode, result.stderr.strip()) == (2, message)


@pytest.mark.slow
def test_fit_trains_saves_and_writes_history(tmp_path):
    import keras

    data = squares(tmp_path / "data", classes=2, per_class=40)
    out, history = tmp_path / "trained.keras", tmp_path / "history.json"
    result = probe("fit", tiny(tmp_path, epochs=9), "--data", data, "-o", out, "--history", history,
                   "--epochs", "6", "--batch-size", "16", "--set", "training.optimizer.learning_rate=0.02")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    # 80 images, 20% held out: 64 to train in 4 batches of 16 (the override), 16 to validate
    assert any(line == f"data: {data}: 80 images, 2 classes, 8x8 grayscale; 4 training batch(es) of 16, "
                               "1 validation; strategy default (1 replica(s))" for line in lines)
    assert sum(line.startswith("Epoch ") for line in lines) == 6 and "Epoch 6/6" in result.stdout
    assert "val_accuracy: " in result.stdout and "val_loss: " in result.stdout  # every epoch, Keras' own bar
    summary = next(line for line in lines if line.startswith("fit: tiny: 6 epoch(s) in "))
    record = json.loads(history.read_text())
    assert record["epochs"] == [1, 2, 3, 4, 5, 6]
    assert set(record["history"]) == {"accuracy", "loss", "val_accuracy", "val_loss"}
    assert record["history"]["loss"][-1] < record["history"]["loss"][0]
    assert f"weights sha256:{record['weights_sha256'][:16]}" in summary
    assert lines[-2:] == [f"saved: {out} (98 params)", "IMPORTED: tensorflow,keras"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "history.json", "tiny.yaml", "trained.keras"]
    model = keras.saving.load_model(out)
    assert model.optimizer.get_config()["learning_rate"] == pytest.approx(0.02)  # --set reached the optimizer
    import numpy as np

    weights = b"".join(np.asarray(w).tobytes() for w in model.get_weights())
    import hashlib

    assert hashlib.sha256(weights).hexdigest() == record["weights_sha256"]


KILL_SPEC = """\
name: resumable
input: {shape: [32, 32, 1]}
blocks:
  - {type: rescale, scale: 0.00392156862745098}
  - {type: conv, filters: 16, kernel_size: 3, padding: same, activation: relu}
  - {type: conv, filters: 16, kernel_size: 3, padding: same, activation: relu}
  - {type: global_avg_pool}
  - {type: dense, units: 2, activation: softmax}
training:
  optimizer: adam
  loss: sparse_categorical_crossentropy
  epochs: 3
  batch_size: 4
"""


def backed_up(metadata: Path) -> bool:
    """Whether Keras' BackupAndRestore has written its metadata in full (it is written in place, so a file
    that exists may still be empty or cut short)."""
    try:
        json.loads(metadata.read_text())
    except (OSError, ValueError):
        return False
    return True


@pytest.mark.slow
def test_killed_run_resumes_at_the_second_epoch(tmp_path):
    spec = tmp_path / "resumable.yaml"
    spec.write_text(KILL_SPEC)
    data = squares(tmp_path / "data", classes=2, per_class=160, side=32)  # 64 steps an epoch
    out, backup, history = tmp_path / "out" / "model.keras", tmp_path / "backup", tmp_path / "history.json"
    out.parent.mkdir()
    argv = [sys.executable, "-m", "modelspec", "fit", str(spec), "--data", str(data), "-o", str(out),
            "--backup-dir", str(backup), "--history", str(history), "--verbose", "2"]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT)
    metadata = backup / "training_metadata.json"
    deadline = time.monotonic() + 240
    while not backed_up(metadata) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)  # right after Keras backed up the first epoch
    first.wait()
    assert first.returncode == -signal.SIGKILL
    saved = json.loads(metadata.read_text())
    assert saved["epoch"] == 1  # epochs done: the first; the second had begun
    assert list(out.parent.iterdir()) == []  # nothing at -o, no temporary file beside it
    second = subprocess.run(argv, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert second.returncode == 0, second.stderr
    epochs = [line for line in second.stdout.splitlines() if line.startswith("Epoch ")]
    assert epochs == ["Epoch 2/3", "Epoch 3/3"]
    assert json.loads(history.read_text())["epochs"] == [2, 3]
    assert [p.name for p in out.parent.iterdir()] == ["model.keras"]
    assert not backup.exists() or not any(backup.iterdir())  # Keras removes the backup after a finished run


@pytest.mark.slow
def test_digits_demo_reaches_95_percent(tmp_path):
    pytest.importorskip("sklearn")  # the 'demo' extra, which the test extra installs
    data = tmp_path / "digits"
    write = subprocess.run([sys.executable, "examples/digits/write_digits.py", str(data)], capture_output=True,
                           text=True, timeout=120, cwd=ROOT)
    assert write.returncode == 0, write.stderr
    assert write.stdout.strip() == f"wrote 1797 images of 10 digits under {data}/0 ... {data}/9"
    history = tmp_path / "history.json"
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "modelspec", "fit", "specs/digits_cnn.yaml", "--data", str(data),
                             "-o", str(tmp_path / "digits_cnn.keras"), "--history", str(history), "--verbose", "2"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    seconds = time.monotonic() - start
    assert result.returncode == 0, result.stderr
    accuracy = json.loads(history.read_text())["history"]["val_accuracy"][-1]
    assert accuracy >= 0.95, result.stdout
    assert seconds < 120
    # fit --weights starts from the trained model: one more epoch starts where the demo ended
    again = subprocess.run([sys.executable, "-m", "modelspec", "fit", "specs/digits_cnn.yaml", "--data", str(data),
                            "--weights", str(tmp_path / "digits_cnn.keras"), "--epochs", "1", "-o",
                            str(tmp_path / "again.keras"), "--history", str(history), "--verbose", "0"],
                           capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    # (from fresh weights, the first epoch reaches about 16% training accuracy)
    assert json.loads(history.read_text())["history"]["accuracy"][0] >= 0.95
