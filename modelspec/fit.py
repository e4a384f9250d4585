"""``modelspec fit``: train a spec's model on a folder of images, one sub-folder per class.

The folder is read by ``keras.utils.image_dataset_from_directory`` (images resized to the spec's
input, a seeded validation split, shuffled, prefetched), the model is built and compiled by
:func:`modelspec.trainer.build_model` under the chosen tf.distribute strategy, and trained by
``model.fit`` with Keras' own progress bar and callbacks (``BackupAndRestore`` for ``--backup-dir``).
Before TensorFlow is imported, :func:`inspect_folder` checks that the folder fits the spec: class
folders against the output units, image channels against the input's, no empty folder.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import SpecError
from .graph import Graph
from .loader import UsageError
from .spec import ModelSpec

IMAGE_SUFFIXES = (".bmp", ".gif", ".jpeg", ".jpg", ".png")  # what image_dataset_from_directory reads
COLOR_MODES = {1: "grayscale", 3: "rgb", 4: "rgba"}
CHANNEL_WORDS = {1: "grayscale", 2: "grayscale with alpha", 3: "RGB", 4: "RGBA"}


@dataclass(frozen=True)
class Folder:
    """What :func:`inspect_folder` found: the class names (sorted, as Keras orders them) and counts."""

    path: Path
    classes: tuple[str, ...]
    images: int
    label_mode: str  # image_dataset_from_directory's: int, categorical or binary
    color_mode: str
    image_size: tuple[int, int]


def label_mode(loss: str, units: int) -> str:
    """The labels the loss expects: class indices, one-hot rows, or a single 0/1 column."""
    if loss.startswith("sparse_"):
        return "int"
    if loss.startswith("binary_") or (units == 1 and loss in ("hinge", "squared_hinge")):
        return "binary"
    return "categorical"


def inspect_folder(data: str, spec: ModelSpec, graph: Graph) -> Folder:
    """Check, without TensorFlow, that the image folder ``data`` fits ``spec``; raise :class:`UsageError`
    (naming the folder, and where in the spec the mismatching value is written) if it does not."""
    root = Path(data)
    if not root.is_dir():
        raise UsageError(data, "no such directory (give a folder with one sub-folder of images per class)")
    shapes = list(graph.inputs.values())
    if len(shapes) != 1 or len(graph.outputs) != 1:
        raise UsageError(data, "fit trains a model with one input and one output; this spec has "
                         f"{len(shapes)} input(s) and {len(graph.outputs)} output(s)")
    shape, (_, output) = tuple(shapes[0]), graph.outputs[0]
    where = _where(spec, spec.input_path(next(iter(graph.inputs))) + ("shape",))
    if len(shape) != 3 or shape[0] is None or shape[1] is None or shape[2] not in COLOR_MODES:
        raise UsageError(data, f"the model's input {list(shape)} ({where}) is not an image of fixed size "
                         "[height, width, 1 | 3 | 4]")
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    counts = {name: _images(root / name) for name in classes}
    if not classes or not any(counts.values()):
        raise UsageError(data, "no images: the folder needs one sub-folder per class, each holding "
                         f"{', '.join(IMAGE_SUFFIXES)} files")
    empty = [name for name, files in counts.items() if not files]
    if empty:
        raise UsageError(root / empty[0], "class folder has no images")
    units = output.shape[-1] if len(output.shape) == 1 else None
    mode = label_mode(spec.training.loss.name, units or 0)
    expected = 1 if mode == "binary" else len(classes)
    out_where = _where(spec, _output_path(spec))
    if units is None or (units != expected and not (mode == "binary" and len(classes) == 2)):
        wanted = "1 unit (a binary loss on 2 classes)" if mode == "binary" else f"{len(classes)} units"
        raise UsageError(data, f"{len(classes)} class folders ({', '.join(classes[:5])}"
                         f"{', ...' if len(classes) > 5 else ''}) but the model's output {list(output.shape)} "
                         f"({out_where}) has {units if units is not None else 'not one axis of'} units; "
                         f"it needs {wanted}")
    if mode == "binary" and len(classes) != 2:
        raise UsageError(data, f"a binary loss needs 2 class folders, not {len(classes)}")
    for name in classes:
        channels = image_channels(counts[name][0])
        if channels is not None and _channels_differ(channels, shape[2]):
            word = CHANNEL_WORDS[channels]
            raise UsageError(counts[name][0], f"is {'an' if word[0] in 'AR' else 'a'} {word} image but the model's input "
                             f"{list(shape)} ({where}) has {shape[2]} channel(s), "
                             f"{COLOR_MODES[shape[2]]}; change the input's channels or convert the images")
    return Folder(root, tuple(classes), sum(len(f) for f in counts.values()), mode, COLOR_MODES[shape[2]],
                  (shape[0], shape[1]))


def _channels_differ(image: int, model: int) -> bool:
    """Grayscale (with or without alpha) against colour (RGB or RGBA), either way."""
    return (image <= 2) != (model == 1)


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def image_channels(path: Path) -> Optional[int]:
    """The channels a PNG or JPEG file stores, read from its header; None for other formats."""
    with open(path, "rb") as f:
        head = f.read(64 * 1024)
    if head[:8] == b"\x89PNG\r\n\x1a\n" and len(head) >= 26:
        return {0: 1, 2: 3, 3: 3, 4: 2, 6: 4}.get(head[25])  # IHDR colour type (3: palette, RGB)
    if head[:2] == b"\xff\xd8":  # JPEG: the component count of the first start-of-frame segment
        i = 2
        while i + 9 < len(head) and head[i] == 0xFF:
            marker, length = head[i + 1], int.from_bytes(head[i + 2:i + 4], "big")
            if marker in (0xC0, 0xC1, 0xC2):
                return head[i + 9]
            i += 2 + length
    return None


def _output_path(spec: ModelSpec) -> tuple:
    """Where the output's size is written: the last block's ``units`` if it has them."""
    if spec.outputs is not None:
        return ("outputs", 0)
    last = spec.blocks[-1]
    return ("blocks", len(spec.blocks) - 1) + (("units",) if getattr(last, "units", None) is not None else ())


def _where(spec: ModelSpec, path: tuple) -> str:
    """``FILE:LINE:COL`` of a spec path, for naming the spec's side of a mismatch."""
    from .errors import format_path

    if spec.source is None:
        return format_path(path)
    line, column = spec.source.locate(path)
    return f"{spec.source.name}:{line}:{column}: {format_path(path)}"


def datasets(folder: Folder, batch_size: int, validation_split: float, seed: int):
    """The training and validation ``tf.data`` pipelines (validation None when the split is 0)."""
    import keras
    import tensorflow as tf

    options = dict(labels="inferred", label_mode=folder.label_mode, class_names=list(folder.classes),
                   color_mode=folder.color_mode, batch_size=batch_size, image_size=folder.image_size,
                   shuffle=True, seed=seed, verbose=False)
    if validation_split > 0:
        train, val = keras.utils.image_dataset_from_directory(
            str(folder.path), validation_split=validation_split, subset="both", **options)
    else:
        train, val = keras.utils.image_dataset_from_directory(str(folder.path), **options), None
    shard = tf.data.Options()
    shard.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    train = train.with_options(shard).prefetch(tf.data.AUTOTUNE)
    if val is not None:
        val = val.with_options(shard).prefetch(tf.data.AUTOTUNE)
    return train, val


def weights_digest(model) -> str:
    """SHA-256 of every weight's bytes, in the model's order: equal digests, equal weights."""
    digest = hashlib.sha256()
    for value in model.get_weights():
        digest.update(value.tobytes())
    return digest.hexdigest()


def summary_line(name: str, history: dict, seconds: float, digest: str) -> str:
    last = ", ".join(f"{key} {values[-1]:.4f}" for key, values in history.items() if values)
    epochs = len(next(iter(history.values()), []))
    return f"fit: {name}: {epochs} epoch(s) in {seconds:.1f} s; {last}; weights sha256:{digest[:16]}"


def run(args, spec: ModelSpec, graph: Graph) -> int:
    """The ``fit`` command, after the spec has been checked (see cli._fit)."""
    from .cli import _check_writable, _emit, _write_atomically

    if spec.training is None:
        error = SpecError("fit needs a 'training' section (optimizer, loss, ...): see docs/format.md", ())
        raise error.located(spec.source) if spec.source else error
    out = Path(args.output or f"{spec.name}.keras")
    if out.suffix != ".keras":
        raise UsageError(out, "the output file must end in .keras")
    _check_writable(out)
    if args.history:
        _check_writable(Path(args.history))
    if args.epochs == 0 or args.batch_size == 0:
        raise UsageError("--epochs" if args.epochs == 0 else "--batch-size", "must be at least 1")
    if not 0 <= args.validation_split < 1:
        raise UsageError("--validation-split", f"must be at least 0 and less than 1, not {args.validation_split}")
    folder = inspect_folder(args.data, spec, graph)
    training = spec.training
    epochs = args.epochs or training.epochs
    batch_size = args.batch_size or training.batch_size
    from .backend import require_tensorflow

    require_tensorflow("training a model")
    from .cli import _quiet_tensorflow

    _quiet_tensorflow()  # its known start-up lines held back, as for build

    from .distribute import get_strategy, is_chief

    strategy_name = args.strategy or training.strategy or "default"
    strategy = get_strategy(strategy_name)  # first: a multi-worker strategy must exist before any TF operation
    import keras

    keras.utils.set_random_seed(args.seed)
    train, val = datasets(folder, batch_size, args.validation_split, args.seed)
    _emit(f"data: {folder.path}: {folder.images} images, {len(folder.classes)} classes, "
          f"{folder.image_size[0]}x{folder.image_size[1]} {folder.color_mode}; "
          f"{len(train)} training batch(es) of {batch_size}"
          + (f", {len(val)} validation" if val is not None else "")
          + f"; strategy {strategy_name} ({strategy.num_replicas_in_sync} replica(s))")

    from .trainer import build_model

    model = build_model(spec, graph, strategy=strategy, weights=args.weights)
    callbacks = [keras.callbacks.BackupAndRestore(args.backup_dir)] if args.backup_dir else []
    start = time.perf_counter()
    # shuffle=False: the dataset shuffles itself, anew every epoch (Keras' flag does not apply to datasets)
    result = model.fit(train, validation_data=val, epochs=epochs, callbacks=callbacks, verbose=args.verbose,
                       shuffle=False)
    seconds = time.perf_counter() - start
    history = {key: [float(v) for v in values] for key, values in result.history.items()}
    digest = weights_digest(model)
    _emit(summary_line(spec.name, history, seconds, digest))
    if is_chief(strategy):
        from .compiler import recursion_room

        with recursion_room(len(model.layers)):  # Keras' save walks the graph recursively
            _write_atomically(out, model.save)
        _emit(f"saved: {out} ({model.count_params():,} params)")
        if args.history:
            record = {"model": spec.name, "epochs": [e + 1 for e in result.epoch], "history": history,
                      "seconds": round(seconds, 3), "weights_sha256": digest}
            text = json.dumps(record, indent=2) + "\n"
            _write_atomically(Path(args.history), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    return 0


__all__ = ["Folder", "datasets", "image_channels", "inspect_folder", "run", "weights_digest"]
