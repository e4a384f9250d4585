"""TensorFlow is an optional extra: the one check that it is there, with the way to get it.

Checking, summarising and drawing a spec need only pydantic and PyYAML, so a
pre-commit hook or an editor's language server installs in seconds. Building a
Keras model needs TensorFlow (Keras 3 itself declares no backend, for the same
reason); :func:`require_tensorflow` is called before the first Keras import and
turns its absence into one clear line instead of a traceback.
"""

from __future__ import annotations

import importlib.util

from .errors import UsageError

INSTALL_HINT = 'pip install "modelspec[tensorflow]"'


class BackendMissing(UsageError):
    """TensorFlow is not installed (exit 2, like any other problem with the environment)."""

    def __init__(self, what: str):
        super().__init__("modelspec", f"{what} needs TensorFlow, which is not installed; install it with: "
                         f"{INSTALL_HINT}")


def require_tensorflow(what: str = "building a Keras model") -> None:
    """Raise :class:`BackendMissing` unless TensorFlow can be imported (without importing it)."""
    try:
        found = importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):  # a broken or half-removed installation
        found = False
    if not found:
        raise BackendMissing(what)
