"""``modelspec export``: the model as a TensorFlow SavedModel or an ONNX file, through Keras' ``model.export``.

A SavedModel (``--format saved_model``) is a directory with one ``serve`` endpoint taking the
model's input; ``tf.saved_model.load(PATH).serve(x)`` gives the model's output. An ONNX file
(``--format onnx``) is converted by Keras with tf2onnx, which the optional extra
``modelspec[onnx]`` installs with onnx and onnxruntime. Either is written beside its final path
and renamed into place, so an interrupted export leaves nothing half-written there.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from .loader import UsageError

# --format -> (Keras' format name, what the output path must look like)
FORMATS = {"saved_model": "tf_saved_model", "onnx": "onnx"}
FREE_SIZE = 64  # the height / width a spec's free (null) input axes take for the one call Keras needs first


def check_output(out: Path, fmt: str) -> None:
    """Refuse, before anything is built, an output path the format cannot be written to."""
    if fmt == "onnx":
        if out.suffix != ".onnx":
            raise UsageError(out, "an ONNX export is a file ending in .onnx")
        if out.is_dir():
            raise UsageError(out, "is a directory; give a file name")
    elif out.exists() and not out.is_dir():
        raise UsageError(out, "exists and is not a directory (a SavedModel is a directory)")
    if not (out.parent if str(out.parent) else Path(".")).is_dir():
        raise UsageError(out, f"no such directory: {out.parent}")


def called(model) -> None:
    """Call ``model`` once on zeros: Keras exports only a model that has been called."""
    import numpy as np

    inputs = [np.zeros((1,) + tuple(FREE_SIZE if d is None else d for d in t.shape[1:]), "float32")
              for t in model.inputs]
    model(inputs[0] if len(inputs) == 1 else inputs, training=False)


def export(model, out: Path, fmt: str) -> None:
    """Export ``model`` to ``out`` in ``fmt`` (a key of :data:`FORMATS`), atomically."""
    if fmt == "onnx":
        try:
            import tf2onnx  # noqa: F401  (what Keras converts with)
        except ImportError:
            raise UsageError(out, 'ONNX export needs tf2onnx: pip install "modelspec[onnx]"') from None
    called(model)
    write = lambda path: model.export(str(path), format=FORMATS[fmt], verbose=False)  # noqa: E731
    if fmt == "onnx":
        from .cli import _write_atomically

        _write_atomically(out, write)
    else:
        _replace_directory(out, write)


def _replace_directory(out: Path, write: Callable[[str], object]) -> None:
    """Write a directory beside ``out`` and swap it into place; a failure leaves ``out`` as it was."""
    parent = out.parent if str(out.parent) else Path(".")
    tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}."))
    old = None
    try:
        shutil.rmtree(tmp)  # Keras writes the directory itself
        write(str(tmp))
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{out.name}.old."))
            os.replace(out, old / out.name)
        os.replace(tmp, out)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None and not out.exists():
            os.replace(old / out.name, out)
        if isinstance(e, OSError):
            raise UsageError(out, f"cannot write: {e.strerror or e}") from None
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
