"""TensorFlow's start-up lines, held back while it loads (``build`` shows them with ``--verbose``).

Importing TensorFlow and initialising its devices writes lines to file
descriptor 2 from C++ (absl logging), which no Python setting silences
entirely; users read them as errors. :func:`tensorflow_loaded` imports
TensorFlow and initialises its devices with descriptor 2 pointed at a pipe,
drops the lines that match :data:`KNOWN` (and the continuation line of the CPU
feature notice) and passes every other line through to the real standard
error, in order. Descriptor 2 is restored afterwards, also after an error.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from typing import Iterator

# The start-up lines TensorFlow 2.x writes on a machine without (or with) a GPU; nothing else is dropped.
KNOWN = tuple(re.compile(p) for p in (
    r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
    r"^[IWE]\d{4} [\d:. ]+\d+ port\.cc:\d+\] oneDNN custom operations are on\.",
    r"^[IWE]\d{4} [\d:. ]+\d+ cudart_stub\.cc:\d+\] Could not find cuda drivers on your machine",
    r"^[IWE]\d{4} [\d:. ]+\d+ cuda_platform\.cc:\d+\] failed call to cuInit: ",
    r"^[IWE]\d{4} [\d:. ]+\d+ cuda_(dnn|blas|fft)\.cc:\d+\] Unable to register cu(DNN|BLAS|FFT) factory",
    r"^[IWE]\d{4} [\d:. ]+\d+ cuda_executor\.cc:\d+\] could not open file to read NUMA node",
    r"^[IWE]\d{4} [\d:. ]+\d+ computation_placer\.cc:\d+\] computation placer already registered",
    r"^[IWE]\d{4} [\d:. ]+\d+ cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized",
    r"^TF-TRT Warning: Could not find TensorRT$",
))
CONTINUES = re.compile(r"cpu_feature_guard\.cc:\d+\] This TensorFlow binary is optimized")  # a 2-line notice
CONTINUATION = re.compile(r"^To enable the following instructions: .*rebuild TensorFlow")


def is_known(line: str) -> bool:
    return any(p.search(line) for p in KNOWN)


def _pump(read_fd: int, write_fd: int) -> None:
    """Copy lines from the pipe to the real stderr, less the known start-up lines."""
    pending = b""
    skip_continuation = False
    with os.fdopen(read_fd, "rb", closefd=True) as pipe:
        for raw in iter(lambda: pipe.readline(), b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if skip_continuation and CONTINUATION.search(line):
                skip_continuation = False
                continue
            skip_continuation = False
            if is_known(line):
                skip_continuation = bool(CONTINUES.search(line))
                continue
            pending = raw
            while pending:
                try:
                    pending = pending[os.write(write_fd, pending):]
                except OSError:  # the real stderr is gone: nothing more can be shown
                    pending = b""


@contextlib.contextmanager
def start_up_filtered(verbose: bool = False) -> Iterator[None]:
    """Within the block, descriptor 2 goes through the filter (``verbose``: untouched)."""
    if verbose:
        yield
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 at all (closed before start): nothing to filter
        yield
        return
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    pump = threading.Thread(target=_pump, args=(read_fd, saved), daemon=True)
    pump.start()
    try:
        yield
    finally:
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(saved, 2)  # the pipe's last writer closes: the pump sees the end, drains and stops
        pump.join(10)
        os.close(saved)


def tensorflow_loaded(verbose: bool = False) -> None:
    """Import TensorFlow and Keras and initialise TensorFlow's devices, its start-up lines filtered.

    Raises :class:`~modelspec.backend.BackendMissing` when TensorFlow is not installed.
    """
    from .backend import require_tensorflow

    require_tensorflow()
    with start_up_filtered(verbose):
        import tensorflow as tf
        import keras  # noqa: F401

        tf.config.list_physical_devices()  # where CUDA is probed (cuInit), on a machine without a GPU too
