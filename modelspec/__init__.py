"""modelspec: compile declarative model files into checked Keras 3 models.

    spec = modelspec.load("specs/vgg16.yaml")   # parse, validate, static pass; no TensorFlow
    model = modelspec.build(spec)               # keras.Model, checked against the static pass

Importing this package does not import TensorFlow; only :func:`build` does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence, Union

__version__ = "0.1.0"

from .analysis import analyze, check  # noqa: E402
from .analysis import gc_paused  # noqa: E402
from .errors import InternalError, Problem, SpecError  # noqa: E402
from .graph import Budget, Graph  # noqa: E402
from .limits import ReaderLimits  # noqa: E402
from .loader import UsageError, parse_text  # noqa: E402
from .spec import ModelSpec, parse_spec  # noqa: E402


def load(path: Union[str, Path], budget: Budget = Budget(), *, overrides: Sequence[str] = (),
         limits: ReaderLimits = ReaderLimits()) -> ModelSpec:
    """Read, resolve, validate and statically check the spec file at ``path``; raise SpecError if invalid.

    ``overrides`` are ``PATH=VALUE`` strings, as the command line's ``--set`` (``["blocks.conv1.filters=32"]``).
    The model must meet the spec's ``expect`` figures; ``limits`` bounds what the file may be.
    """
    spec, _ = check(str(path), budget, overrides=overrides, limits=limits)
    return spec


def loads(text: Union[str, bytes], name: str = "<spec>", *, json: bool = False,
          budget: Budget = Budget(), overrides: Sequence[str] = (), limits: ReaderLimits = ReaderLimits()) -> ModelSpec:
    """Like :func:`load`, for spec text held in memory (YAML unless ``json``); relative ``extends``
    paths start at ``name``'s folder (the current one for ``<spec>``)."""
    spec, _ = check(name, budget, overrides=overrides, text=text, as_json=json, limits=limits)
    return spec


def build(spec: Union[ModelSpec, str, Path], budget: Budget = Budget(), *, strategy=None, weights=None):
    """Compile a spec (or the spec file at a path) into a checked ``keras.Model``.

    With a ``training`` section the model comes back compiled (optimizer, loss, metrics, precision).
    ``strategy`` (a ``tf.distribute.Strategy``, or ``"default"``, ``"mirrored"``, ``"multi-worker"``)
    creates every variable under its scope; ``weights`` (a ``.keras`` or ``.weights.h5`` file of the
    same architecture) is loaded into the layers by position.
    """
    from .trainer import build_model

    if isinstance(spec, ModelSpec):
        graph = analyze(spec, budget)
    else:
        spec, graph = check(str(spec), budget)
    return build_model(spec, graph, strategy=strategy, weights=weights)


__all__ = [
    "Budget", "Graph", "InternalError", "ReaderLimits", "ModelSpec", "Problem", "SpecError", "UsageError",
    "analyze", "build", "check", "gc_paused", "load", "loads", "parse_spec", "parse_text",
]
