"""The ``modelspec`` command line: validate, summary, build, schema.

Exit status: 0 all good; 1 a spec is invalid; 2 a usage or I/O error;
3 an internal error (a modelspec bug: the build disagreed with the static
pass, or something unexpected happened). Errors go to standard error, one line
each, ``PATH:LINE:COLUMN: error: SPEC.PATH: message``; never a traceback
(set ``MODELSPEC_DEBUG=1`` to see one for an internal error).
"""

from __future__ import annotations

import argparse
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import Callable, NoReturn, Optional, Sequence

from . import __version__
from .errors import InternalError, SpecError, _one_line, as_dict, render, render_github
from .graph import Budget
from .loader import UsageError

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_PIPE = 128 + 13  # standard output's reader went away: the status of a process that SIGPIPE ended


class _StdoutClosed(Exception):
    """Standard output's reading end was closed (``modelspec summary x | head -1``)."""
STRATEGIES = ("default", "mirrored", "multi-worker")  # modelspec.distribute's (not imported here)

_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
          "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def _amount(text: str) -> int:
    """``1000000``, ``25M``, ``4GiB`` -> an int (argparse type)."""
    match = re.fullmatch(r"\s*([0-9][0-9_]*)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _UNITS:
        raise argparse.ArgumentTypeError(f"not a count: {text!r} (write e.g. 5000000, 25M or 4GiB)")
    return int(match.group(1).replace("_", "")) * _UNITS[match.group(2).lower()]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelspec", description="Validate, summarise and compile model spec files into Keras models.")
    parser.add_argument("--version", action="version", version=f"modelspec {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    budget = argparse.ArgumentParser(add_help=False)
    group = budget.add_argument_group("size budgets (checked before anything is built)")
    default = Budget()
    group.add_argument("--max-params", type=_amount, default=default.max_params, metavar="N",
                       help=f"largest parameter count accepted (default {default.max_params:,}; suffixes "
                       "k, M, G, T work: 25M)")
    group.add_argument("--max-layers", type=_amount, default=default.max_layers, metavar="N",
                       help=f"largest layer count accepted (default {default.max_layers:,}; suffixes "
                       "k, M work: 20k)")
    group.add_argument("--max-activation-bytes", type=_amount, default=default.max_activation_bytes,
                       metavar="BYTES", help="largest float32 activation memory of one sample "
                       f"(default {default.max_activation_bytes:,}; suffixes k, M, G, KiB, MiB, GiB work: 4GiB)")

    # every command that reads a spec takes these (see _check)
    reading = argparse.ArgumentParser(add_help=False, parents=[budget])
    reading.add_argument("--set", dest="overrides", action="append", default=[], metavar="PATH=VALUE",
                         help="override one value of the spec, read as YAML (repeatable): input.shape=[64,64,3], "
                         "blocks.NAME.filters=128, blocks[2].filters=128, defaults.activation=gelu")
    reading.add_argument("--context", action="store_true",
                         help="show each error's spec line with a caret under the column (the default when "
                         "standard error is a terminal)")

    p = commands.add_parser("validate", parents=[reading], help="check spec files; no TensorFlow",
                            description="Parse, validate and infer every shape; print 'ok: PATH (N params)'.")
    p.add_argument("specs", nargs="+", metavar="SPEC", help="YAML or JSON spec files; '-' reads stdin")
    p.add_argument("--format", choices=("text", "github", "json"), default="text",
                   help="text: 'ok:' lines and errors on stderr (default); github: GitHub Actions annotations "
                   "on stdout; json: one JSON list of every problem on stdout")
    p.set_defaults(run=_validate)

    p = commands.add_parser("summary", parents=[reading], help="layer table with shapes, params, MACs",
                            description="Print every layer's output shape, params and MACs; no TensorFlow.")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--textconv", action="store_true",
                   help="for git's diff textconv: an invalid spec prints its error lines as the text, exit 0")
    p.set_defaults(run=_summary)

    p = commands.add_parser("build", parents=[reading], help="compile to a Keras model and save it",
                            description="Build the Keras model, check it against the static pass, "
                            "print its summary and save it atomically.")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("-o", "--output", metavar="OUT.keras", help="where to save (default: NAME.keras)")
    p.add_argument("--verbose", action="store_true", help="also show TensorFlow's start-up lines (hidden by default)")
    p.add_argument("--weights", metavar="FILE", help="load the weights of a .keras / .weights.h5 file of the same "
                   "architecture (layers paired by position)")
    p.set_defaults(run=_build)

    p = commands.add_parser("plot", parents=[reading], help="draw the model (.dot, .mmd; .svg/.png with Graphviz)",
                            description="Draw the model from the static pass; no TensorFlow. The output's suffix "
                            "picks the format: .dot (Graphviz), .mmd (Mermaid), .svg/.png/.pdf (through Graphviz's "
                            "'dot' program).")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write the picture")
    p.add_argument("--level", choices=("layers", "blocks"), default="layers",
                   help="layers: every layer in a box per block (default); blocks: one box per block")
    p.set_defaults(run=_plot)

    p = commands.add_parser("fit", parents=[reading], help="train on a folder of images (one sub-folder per class)",
                            description="Build and compile the model from its 'training' section, train it on "
                            "DIR (keras.utils.image_dataset_from_directory) and save it atomically.")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--data", required=True, metavar="DIR", help="one sub-folder of images per class")
    p.add_argument("-o", "--output", metavar="OUT.keras", help="where to save the trained model (default: NAME.keras)")
    p.add_argument("--history", metavar="FILE.json", help="write the per-epoch metrics as JSON")
    p.add_argument("--epochs", type=_amount, metavar="N", help="override training.epochs")
    p.add_argument("--batch-size", type=_amount, metavar="N", help="override training.batch_size")
    p.add_argument("--strategy", choices=STRATEGIES, help="override training.strategy (tf.distribute; "
                   "multi-worker reads the cluster from TF_CONFIG)")
    p.add_argument("--validation-split", type=float, default=0.2, metavar="F",
                   help="fraction held out for validation, seeded (default 0.2; 0: none)")
    p.add_argument("--seed", type=int, default=1337, help="seed of the split, shuffle and weights (default 1337)")
    p.add_argument("--backup-dir", metavar="DIR", help="back up every epoch (keras.callbacks.BackupAndRestore); "
                   "a killed run started again resumes there")
    p.add_argument("--weights", metavar="FILE", help="start from a .keras / .weights.h5 file of the same architecture")
    p.add_argument("--verbose", type=int, choices=(0, 1, 2), default=1,
                   help="Keras' fit verbosity: 1 progress bar (default), 2 a line per epoch, 0 none")
    p.set_defaults(run=_fit)

    p = commands.add_parser("lsp", help="language server for editors, over stdio (needs the 'lsp' extra)",
                            description="Run the language server on stdin/stdout: live diagnostics from the whole "
                            "check, hover, completion, go to definition, inlay hints. Needs pygls: "
                            "pip install \"modelspec[lsp]\".")
    p.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    p.set_defaults(run=_lsp)

    p = commands.add_parser("expand", parents=[reading], help="print the fully resolved spec as YAML",
                            description="Merge bases, apply patches, inserts and --set, inline modules and make "
                            "every default explicit; print the result, which builds to the same model.")
    p.add_argument("spec", metavar="SPEC")
    p.set_defaults(run=_expand)

    p = commands.add_parser("diff", parents=[reading], help="architecture diff of two specs; no TensorFlow",
                            description="Blocks and layers added, removed, renamed or changed, output shapes, "
                            "params and MACs. Exit 0: the same architecture; 1: they differ; 2: a file cannot be "
                            "read or is not a valid spec.")
    p.add_argument("old", metavar="A")
    p.add_argument("new", metavar="B")
    p.add_argument("--json", action="store_true", help="print the diff as JSON")
    p.set_defaults(run=_diff)

    p = commands.add_parser("export", parents=[reading], help="export a SavedModel or an ONNX file",
                            description="Build the model (with --weights if given) and export it through Keras' "
                            "model.export, atomically: a SavedModel directory, or an ONNX file (the 'onnx' extra).")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="the SavedModel directory or FILE.onnx")
    p.add_argument("--format", choices=("saved_model", "onnx"), default="saved_model", help="default saved_model")
    p.add_argument("--weights", metavar="FILE", help="load a .keras / .weights.h5 file of the same architecture")
    p.set_defaults(run=_export)

    p = commands.add_parser("schema", help="write the JSON Schema of spec files",
                            description="Write the JSON Schema to stdout or FILE; --check compares instead.")
    p.add_argument("-o", "--output", metavar="FILE", help="write the schema to FILE")
    p.add_argument("--check", metavar="FILE", help="exit 1 if FILE differs from the current schema")
    p.add_argument("--path", action="store_true",
                   help="print where the installed package keeps its copy of the schema (for editor settings)")
    p.set_defaults(run=_schema)
    return parser


def _budget(args) -> Budget:
    return Budget(args.max_params, args.max_layers, args.max_activation_bytes)


def _one_stdin(paths: Sequence[str]) -> None:
    """Standard input can be read once: ``-`` given twice is a usage error."""
    if list(paths).count("-") > 1:
        raise UsageError("-", "standard input is given more than once; it can be read only once")


def _check(args, path: str, *, expect: bool = True):
    """Read, resolve and check the spec at ``path`` with the command's ``--set`` overrides and budgets.

    Every command that reads a spec goes through here: give its parser ``parents=[reading]``.
    ``expect=False`` for the views (summary, diff...), which show a model that misses its ``expect``.
    """
    from .analysis import check, gc_paused

    with gc_paused():  # the command's own process: a check allocates much and frees little until it ends
        return check(path, _budget(args), overrides=args.overrides, expect=expect)


def _report(error: SpecError, args=None) -> None:
    """Every problem on stderr: one line each, or with its spec line and a caret (``--context``, a terminal)."""
    context = getattr(args, "context", False)
    if not context:
        try:
            context = sys.stderr is not None and sys.stderr.isatty()
        except (OSError, ValueError):
            context = False
    if not context:
        for problem in error.problems:
            _error(render(problem))
        return
    from .errors import render_context

    texts: dict[str, Optional[str]] = {}
    for problem in error.problems:
        if problem.file not in texts:
            texts[problem.file] = _read_text(problem.file)
        _error(render_context(problem, texts[problem.file]))


def _read_text(path: Optional[str]) -> Optional[str]:
    """A spec file's text for showing its lines, or None (standard input, an override, an unreadable file)."""
    if not path or path == "-" or path.startswith("<"):
        return None
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _validate(args) -> int:
    _one_stdin(args.specs)
    status, problems = EXIT_OK, []
    for path in args.specs:
        try:
            _, graph = _check(args, path)
        except SpecError as e:
            library = _module_library(args, path)
            if library is not None:  # a base of modules only: nothing to build, its modules are sound
                if args.format != "json":
                    _emit(f"ok: {_one_line(path)} (modules only: {', '.join(library)})")
                continue
            status = max(status, EXIT_INVALID)
            if args.format == "text":
                _report(e, args)
            problems += e.problems
        except UsageError as e:
            status = EXIT_USAGE
            if args.format == "text":
                _error(str(e))
            problems.append(e)
        else:
            if args.format != "json":
                _emit(f"ok: {_one_line(path)} ({sum(n.params for n in graph.nodes):,} params)")
    if args.format == "github":
        for problem in problems:
            _emit(render_github(problem))
    elif args.format == "json":
        import json

        _emit(json.dumps([as_dict(p) for p in problems], indent=2))
    return status


def _module_library(args, path: str) -> Optional[list[str]]:
    """The module names of a file of modules only (which is not a model, so failed as one); else None."""
    if args.overrides or path == "-":
        return None
    from .compose import module_library

    try:
        return module_library(path)
    except (SpecError, UsageError):
        return None


def _summary(args) -> int:
    from .summary import render_json, render_text

    try:
        spec, graph = _check(args, args.spec, expect=False)
    except SpecError as e:
        if not args.textconv:
            raise
        # git diff shows this text in place of the file: an invalid version still diffs, and says why
        from dataclasses import replace

        lines = [render(replace(p, file="line") if p.file == args.spec else p) for p in e.problems]
        _emit("\n".join(["(not a valid spec)"] + lines))
        return EXIT_OK
    data = graph.summary(spec.name)
    if args.textconv and not args.json:
        from .summary import TEXTCONV_WIDTHS

        _emit(render_text(data, TEXTCONV_WIDTHS))
        return EXIT_OK
    _emit(render_json(data) if args.json else render_text(data))
    return EXIT_OK


def _expand(args) -> int:
    from .expand import expanded, to_yaml

    spec, graph = _check(args, args.spec, expect=False)
    _emit(to_yaml(expanded(spec, graph)), end="")
    return EXIT_OK


def _diff(args) -> int:
    _one_stdin([args.old, args.new])
    from .diff import architecture_diff, render_json, render_text

    sides = []
    for path in (args.old, args.new):
        try:
            sides.append((path, *_check(args, path, expect=False)))
        except SpecError as e:  # a spec that cannot be compared is trouble (2), as for diff(1); 1 means "differ"
            _report(e, args)
            return EXIT_USAGE
    result = architecture_diff(*sides)
    _emit(render_json(result) if args.json else render_text(result), end="")
    return EXIT_OK if result["same"] else EXIT_INVALID


def _build(args) -> int:
    spec, graph = _check(args, args.spec)  # every spec error surfaces before TensorFlow loads
    out = Path(args.output or f"{spec.name}.keras")
    if out.suffix != ".keras":
        raise UsageError(out, "the output file must end in .keras")
    _check_writable(out)
    if not args.verbose:  # --verbose: everything TensorFlow says, at its own log level
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .quiet import tensorflow_loaded

    tensorflow_loaded(verbose=args.verbose)  # its known start-up lines held back, everything else shown
    from .trainer import build_model

    model = build_model(spec, graph, weights=args.weights)  # compiled when the spec has a training section
    model.summary(print_fn=lambda text, **_: _emit(text, end=""))  # plain text, through _emit
    from .compiler import recursion_room

    with recursion_room(len(graph.nodes)):  # Keras' save walks the graph recursively too
        _write_atomically(out, model.save)
    _emit(f"saved: {_one_line(str(out))} ({model.count_params():,} params)")
    return EXIT_OK


def _plot(args) -> int:
    from .plot import picture, writer

    out = Path(args.output)
    write_picture = writer(out)  # an unknown suffix or a missing 'dot' is refused before any work
    _check_writable(out)
    spec, graph = _check(args, args.spec, expect=False)  # a view: draws a model that misses its expect
    _write_atomically(out, write_picture(picture(graph, spec.name, args.level)))
    _emit(f"wrote: {out}")
    return EXIT_OK


def _fit(args) -> int:
    spec, graph = _check(args, args.spec)  # every spec error surfaces before TensorFlow loads
    from .fit import run  # which checks the data folder, then loads TensorFlow quietly

    return run(args, spec, graph)


def _quiet_tensorflow() -> None:
    """Load TensorFlow with its known start-up lines held back (``build --verbose`` shows them)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from .quiet import tensorflow_loaded

    tensorflow_loaded(verbose=False)


def _lsp(args) -> int:
    try:
        from .lsp import serve
    except ImportError as e:
        if "pygls" not in str(e) and "lsprotocol" not in str(e):
            raise
        raise UsageError("modelspec", 'the language server needs pygls, which is not installed; install it with: '
                         'pip install "modelspec[lsp]"') from None
    serve()
    return EXIT_OK


def _export(args) -> int:
    from .export import check_output, export

    spec, graph = _check(args, args.spec)
    out = Path(args.output)
    check_output(out, args.format)
    _quiet_tensorflow()
    from .trainer import build_model

    model = build_model(spec, graph, weights=args.weights)
    export(model, out, args.format)
    _emit(f"exported: {out} ({args.format}, {model.count_params():,} params)")
    return EXIT_OK


def _schema(args) -> int:
    from .schema import installed_schema, schema_text

    if args.path:
        path = installed_schema()
        if not path.is_file():
            raise UsageError(path, "the package's schema file is missing; reinstall modelspec")
        _emit(str(path))
        return EXIT_OK

    if args.check and args.output:
        raise UsageError("schema", "give -o FILE (write the schema) or --check FILE (compare with it), not both")
    text = schema_text()
    if args.check:
        from .loader import read_text

        current = read_text(args.check, "schema file", limit=16 * 2**20)  # as spec files are read, larger
        if current != text:
            _error(f"{args.check}: error: the schema is stale; regenerate it with "
                   f"'modelspec schema -o {args.check}'")
            return EXIT_INVALID
        _emit(f"ok: {args.check} is current")
        return EXIT_OK
    if args.output:
        _check_writable(Path(args.output))
        _write_atomically(Path(args.output), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
    else:
        _emit(text, end="")
    return EXIT_OK


def _check_writable(out: Path) -> None:
    """Refuse, before any work, an output path that cannot become a file."""
    if out.is_dir():
        raise UsageError(out, "is a directory; give a file name")
    if not out.parent.is_dir():
        raise UsageError(out, f"no such directory: {out.parent}")


def _new_file_mode(out: Path) -> int:
    """The permission bits the written file gets: those of the file it replaces, else a new file's
    (0o666 less the umask, as ``open`` would give it)."""
    try:
        return stat.S_IMODE(out.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _umask() -> int:
    """The process umask, read without changing it where Linux tells it (``/proc/self/status``);
    elsewhere set and restored at once, as nothing else in this process runs meanwhile."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


def _write_atomically(out: Path, write: Callable[[str], object]) -> None:
    """Write through a temporary file beside ``out`` and rename it into place.

    A failure or interruption removes the temporary file and leaves any
    previous ``out`` untouched; an I/O failure is a :class:`UsageError` (exit 2).
    """
    if out.is_symlink():  # write the file it points at, as editors do, and keep the link
        out = out.resolve()
    directory = out.parent if str(out.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{out.name}.", suffix=out.suffix)
    except OSError as e:
        raise UsageError(out, f"cannot write: {e.strerror or e}") from None
    os.close(fd)
    try:
        os.chmod(tmp, _new_file_mode(out))  # mkstemp makes it private
        write(tmp)
        os.replace(tmp, out)
    except BaseException as e:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise UsageError(out, f"cannot write: {e.strerror or e}") from None
        raise


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except SpecError as e:
        _report(e, args)
        return EXIT_INVALID
    except UsageError as e:
        _error(str(e))
        return EXIT_USAGE
    except _StdoutClosed:  # silently, as cat and grep end
        return EXIT_PIPE
    except OSError as e:  # a path the system refuses (a name too long, a loop of links): the file's problem
        _error(str(UsageError(e.filename if e.filename is not None else "modelspec",
                              f"cannot use this path: {e.strerror or e}")))
        return EXIT_USAGE
    except KeyboardInterrupt:
        _error("modelspec: interrupted")
        return 130
    except InternalError as e:
        if os.environ.get("MODELSPEC_DEBUG"):
            raise
        _error(f"modelspec: internal error: {e}")
        return EXIT_INTERNAL
    except Exception as e:  # a bug; still no traceback for the user
        if os.environ.get("MODELSPEC_DEBUG"):
            raise
        _error(f"modelspec: internal error (please report it): {type(e).__name__}: {e}")
        return EXIT_INTERNAL


def run() -> NoReturn:
    """The ``modelspec`` console script: :func:`main`, then a fast exit.

    Once the output is flushed, the process ends with ``os._exit``: Python's
    teardown of every module and object it made (pydantic's included) is
    skipped, about a sixth of a ``validate``'s time (README, Performance).
    mypy does the same by default (``--fast-exit``). There is nothing to
    clean up: outputs are written atomically before :func:`main` returns. A run
    that loaded Keras and TensorFlow (``build``) exits normally, so their exit
    handlers run.
    """
    status = main()
    if status == EXIT_PIPE:  # end as cat does when its reader has gone: by SIGPIPE, silently
        import signal

        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGPIPE)
    if "keras" in sys.modules:  # build loaded Keras and its backend (TensorFlow)
        sys.exit(status)
    for stream in (sys.stdout, sys.stderr):  # None when the shell closed it (`>&-`)
        try:
            if stream is not None:
                stream.flush()  # a no-op for stdout: _emit flushed every write
        except (OSError, ValueError):
            status = status or EXIT_USAGE
    os._exit(status)


def _error(line: str) -> None:
    """Write one error line to stderr; if stderr itself cannot be written, the exit status still tells."""
    if sys.stderr is None:  # closed before Python started; print(file=None) would write to stdout
        return
    try:
        print(line, file=sys.stderr)
    except (OSError, ValueError):
        pass


def _emit(text: str, end: str = "\n") -> None:
    """Write part of the command's output to stdout, now. A closed pipe ends the command silently
    (:data:`EXIT_PIPE`); any other failed write (a full disk) is an I/O error (exit 2)."""
    try:
        print(text, end=end, flush=True)
    except OSError as e:  # `modelspec summary x | head`, a full disk...
        try:  # as Python's docs advise for SIGPIPE: point stdout at devnull, so no later flush fails too
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
        except (OSError, ValueError):  # stdout is not a real file (captured in a test, say)
            pass
        if isinstance(e, BrokenPipeError):
            raise _StdoutClosed() from None
        raise UsageError("<stdout>", f"cannot write: {e.strerror or e}") from None


if __name__ == "__main__":  # pragma: no cover
    run()
