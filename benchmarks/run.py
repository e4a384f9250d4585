#!/usr/bin/env python
"""modelspec benchmarks: checked in milliseconds, compiled at Keras speed, linear in spec size.

One command measures, on the machine at hand, everything the Performance
section of the README claims, prints a table and writes ``benchmarks/results.json``::

    python benchmarks/run.py            # full: more repeats (about 11 minutes on 2 cores)
    python benchmarks/run.py --quick    # fewer repeats (about 7 minutes)
    python benchmarks/run.py --dry-run  # tiny sizes, one repeat: proves the script runs (about 2 minutes)

What is measured (every comparison is taken pair by pair in the same run, the
two sides alternating which goes first, and reported as the median of the
per-pair ratios; every time is a median over the repeats):

1. check latency: ``modelspec validate specs/resnet50.yaml``,
   ``modelspec validate specs/densenet121.yaml`` and
   ``modelspec validate specs/efficientnet_b0.yaml``, each as a fresh process, against
   ``python -c "import tensorflow"`` as a fresh process: wall time and peak RSS of
   the child (``os.wait4``'s ``ru_maxrss``); a round runs the import once and each
   validate once (the order reversed every other round), and each spec's ratio is
   taken against its own round's import;
2. batch validation: 200 spec files (the bundled ones plus generated variants,
   half YAML, half JSON) in one ``modelspec validate`` call;
3. scaling: synthetic specs of 10 to 10,000 blocks through the static pass
   (``modelspec.loads``: parse, validate, expand and infer every shape), in process:
   a chain of blocks (``scaling``), and a graph (``graph_scaling``: named blocks,
   ``input:`` references to earlier names, ``add`` / ``concat`` merges of two
   earlier names, a ``parallel`` with an empty branch, a ``sequence``);
4. build overhead: ``modelspec.build`` of specs/vgg16.yaml and specs/resnet50.yaml
   against the same architectures written by hand in plain Keras below, and of
   specs/mobilenet_v2.yaml and specs/efficientnet_b0.yaml against constructing
   ``keras.applications.MobileNetV2(weights=None)`` / ``EfficientNetB0(weights=None)``;
5. run-time parity: a training step and an inference batch of the model compiled
   from specs/resnet50.yaml (input shape replaced by a small one) against
   ``keras.applications.ResNet50(weights=None)`` at the same size, and a training
   step of specs/densenet121.yaml and specs/inception_v3.yaml against
   ``keras.applications.DenseNet121`` / ``InceptionV3``, and a training step and an
   inference batch of specs/mobilenet_v2.yaml and specs/efficientnet_b0.yaml
   (96x96) against ``keras.applications.MobileNetV2`` / ``EfficientNetB0``; each
   with the same weights (copied layer by layer; an adaptable Normalization, as
   EfficientNet's stem, also gets its statistics, see :func:`copy_weights`; every
   layer's output and the predictions checked equal first) and the same compile;
   each pair interleaves three steps per side and compares each side's fastest, so
   that a neighbour's burst of load does not decide the ratio.

Exit status: 0 every target met (always 0 for a completed ``--dry-run``);
1 a target was missed; 2 the benchmark itself failed (a spec did not validate,
parameter counts differ, a child process failed).
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import dataclasses
import datetime
import gc
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
CHECK_SPEC = "specs/resnet50.yaml"  # relative to ROOT, as a user would type it
# (row id, spec): check latency is measured for each; the first one's also gives the memory row
CHECK_SPECS = (("check_time", CHECK_SPEC), ("check_time_densenet121", "specs/densenet121.yaml"),
               ("check_time_efficientnet_b0", "specs/efficientnet_b0.yaml"))
VGG16_SPEC = SPECS / "vgg16.yaml"
RESNET50_SPEC = SPECS / "resnet50.yaml"
DENSENET121_SPEC = SPECS / "densenet121.yaml"
INCEPTION_V3_SPEC = SPECS / "inception_v3.yaml"
MOBILENET_V2_SPEC = SPECS / "mobilenet_v2.yaml"
EFFICIENTNET_B0_SPEC = SPECS / "efficientnet_b0.yaml"
DEFAULT_OUTPUT = ROOT / "benchmarks" / "results.json"

if importlib.util.find_spec("modelspec") is None:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

# TensorFlow's start-up chatter would bury the table; the children inherit this too.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """How much of everything one mode measures."""

    mode: str
    check_repeats: int          # validate / import-tensorflow pairs
    batch_files: int
    batch_repeats: int
    scaling_sizes: tuple[int, ...]
    scaling_repeats: int
    build_input: Optional[int]  # None: the specs' own 224x224; else a square side
    build_repeats: int          # modelspec / hand-written pairs per architecture
    runtime_input: int          # ResNet50's square side
    runtime_batch: int
    train_pairs: int            # (modelspec, keras.applications) training-step pairs
    infer_pairs: int            # inference-batch pairs
    steps_per_side: int         # interleaved steps per side in a pair; the fastest of each side counts
    densenet_input: int         # DenseNet121's square side (Keras' minimum: 32)
    inception_input: int        # InceptionV3's square side (Keras' minimum: 75)
    parity_batch: int           # the batch of the DenseNet121 and InceptionV3 training steps
    mobile_input: int           # MobileNetV2's and EfficientNetB0's square side (Keras' minimum: 32)
    mobile_batch: int           # their training-step and inference batch
    warm_up: bool = True        # an untimed first round (left out of the dry run)


MODES = {
    "full": Settings("full", 15, 200, 5, (10, 100, 1_000, 10_000), 5, None, 11, 64, 16, 31, 51, 3, 64, 75, 8,
                     96, 8),
    "quick": Settings("quick", 7, 200, 3, (10, 100, 1_000, 10_000), 3, None, 6, 64, 8, 15, 25, 3, 64, 75, 8,
                      96, 8),
    "dry-run": Settings("dry-run", 1, 12, 1, (10, 20, 40), 1, 32, 1, 32, 2, 1, 1, 1, 32, 75, 2, 32, 2,
                        warm_up=False),
}


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the table and one entry of results.json."""

    id: str
    label: str
    value: Optional[float]
    unit: str
    target: str
    ratio: Optional[float] = None       # the compared ratio, or value / limit for an absolute target
    passed: Optional[bool] = None       # None: informational, or not measured
    details: dict[str, Any] = field(default_factory=dict)
    error: Optional[str] = None


class BenchmarkError(Exception):
    """The benchmark could not measure what it should (not a missed target)."""


def median(values) -> float:
    return statistics.median(list(values))


def fmt_value(value: Optional[float], unit: str) -> str:
    if value is None:
        return "-"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "us/block":
        return f"{value:.0f} µs/block"
    return f"{value:.3g} {unit}".strip()


def print_table(rows: list[Row], out=sys.stdout) -> None:
    header = ("measurement", "value", "target", "ratio", "result")
    lines = []
    for r in rows:
        result = "error" if r.error else {True: "pass", False: "FAIL", None: "-"}[r.passed]
        ratio = "-" if r.ratio is None else f"{r.ratio:.3f}"
        lines.append((r.label, fmt_value(r.value, r.unit), r.target, ratio, result))
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    sep = "  "
    print(sep.join(h.ljust(w) for h, w in zip(header, widths)), file=out)
    print(sep.join("-" * w for w in widths), file=out)
    for line in lines:
        print(sep.join(c.ljust(w) for c, w in zip(line, widths)), file=out)
    for r in rows:
        if r.error:
            print(f"error: {r.label}: {r.error}", file=out)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    def version(dist: str) -> Optional[str]:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return None

    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = None
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
                break
    if memory is None:
        with contextlib.suppress(ValueError, OSError, AttributeError):
            memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    commit = None
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10)
        if head.returncode == 0:
            commit = head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    return {
        "cpu_model": cpu,
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "memory_bytes": memory,
        "memory_gib": round(memory / 2**30, 1) if memory else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "tensorflow": version("tensorflow"),
        "keras": version("keras"),
        "pydantic": version("pydantic"),
        "pyyaml": version("PyYAML"),
        "numpy": version("numpy"),
        "modelspec": version("modelspec"),
        "git_commit": commit,
    }


def load_average() -> Optional[list[float]]:
    with contextlib.suppress(OSError, AttributeError):
        return [round(x, 2) for x in os.getloadavg()]
    return None


# --------------------------------------------------------------------------- child processes


@dataclass
class Child:
    wall: float            # seconds
    maxrss: Optional[int]  # bytes, the child's resident-set high-water mark
    cpu: Optional[float]   # seconds of user + system time
    returncode: int
    stdout: str
    stderr: str


def run_child(argv: list[str], timeout: float = 300) -> Child:
    """Run ``argv`` from the repository root; its wall time and peak RSS, measured by ``os.wait4``."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=ROOT)
        if hasattr(os, "wait4"):
            timer = threading.Timer(timeout, proc.kill)  # a hung child ends as a failure, not a hang
            timer.start()
            try:
                _, status, usage = os.wait4(proc.pid, 0)
            finally:
                timer.cancel()
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            # ru_maxrss: kilobytes on Linux, bytes on macOS
            maxrss = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
            cpu = usage.ru_utime + usage.ru_stime
        else:  # pragma: no cover - no per-child rusage here
            proc.wait(timeout)
            wall = time.perf_counter() - start
            maxrss = cpu = None
        out.seek(0)
        err.seek(0)
        return Child(wall, maxrss, cpu, proc.returncode,
                     out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))


def modelspec_command() -> list[str]:
    """The ``modelspec`` console script of this interpreter (not a shell shim), else ``python -m modelspec``."""
    script = Path(sysconfig.get_path("scripts")) / ("modelspec.exe" if os.name == "nt" else "modelspec")
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "modelspec"]


def compile_bytecode() -> bool:
    """Byte-compile the modelspec package, as ``pip install`` does for a regular install.

    TensorFlow's bytecode was compiled when it was installed; modelspec installed
    in editable mode, with PYTHONDONTWRITEBYTECODE set, would otherwise
    recompile every module in every fresh process, which no user sees.
    """
    spec = importlib.util.find_spec("modelspec")
    if spec is None or not spec.submodule_search_locations:
        return False
    ok = True
    for location in spec.submodule_search_locations:
        ok = bool(compileall.compile_dir(location, quiet=1)) and ok
    return ok


def require_ok(child: Child, what: str) -> None:
    if child.returncode != 0:
        raise BenchmarkError(f"{what} exited {child.returncode}: {child.stderr.strip()[-500:]}")


# --------------------------------------------------------------------------- 1. check latency


def bench_check(s: Settings) -> list[Row]:
    import_tf = [sys.executable, "-c", "import tensorflow"]
    validates = {}
    for key, spec in CHECK_SPECS:
        if not (ROOT / spec).is_file():
            raise BenchmarkError(f"{spec} is missing")
        validates[key] = modelspec_command() + ["validate", spec]
    sides = [*validates, "t"]
    argvs = {**validates, "t": import_tf}
    what = {**{key: f"modelspec validate {spec}" for key, spec in CHECK_SPECS}, "t": "import tensorflow"}
    log(f"check latency: {s.check_repeats} x ({', '.join(spec for _, spec in CHECK_SPECS)} vs import tensorflow)")
    if s.warm_up:  # warm the file caches
        for key in sides:
            require_ok(run_child(argvs[key]), what[key])
    # A round runs every side once: the validates, then the import; every other round the reverse
    # (with one spec: validate, import / import, validate). Each spec's ratios are against the
    # import of the same round.
    rounds: list[dict[str, Child]] = []
    for i in range(s.check_repeats):
        children = {}
        for key in (sides if i % 2 == 0 else sides[::-1]):
            children[key] = run_child(argvs[key])
            require_ok(children[key], what[key])
            if key != "t" and not children[key].stdout.startswith("ok: "):
                raise BenchmarkError(f"{what[key]} printed {children[key].stdout!r}")
        rounds.append(children)
    t_times = [r["t"].wall for r in rounds]
    rows, memory = [], None
    for key, spec in CHECK_SPECS:
        v_times = [r[key].wall for r in rounds]
        time_ratios = [r[key].wall / r["t"].wall for r in rounds]
        cpu_ratios = [r[key].cpu / r["t"].cpu for r in rounds if r[key].cpu and r["t"].cpu]
        rss = [(r[key].maxrss, r["t"].maxrss) for r in rounds if r[key].maxrss and r["t"].maxrss]
        rss_ratios = [v / t for v, t in rss]
        validate = validates[key]
        command = " ".join(["modelspec" if "modelspec" in validate[0] else " ".join(validate[:3])] + validate[-2:])
        time_ratio = median(time_ratios)
        rows.append(Row(
            key, f"check latency: {command} (vs import tensorflow)", median(v_times), "s",
            "<= 1/15 of import time", time_ratio, time_ratio <= 1 / 15,
            {"validate_s": median(v_times), "import_tensorflow_s": median(t_times), "pairs": s.check_repeats,
             "ratios": [round(r, 4) for r in time_ratios], "limit": 1 / 15, "command": validate,
             # CPU time (user + system) is less sensitive to a busy machine than wall time; for reference only
             "cpu_ratio": median(cpu_ratios) if cpu_ratios else None,
             "validate_mib": median(v for v, _ in rss) / 2**20 if rss else None,
             "rss_ratio": median(rss_ratios) if rss_ratios else None,
             "import_shared_with": [k for k, _ in CHECK_SPECS if k != key]},
        ))
        if memory is None:  # the memory row: the first spec's
            memory = (rss, rss_ratios)
    rss, rss_ratios = memory
    if rss_ratios:
        rss_ratio = median(rss_ratios)
        v_rss, t_rss = [v for v, _ in rss], [t for _, t in rss]
        rows.insert(1, Row(
            "check_memory", "check peak memory (RSS, vs import tensorflow)", median(v_rss) / 2**20, "MiB",
            "<= 1/5 of import memory", rss_ratio, rss_ratio <= 1 / 5,
            {"validate_mib": median(v_rss) / 2**20, "import_tensorflow_mib": median(t_rss) / 2**20,
             "ratios": [round(r, 4) for r in rss_ratios], "limit": 1 / 5, "spec": CHECK_SPECS[0][1]},
        ))
    else:
        rows.insert(1, Row("check_memory", "check peak memory (RSS, vs import tensorflow)", None, "MiB",
                           "<= 1/5 of import memory", error="no per-child rusage on this platform"))
    return rows


# --------------------------------------------------------------------------- 2. batch validation


def bundled_specs() -> list[Path]:
    return sorted(p for p in SPECS.iterdir() if p.suffix in (".yaml", ".yml", ".json") and p.is_file())


def write_batch(directory: Path, count: int) -> list[str]:
    """The bundled specs, then variants of them (renamed, other input channels), alternately YAML and JSON."""
    import yaml

    import modelspec
    from modelspec import parse_text

    bundled = bundled_specs()
    if not bundled:
        raise BenchmarkError(f"no spec files in {SPECS}")
    paths: list[str] = []
    documents = []
    for p in bundled[:count]:
        target = directory / p.name
        shutil.copyfile(p, target)
        paths.append(str(target))
        data = parse_text(p.read_bytes(), str(p), as_json=p.suffix == ".json").data
        data.pop("$schema", None)
        documents.append(data)
    k = 0
    while len(paths) < count:
        base = documents[k % len(documents)]
        variant = json.loads(json.dumps(base))
        variant["name"] = f"{base['name']}_v{k}"
        variant["description"] = f"generated variant {k} of {base['name']}"
        shape = variant["input"]["shape"] if "input" in variant else None
        if shape is not None and len(shape) == 3:
            channels, shape[2] = shape[2], k % 4 + 1
            try:  # a spec with per-channel values (EfficientNetV2's normalize) keeps its own channel count
                modelspec.loads(json.dumps(variant), json=True)
            except modelspec.SpecError:
                shape[2] = channels
        if k % 2:
            target = directory / f"{variant['name']}.json"
            target.write_text(json.dumps(variant, indent=2), encoding="utf-8")
        else:
            target = directory / f"{variant['name']}.yaml"
            target.write_text(yaml.safe_dump(variant, sort_keys=False), encoding="utf-8")
        paths.append(str(target))
        k += 1
    return paths


def bench_batch(s: Settings) -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="modelspec-bench-") as tmp:
        paths = write_batch(Path(tmp), s.batch_files)
        argv = modelspec_command() + ["validate", *paths]
        log(f"batch validation: {len(paths)} files in one call, {s.batch_repeats} repeat(s)")
        if s.warm_up:  # warm the file caches
            require_ok(run_child(argv), "modelspec validate (batch)")
        times = []
        for _ in range(s.batch_repeats):
            child = run_child(argv)
            require_ok(child, "modelspec validate (batch)")
            oks = sum(1 for line in child.stdout.splitlines() if line.startswith("ok: "))
            if oks != len(paths):
                raise BenchmarkError(f"{oks} of {len(paths)} files validated")
            times.append(child.wall)
    value = median(times)
    return [Row(
        "batch_validation", f"batch validation: {len(paths)} spec files, one validate call", value, "s",
        "< 2 s", value / 2.0, value < 2.0,
        {"files": len(paths), "bundled": len(bundled_specs()), "per_file_ms": value / len(paths) * 1000,
         "times_s": [round(t, 4) for t in times]},
    )]


# --------------------------------------------------------------------------- 3. scaling

# Shape-preserving blocks on an 8x8x16 input, so any number of them makes a valid model.
_CYCLE = (
    "{type: conv, filters: 16, kernel_size: 3, padding: same, activation: relu}",
    "{type: residual, filters: 16}",
    "{type: inception, conv1x1: 4, conv3x3: 4, conv5x5: 4, pool_proj: 4}",
    "{type: bottleneck, filters: 4, batch_norm: true}",
    "{type: batch_norm}",
    "{type: dropout, rate: 0.1}",
)


def synthetic_spec(blocks: int) -> str:
    lines = [f"name: synthetic_{blocks}", "input:", "  shape: [8, 8, 16]", "blocks:"]
    lines += [f"  - {_CYCLE[i % len(_CYCLE)]}" for i in range(blocks)]
    return "\n".join(lines) + "\n"


def _graph_unit(u: int, source: str) -> list[str]:
    """Seven top-level blocks on an 8x8x16 map, from ``source`` (a name) to ``g{u}`` (8x8x16 again).

    Every output is taken by a later block of the unit: ``source`` by ``a`` (the previous block's,
    by default) and by ``b`` (an ``input:`` reference); ``a`` and ``b`` by the ``add``; the ``add`` by
    the ``parallel`` (its empty branch is the identity) and by the ``concat``; the ``parallel`` by
    the ``sequence``; the ``sequence`` by the ``concat`` (16 + 8 channels); the ``concat`` by ``g``.
    """
    return [
        f"{{name: a{u}, type: conv, filters: 16, kernel_size: 3, padding: same, activation: relu}}",
        f"{{name: b{u}, type: conv, filters: 16, kernel_size: 1, input: {source}}}",
        f"{{name: c{u}, type: add, inputs: [a{u}, b{u}]}}",
        f"{{name: d{u}, type: parallel, merge: add, branches: "
        f"[[], [{{type: conv, filters: 16, kernel_size: 3, padding: same}}, {{type: batch_norm}}]]}}",
        f"{{name: e{u}, type: sequence, blocks: [{{type: conv, filters: 8, kernel_size: 1, activation: relu}}, "
        f"{{type: conv, filters: 8, kernel_size: 3, padding: same}}]}}",
        f"{{name: f{u}, type: concat, inputs: [c{u}, e{u}]}}",
        f"{{name: g{u}, type: conv, filters: 16, kernel_size: 1, activation: relu}}",
    ]


GRAPH_UNIT_BLOCKS = len(_graph_unit(0, "input"))


def synthetic_graph_spec(blocks: int) -> str:
    """A graph of ``blocks`` top-level blocks: whole units of :func:`_graph_unit` (the first one
    starts from the model input ``input``, each next one from the previous unit's ``g``), then
    fewer than a unit's worth of batch norms chained after the last one. Nothing dangles: the
    last block is the model output, every other output is taken by a later block."""
    lines = [f"name: graph_{blocks}", "input:", "  shape: [8, 8, 16]", "blocks:"]
    source, u = "input", 0
    while len(lines) - 4 + GRAPH_UNIT_BLOCKS <= blocks:
        lines += [f"  - {b}" for b in _graph_unit(u, source)]
        source, u = f"g{u}", u + 1
    lines += ["  - {type: batch_norm}"] * (blocks - (len(lines) - 4))
    return "\n".join(lines) + "\n"


# The spec reader's hostile-input limits (a file of a few kilobytes, a few hundred values) that a
# 10,000-block spec exceeds: these measurements pass larger ones, as they pass a larger
# Budget.max_layers. The command line keeps the defaults.
LARGE_READER_LIMITS = {"max_bytes": 10**9, "max_values": 10**9}


def bench_scaling(s: Settings) -> list[Row]:
    rows = _bench_scaling(s, synthetic_spec, "scaling", "", 3.0)
    rows[0].details["reader_limits"] = LARGE_READER_LIMITS
    return rows


def bench_graph_scaling(s: Settings) -> list[Row]:
    rows = _bench_scaling(s, synthetic_graph_spec, "graph_scaling", "graph ", None)
    rows[0].details["reader_limits"] = LARGE_READER_LIMITS
    rows[0].details["spec"] = (f"units of {GRAPH_UNIT_BLOCKS} blocks (named blocks, input: references, "
                               "add and concat of two earlier names, a parallel with an empty branch, "
                               "a sequence), then batch norms up to the size")
    return rows


def _bench_scaling(s: Settings, generate: Callable[[int], str], prefix: str, kind: str,
                   largest_limit: Optional[float]) -> list[Row]:
    """Rows ``{prefix}_flatness``, ``{prefix}_largest`` and ``{prefix}_{n}`` for the specs ``generate(n)``.

    ``largest_limit``: seconds the largest spec must take less than, or None (informational).
    """
    import modelspec
    from modelspec import Budget, ReaderLimits, analyze, parse_spec, parse_text

    budget = Budget(max_layers=10**7)
    limits = ReaderLimits(**LARGE_READER_LIMITS)
    texts = {n: generate(n) for n in s.scaling_sizes}

    paused = getattr(importlib.import_module("modelspec.analysis"), "gc_paused", contextlib.nullcontext)

    def once(n: int) -> tuple[float, float, float, float, float, int]:
        """(wall s, process CPU s, read s, validate s, analyze s, layers): one ``modelspec.loads`` of n blocks.

        The phases are timed on a second, separate pass through the same functions.
        """
        gc.collect()
        c0, t0 = time.process_time(), time.perf_counter()
        with paused():  # as the command line does around a check
            modelspec.loads(texts[n], f"synthetic_{n}.yaml", budget=budget, limits=limits)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        gc.collect()
        with paused():
            t0 = time.perf_counter()
            source = parse_text(texts[n], f"synthetic_{n}.yaml", limits=limits)
            t1 = time.perf_counter()
            spec = parse_spec(source)
            t2 = time.perf_counter()
            graph = analyze(spec, budget)
            t3 = time.perf_counter()
        return wall, cpu, t1 - t0, t2 - t1, t3 - t2, len(graph.nodes)  # all of it is freed on return

    # Round by round, every size once (small ones several times, about equally long), so that a
    # neighbour's burst of load falls on all sizes alike; medians per size.
    counts = {}
    for n in s.scaling_sizes:
        first = once(n)[0]  # warm-up, and how long a pass takes
        counts[n] = max(1, min(50, round(0.2 / first))) if s.warm_up else 1
    log(f"{kind}scaling: {', '.join(f'{n:,}' for n in s.scaling_sizes)} blocks, {s.scaling_repeats} round(s)")
    samples: dict[int, list[tuple]] = {n: [] for n in s.scaling_sizes}
    for _ in range(s.scaling_repeats):
        for n in s.scaling_sizes:
            samples[n].extend(once(n) for _ in range(counts[n]))
    per_size: dict[int, dict[str, Any]] = {}
    for n, runs in samples.items():
        wall = median(r[0] for r in runs)
        per_size[n] = {
            "seconds": wall, "us_per_block": wall / n * 1e6, "cpu_us_per_block": median(r[1] for r in runs) / n * 1e6,
            "runs": len(runs), "layers": runs[0][5], "bytes": len(texts[n]),
            "read_s": median(r[2] for r in runs), "validate_s": median(r[3] for r in runs),
            "analyze_s": median(r[4] for r in runs),
        }
    small = 100 if 100 in per_size else s.scaling_sizes[1]
    large = s.scaling_sizes[-1]
    flat = per_size[large]["us_per_block"] / per_size[small]["us_per_block"]
    largest = per_size[large]["seconds"]
    details = {"sizes": {str(n): v for n, v in per_size.items()}, "from_blocks": small, "to_blocks": large,
               "cpu_ratio": per_size[large]["cpu_us_per_block"] / per_size[small]["cpu_us_per_block"],
               "timed": "modelspec.loads; its phases timed on a separate pass: the YAML reader (read_s), "
                        "validation (validate_s), layer expansion and shape inference (analyze_s)"}
    if largest_limit is None:
        target, largest_ratio, largest_passed = "-", None, None
    else:
        target = f"< {largest_limit:g} s"
        largest_ratio, largest_passed = largest / largest_limit, largest < largest_limit
    rows = [
        Row(f"{prefix}_flatness", f"static pass time per block, {kind}{small:,} -> {large:,} blocks",
            per_size[large]["us_per_block"], "us/block", "<= 1.5x", flat, flat <= 1.5, details),
        Row(f"{prefix}_largest", f"static pass of {kind}{large:,} blocks ({per_size[large]['layers']:,} layers)",
            largest, "s", target, largest_ratio, largest_passed, {"blocks": large}),
    ]
    for n in s.scaling_sizes:
        if n != large:
            rows.append(Row(f"{prefix}_{n}", f"  static pass of {kind}{n:,} blocks", per_size[n]["us_per_block"],
                            "us/block", "-", None, None))
    return rows


# --------------------------------------------------------------------------- hand-written Keras


def hand_vgg16(input_shape=(224, 224, 3), classes=1000):
    """VGG16 (configuration D) in plain Keras: five conv blocks, then three dense layers."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for block, (filters, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), start=1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(4096, activation="relu", name="fc1")(x)
    x = layers.Dense(4096, activation="relu", name="fc2")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="vgg16")


def hand_resnet50(input_shape=(224, 224, 3), classes=1000):
    """ResNet50 v1 in plain Keras: stem, four stages of bottleneck blocks, global pool, softmax."""
    import keras
    from keras import layers

    epsilon = 1.001e-5

    def conv_bn(x, filters, kernel, name, strides=1, padding="valid", relu=True):
        x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, name=name)(x)
        x = layers.BatchNormalization(epsilon=epsilon, name=f"{name}_bn")(x)
        return layers.Activation("relu", name=f"{name}_relu")(x) if relu else x

    def bottleneck(x, filters, strides, name, project):
        if project:
            shortcut = conv_bn(x, 4 * filters, 1, f"{name}_shortcut", strides=strides, relu=False)
        else:
            shortcut = x
        y = conv_bn(x, filters, 1, f"{name}_conv1", strides=strides)
        y = conv_bn(y, filters, 3, f"{name}_conv2", padding="same")
        y = conv_bn(y, 4 * filters, 1, f"{name}_conv3", relu=False)
        x = layers.Add(name=f"{name}_add")([shortcut, y])
        return layers.Activation("relu", name=f"{name}_out")(x)

    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.ZeroPadding2D(3, name="conv1_pad")(inputs)
    x = conv_bn(x, 64, 7, "conv1", strides=2)
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1_pool")(x)
    for stage, (filters, blocks, strides) in enumerate(((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)), 2):
        for block in range(1, blocks + 1):
            x = bottleneck(x, filters, strides if block == 1 else 1, f"conv{stage}_block{block}", block == 1)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dense(classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, x, name="resnet50")


def spec_text(path: Path, side: Optional[int]) -> tuple[str, bool]:
    """The spec's text, or (``side`` given) a JSON variant with a ``side`` x ``side`` input: (text, is_json)."""
    from modelspec import parse_text

    if not path.is_file():
        raise BenchmarkError(f"{path.relative_to(ROOT)} is missing")
    raw = path.read_text(encoding="utf-8")
    if side is None:
        return raw, path.suffix == ".json"
    data = parse_text(raw, str(path), as_json=path.suffix == ".json").data
    data.pop("$schema", None)
    data["input"]["shape"] = [side, side, data["input"]["shape"][2]]
    return json.dumps(data), True


# --------------------------------------------------------------------------- 4. build overhead


def _timed(make: Callable[[], Any]) -> tuple[float, int, int]:
    """Build once on a fresh Keras session: (seconds, params, layers)."""
    import keras

    keras.backend.clear_session()
    gc.collect()
    start = time.perf_counter()
    model = make()
    seconds = time.perf_counter() - start
    params, layers = model.count_params(), len(model.layers)
    del model
    return seconds, params, layers


def bench_build(s: Settings) -> list[Row]:
    side = s.build_input
    shape = (224, 224, 3) if side is None else (side, side, 3)
    return [_build_row(s, key, label, path, lambda hand=hand: hand(shape), "hand-written Keras", "hand_written")
            for key, label, path, hand in (("build_vgg16", "VGG16", VGG16_SPEC, hand_vgg16),
                                           ("build_resnet50", "ResNet50", RESNET50_SPEC, hand_resnet50))]


def bench_build_applications(s: Settings) -> list[Row]:
    """specs/mobilenet_v2.yaml and specs/efficientnet_b0.yaml against constructing the Keras Applications
    model, ``keras.applications.MobileNetV2(weights=None)`` / ``EfficientNetB0(weights=None)`` (at their
    default 224x224; in the dry run both sides get ``build_input``)."""
    import keras

    side = s.build_input
    kwargs = {} if side is None else {"input_shape": (side, side, 3)}
    rows = []
    for key, label, path in (("build_mobilenet_v2", "MobileNetV2", MOBILENET_V2_SPEC),
                             ("build_efficientnet_b0", "EfficientNetB0", EFFICIENTNET_B0_SPEC)):
        application = getattr(keras.applications, label)

        def theirs(application=application):
            return application(weights=None, **kwargs)

        rows.append(_build_row(s, key, label, path, theirs, "keras.applications", "keras_applications"))
        rows[-1].details["reference"] = (f"keras.applications.{label}(weights=None"
                                         + ("" if side is None else f", input_shape=({side}, {side}, 3)") + ")")
    return rows


def _build_row(s: Settings, key: str, label: str, path: Path, theirs: Callable[[], Any], reference: str,
               side_key: str) -> Row:
    """``modelspec.build(modelspec.loads(text))`` of ``path`` against ``theirs()``, pair by pair, alternating.

    ``reference``: what the row compares against, as the label says it; ``side_key``: its name in the details.
    """
    import modelspec

    side = s.build_input
    shape = (224, 224, 3) if side is None else (side, side, 3)
    text, as_json = spec_text(path, side)
    name = str(path.relative_to(ROOT))

    def ours():
        return modelspec.build(modelspec.loads(text, name, json=as_json))

    log(f"build overhead: {label} at {shape[0]}x{shape[1]} vs {reference}, {s.build_repeats} pair(s)")
    if s.warm_up:  # first-use costs of Keras land on neither side
        _timed(ours), _timed(theirs)
    ms_times, their_times, ratios = [], [], []
    ms_params = their_params = ms_layers = their_layers = None
    for i in range(s.build_repeats):
        if i % 2 == 0:
            a, b = _timed(ours), _timed(theirs)
        else:
            b, a = _timed(theirs), _timed(ours)
        ms_times.append(a[0])
        their_times.append(b[0])
        ratios.append(a[0] / b[0])
        ms_params, ms_layers, their_params, their_layers = a[1], a[2], b[1], b[2]
    if ms_params != their_params:
        raise BenchmarkError(f"{label}: modelspec.build has {ms_params:,} params, "
                             f"the {reference} model {their_params:,}")
    ratio = median(ratios)
    return Row(
        key, f"build {label} ({name}) vs {reference}", median(ms_times), "s", "ratio <= 1.10",
        ratio, ratio <= 1.10,
        {"modelspec_s": median(ms_times), f"{side_key}_s": median(their_times), "pairs": s.build_repeats,
         "ratios": [round(r, 4) for r in ratios], "params": ms_params, "params_equal": True,
         "layers": {"modelspec": ms_layers, side_key: their_layers}, "input_shape": list(shape),
         "timed": f"modelspec.build(modelspec.loads(text)) vs the {reference} constructor, "
                  "each on a fresh keras.backend.clear_session()"},
    )


# --------------------------------------------------------------------------- 5. run-time parity


def is_adaptable_normalization(layer) -> bool:
    """An adaptable ``keras.layers.Normalization`` (no mean or variance given): its statistics are weights."""
    return type(layer).__name__ == "Normalization" and bool(layer.weights)


# The ImageNet statistics, in [0, 1] pixel units: keras/src/applications/imagenet_utils.py, "torch" mode
# (mean [0.485, 0.456, 0.406], std [0.229, 0.224, 0.225]; efficientnet.py's IMAGENET_STDDEV_RGB is that std).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def set_normalization_statistics(model) -> int:
    """Give every adaptable Normalization of ``model`` the ImageNet statistics (a count of 1,000 images),
    in place of its zeros and ones, so that the output check below fails if they are not copied and
    applied. The arithmetic, and so the time, is the same whatever the values. The number of layers set."""
    import numpy as np

    layers = [layer for layer in model.layers if is_adaptable_normalization(layer)]
    for layer in layers:
        values = {"mean": np.asarray(IMAGENET_MEAN), "variance": np.square(IMAGENET_STD), "count": 1000}
        set_layer_weights(layer, [np.asarray(values[w.name], dtype=w.dtype).reshape(w.shape)
                                  for w in layer.weights])
    return len(layers)


def set_layer_weights(layer, values: list) -> None:
    """``layer.set_weights``, then what ``load_weights`` does after it: an adaptable Normalization reads its
    mean and variance weights into the constants it applies only in ``finalize_state`` (keras/src/layers/
    preprocessing/normalization.py); ``set_weights`` alone leaves them as they were."""
    layer.set_weights(values)
    if is_adaptable_normalization(layer):
        layer.finalize_state()


def copy_weights(source, target, label: str) -> int:
    """Copy ``source``'s weights into ``target`` by position, layer by layer over the layers that
    have weights (the spec follows the Keras Applications layer order; an adaptable Normalization's
    mean, variance and count included, see :func:`set_layer_weights`); the number of layers copied."""
    theirs = [layer for layer in source.layers if layer.weights]
    ours = [layer for layer in target.layers if layer.weights]
    if len(ours) != len(theirs):
        raise BenchmarkError(f"{label}: {len(ours)} layers with weights, keras.applications {len(theirs)}")
    for a, b in zip(ours, theirs):
        if [tuple(w.shape) for w in a.weights] != [tuple(w.shape) for w in b.weights]:
            raise BenchmarkError(f"{label}: layer {a.name} ({[tuple(w.shape) for w in a.weights]}) does not "
                                 f"take the weights of {b.name} ({[tuple(w.shape) for w in b.weights]})")
        set_layer_weights(a, b.get_weights())
    return len(ours)


def compare_layer_outputs(reference, candidate, x, label: str) -> tuple[int, float]:
    """Every layer's output of ``candidate`` against ``reference``'s, by position, on the batch ``x``, in
    inference mode; raises unless each is equal (to 1e-5 relative, 1e-6 of its largest value absolute).

    The layers line up one to one (the spec follows the Keras Applications layer order). Each layer is
    compared, not only the softmax: with Keras' initial weights some networks all but forget their input
    (EfficientNetB0's softmax varies by 1e-8 across a batch), so a wrong layer near the input, such as a
    Normalization whose statistics were not applied, would not show in the output. (layers compared,
    largest difference relative to its layer's largest value)."""
    import keras
    import numpy as np

    if len(candidate.layers) != len(reference.layers):
        raise BenchmarkError(f"{label}: {len(candidate.layers)} layers, keras.applications {len(reference.layers)}")
    outputs = []
    for model in (reference, candidate):
        layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
        probe = keras.Model(model.input, [layer.output for layer in layers])
        outputs.append((layers, [np.asarray(y) for y in probe(x, training=False)]))
        del probe
    (ref_layers, expected), (cand_layers, actual) = outputs
    worst = 0.0
    for r, c, e, a in zip(ref_layers, cand_layers, expected, actual):
        scale = float(np.abs(e).max()) or 1.0
        if e.shape != a.shape or not np.allclose(a, e, rtol=1e-5, atol=1e-6 * scale):
            diff = float(np.max(np.abs(a - e))) if e.shape == a.shape else float("nan")
            raise BenchmarkError(f"{label}: with the same weights layer {c.name}'s output differs from "
                                 f"{r.name}'s (shapes {a.shape} / {e.shape}, max |diff| {diff:.3g}, "
                                 f"largest value {scale:.3g})")
        worst = max(worst, float(np.max(np.abs(a - e))) / scale)
    return len(ref_layers), worst


def bench_runtime(s: Settings) -> list[Row]:
    return runtime_parity(s, "ResNet50", RESNET50_SPEC, "ResNet50", s.runtime_input, s.runtime_batch,
                          (("runtime_train_step", "training step", "train", s.train_pairs),
                           ("runtime_inference", "inference batch", "infer", s.infer_pairs)))


def bench_runtime_densenet121(s: Settings) -> list[Row]:
    return runtime_parity(s, "DenseNet121", DENSENET121_SPEC, "DenseNet121", s.densenet_input, s.parity_batch,
                          (("runtime_train_step_densenet121", "training step", "train", s.train_pairs),))


def bench_runtime_inception_v3(s: Settings) -> list[Row]:
    return runtime_parity(s, "InceptionV3", INCEPTION_V3_SPEC, "InceptionV3", s.inception_input, s.parity_batch,
                          (("runtime_train_step_inception_v3", "training step", "train", s.train_pairs),))


def bench_runtime_mobilenet_v2(s: Settings) -> list[Row]:
    return runtime_parity(s, "MobileNetV2", MOBILENET_V2_SPEC, "MobileNetV2", s.mobile_input, s.mobile_batch,
                          (("runtime_train_step_mobilenet_v2", "training step", "train", s.train_pairs),
                           ("runtime_inference_mobilenet_v2", "inference batch", "infer", s.infer_pairs)))


def bench_runtime_efficientnet_b0(s: Settings) -> list[Row]:
    return runtime_parity(s, "EfficientNetB0", EFFICIENTNET_B0_SPEC, "EfficientNetB0", s.mobile_input,
                          s.mobile_batch,
                          (("runtime_train_step_efficientnet_b0", "training step", "train", s.train_pairs),
                           ("runtime_inference_efficientnet_b0", "inference batch", "infer", s.infer_pairs)))


def runtime_parity(s: Settings, label: str, path: Path, application: str, side: int, batch: int,
                   measurements: tuple[tuple[str, str, str, int], ...]) -> list[Row]:
    """The model compiled from ``path`` at ``side`` x ``side`` against ``keras.applications.<application>``.

    ``measurements``: (row id, what, "train" or "infer", pairs). Both models get the same weights
    (Keras' initial ones, copied layer by layer; an adaptable Normalization gets the ImageNet statistics
    first, see :func:`set_normalization_statistics`) and must give the same output at every layer (on two
    samples, :func:`compare_layer_outputs`) and the same predictions on the batch before anything is
    timed; both are compiled alike. A model that rescales its input itself (a Rescaling layer first, as
    EfficientNet's) gets pixels, 0 to 255; any other, values in [0, 1).
    """
    import keras
    import numpy as np

    import modelspec

    text, as_json = spec_text(path, side)
    name = str(path.relative_to(ROOT))
    log(f"run-time parity: {label} ({name}) at {side}x{side}, batch {batch}, "
        + ", ".join(f"{pairs} {what} pair(s)" for _, what, _, pairs in measurements))
    keras.backend.clear_session()
    gc.collect()
    ours = modelspec.build(modelspec.loads(text, name, json=as_json))
    theirs = getattr(keras.applications, application)(weights=None, input_shape=(side, side, 3))
    if ours.count_params() != theirs.count_params():
        raise BenchmarkError(f"{label}: modelspec {ours.count_params():,} params, "
                             f"keras.applications {theirs.count_params():,}")
    normalizations = set_normalization_statistics(theirs)
    copied = copy_weights(theirs, ours, label)  # identical arithmetic on both sides
    rng = np.random.default_rng(0)
    pixels = any(type(layer).__name__ == "Rescaling" for layer in theirs.layers[:2])
    x = rng.random((batch, side, side, 3), dtype=np.float32) * np.float32(255 if pixels else 1)
    y = rng.integers(0, 1000, size=(batch,))
    layers_compared, layer_diff = compare_layer_outputs(theirs, ours, x[:2], label)
    # the whole batch, called eagerly in inference mode: no predict function traced for the check alone
    expected, actual = np.asarray(theirs(x, training=False)), np.asarray(ours(x, training=False))
    max_diff = float(np.max(np.abs(actual - expected)))
    if not np.allclose(actual, expected, rtol=1e-5, atol=1e-6 * (float(np.abs(expected).max()) or 1.0)):
        raise BenchmarkError(f"{label}: with the same weights the outputs differ (max |diff| {max_diff:.3g})")
    # how much the outputs depend on the input, for reference: the spread across the batch
    spread = float(np.max(np.abs(expected - expected[:1]))) if batch > 1 else None
    kinds = {kind for _, _, kind, _ in measurements}
    for model in (ours, theirs):
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-3),
                      loss="sparse_categorical_crossentropy", jit_compile=False)
        for _ in range(2 if s.warm_up else 1):  # trace and warm up both functions
            if "train" in kinds:
                model.train_on_batch(x, y)
            if "infer" in kinds:
                model.predict_on_batch(x)

    def train(model):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        return time.perf_counter() - start

    def infer(model):
        start = time.perf_counter()
        model.predict_on_batch(x)
        return time.perf_counter() - start

    # A pair is k single steps per side, interleaved (ABAB..., or BABA... every other pair), and
    # compares the fastest step of each side: the two models do identical work, and a neighbour's
    # burst of load can only add time, so the fastest step is the least disturbed one.
    rows = []
    k = s.steps_per_side
    for key, what, kind, pairs in measurements:
        step = train if kind == "train" else infer
        ms_times, ka_times, ratios = [], [], []
        for i in range(pairs):
            a_steps, b_steps = [], []
            for _ in range(k):
                if i % 2 == 0:
                    a_steps.append(step(ours))
                    b_steps.append(step(theirs))
                else:
                    b_steps.append(step(theirs))
                    a_steps.append(step(ours))
            a, b = min(a_steps), min(b_steps)
            ms_times.append(a)
            ka_times.append(b)
            ratios.append(a / b)
        ratio = median(ratios)
        rows.append(Row(
            key, f"{label} {what} ({side}x{side}, batch {batch}) vs keras.applications", median(ms_times),
            "s", "0.95 <= ratio <= 1.05", ratio, 0.95 <= ratio <= 1.05,
            {"modelspec_s": median(ms_times), "keras_applications_s": median(ka_times),
             "pairs": pairs, "steps_per_side": k, "ratios": [round(r, 4) for r in ratios], "batch": batch,
             "input_shape": [side, side, 3], "spec": name, "application": f"keras.applications.{application}",
             "same_weights": True, "layers_copied": copied, "max_output_diff": max_diff,
             "layer_outputs_compared": layers_compared, "max_layer_output_diff_relative": layer_diff,
             "output_spread_across_batch": spread, "input_range": [0, 255] if pixels else [0, 1],
             "normalization_statistics_copied": normalizations,
             "params": ours.count_params(), "layers": {"modelspec": len(ours.layers), "keras": len(theirs.layers)},
             "optimizer": "SGD(learning_rate=1e-3)", "loss": "sparse_categorical_crossentropy",
             "jit_compile": False},
        ))
    del ours, theirs
    keras.backend.clear_session()
    gc.collect()
    return rows


# --------------------------------------------------------------------------- editors and pictures


def percentile(values, q: float) -> float:
    """The q-quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered) + 0.5)) - 1))]


def bench_editor(s: Settings) -> list[Row]:
    """The language server in-process, after warm-up: an edit to ResNet-50 until its diagnostics are
    published (the server's own handler: pygls workspace update, the whole check, protocol objects),
    and the first hover on a block after each edit (the buffer's parse included)."""
    from lsprotocol import types as lsp

    from modelspec.lsp import SpecServer

    server = SpecServer()
    for _ in server.protocol.lsp_initialize(lsp.InitializeParams(  # a generator in pygls 2: run it through
            capabilities=lsp.ClientCapabilities(), process_id=None, root_uri=ROOT.as_uri())):
        pass
    published = []
    server.text_document_publish_diagnostics = published.append  # no transport: keep what would be sent
    path = ROOT / CHECK_SPEC
    uri, text = path.as_uri(), path.read_text(encoding="utf-8")
    server.workspace.put_text_document(lsp.TextDocumentItem(uri=uri, language_id="yaml", version=1, text=text))
    server.publish(uri)
    line = next(i for i, l in enumerate(text.splitlines()) if "name: conv3, type: bottleneck" in l)
    column = text.splitlines()[line].index("bottleneck")
    target = text.splitlines()[line].index("filters: 128") + len("filters: ")
    samples = max(20, 10 * s.check_repeats)
    edits, hovers = [], []
    log(f"editor: {samples} edits of {CHECK_SPEC} (diagnostics, then a hover)")
    for i in range(samples + 5):  # the first five warm up
        version = i + 2
        value = "128" if i % 2 else "129"  # alternate: every edit is a new text
        change = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(lsp.Position(line, target), lsp.Position(line, target + 3)), text=value)
        start = time.perf_counter()
        server.workspace.update_text_document(lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), change)
        server.publish(uri)
        mid = time.perf_counter()
        found = server.analysis(uri).hover(line, column)
        end = time.perf_counter()
        if published[-1].diagnostics or found is None or "output shape" not in found[0]:
            raise BenchmarkError(f"edit {i}: unexpected diagnostics {published[-1].diagnostics} or hover {found}")
        if i >= 5:
            edits.append(mid - start)
            hovers.append(end - mid)
    p95_edit, p95_hover = percentile(edits, 0.95), percentile(hovers, 0.95)
    return [
        Row("lsp_diagnostics", f"language server: diagnostics for an edit to {CHECK_SPEC} (p95, in-process)",
            p95_edit, "s", "<= 30 ms (p95)", p95_edit / 0.030, p95_edit <= 0.030,
            {"samples": len(edits), "median_s": median(edits), "max_s": max(edits), "limit_s": 0.030}),
        Row("lsp_hover", "language server: first hover on a block after an edit (p95, in-process)",
            p95_hover, "s", "<= 10 ms (p95)", p95_hover / 0.010, p95_hover <= 0.010,
            {"samples": len(hovers), "median_s": median(hovers), "max_s": max(hovers), "limit_s": 0.010}),
    ]


def bench_plot(s: Settings) -> list[Row]:
    """``modelspec plot specs/resnet50.yaml -o x.dot`` against ``import tensorflow``, in fresh processes,
    held to validate's target (1/15 of the import)."""
    with tempfile.TemporaryDirectory() as tmp:
        plot = modelspec_command() + ["plot", CHECK_SPEC, "-o", str(Path(tmp) / "resnet50.dot")]
        import_tf = [sys.executable, "-c", "import tensorflow"]
        log(f"plot latency: {s.check_repeats} x (modelspec plot {CHECK_SPEC} -o .dot vs import tensorflow)")
        if s.warm_up:
            require_ok(run_child(plot), "modelspec plot")
            require_ok(run_child(import_tf), "import tensorflow")
        pairs = []
        for i in range(s.check_repeats):
            order = (plot, import_tf) if i % 2 == 0 else (import_tf, plot)
            children = {id(argv): run_child(argv) for argv in order}
            require_ok(children[id(plot)], "modelspec plot")
            require_ok(children[id(import_tf)], "import tensorflow")
            pairs.append((children[id(plot)].wall, children[id(import_tf)].wall))
    ratios = [p / t for p, t in pairs]
    ratio = median(ratios)
    return [Row("plot_time", f"plot latency: modelspec plot {CHECK_SPEC} -o .dot (vs import tensorflow)",
                median(p for p, _ in pairs), "s", "<= 1/15 of import time", ratio, ratio <= 1 / 15,
                {"plot_s": median(p for p, _ in pairs), "import_tensorflow_s": median(t for _, t in pairs),
                 "pairs": len(pairs), "ratios": [round(r, 4) for r in ratios], "limit": 1 / 15})]


# --------------------------------------------------------------------------- experiment configs


def write_experiments(directory: Path, count: int) -> tuple[list[str], list[str]]:
    """``count`` children of specs/resnet50.yaml (each patches a few fields and sets its own input
    size), and each child's ``modelspec expand`` output: the same specs with nothing to resolve."""
    base = directory / "resnet50.yaml"
    shutil.copy(RESNET50_SPEC, base)
    children, expanded = [], []
    for i in range(count):
        child = directory / f"child_{i:04d}.yaml"
        child.write_text(f"extends: resnet50.yaml\nname: child_{i}\ninput: {{shape: [{96 + 32 * (i % 5)}, "
                         f"{96 + 32 * (i % 5)}, 3]}}\npatch:\n  conv1: {{filters: {32 + i % 64}}}\n"
                         f"  predictions: {{units: {10 + i}}}\n", encoding="utf-8")
        children.append(str(child))
    for path in children:
        child = run_child(modelspec_command() + ["expand", path])
        require_ok(child, f"modelspec expand {path}")
        out = directory / f"expanded_{Path(path).stem}.yaml"
        out.write_text(child.stdout, encoding="utf-8")
        expanded.append(str(out))
    return children, expanded


def bench_experiments(s: Settings) -> list[Row]:
    """``validate`` of many children of one base against validating their expanded files (the base is
    read once, and merging costs little: at most 1.5x), and ``diff`` of two ResNet-50 variants held to
    validate's latency target (1/15 of ``import tensorflow``), in fresh processes."""
    count = 500 if s.mode != "dry-run" else 10
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        log(f"experiments: writing {count} children of {CHECK_SPEC} and their expanded files")
        children, expanded = write_experiments(Path(tmp), count)
        sides = {"children": modelspec_command() + ["validate", *children],
                 "expanded": modelspec_command() + ["validate", *expanded]}
        if s.warm_up:
            for argv in sides.values():
                require_ok(run_child(argv, timeout=900), "modelspec validate")
        times: dict[str, list[float]] = {"children": [], "expanded": []}
        for i in range(s.batch_repeats):
            for key in (("children", "expanded") if i % 2 == 0 else ("expanded", "children")):
                child = run_child(sides[key], timeout=900)
                require_ok(child, f"modelspec validate ({key})")
                times[key].append(child.wall)
        ratio = median(times["children"]) / median(times["expanded"])
        rows.append(Row("experiments_validate", f"validate {count} children of one base vs their {count} "
                        "expanded files", median(times["children"]), "s", "<= 1.5x expanded", ratio, ratio <= 1.5,
                        {"children_s": median(times["children"]), "expanded_s": median(times["expanded"]),
                         "files": count, "repeats": s.batch_repeats}))
        variant = Path(tmp) / "resnet50_wide.yaml"
        variant.write_text("extends: resnet50.yaml\nname: resnet50_wide\npatch:\n  conv3: {filters: 160}\n"
                           "  conv4: {filters: 320}\n", encoding="utf-8")
        diff = modelspec_command() + ["diff", str(Path(tmp) / "resnet50.yaml"), str(variant)]
        import_tf = [sys.executable, "-c", "import tensorflow"]
        log(f"experiments: {s.check_repeats} x (modelspec diff of two ResNet-50 variants vs import tensorflow)")
        if s.warm_up:
            run_child(diff)
            require_ok(run_child(import_tf), "import tensorflow")
        pairs = []
        for i in range(s.check_repeats):
            order = (diff, import_tf) if i % 2 == 0 else (import_tf, diff)
            children_ = {id(argv): run_child(argv) for argv in order}
            if children_[id(diff)].returncode != 1:  # the two differ: diff exits 1
                raise BenchmarkError(f"modelspec diff exited {children_[id(diff)].returncode}")
            require_ok(children_[id(import_tf)], "import tensorflow")
            pairs.append((children_[id(diff)].wall, children_[id(import_tf)].wall))
    ratios = [d / t for d, t in pairs]
    ratio = median(ratios)
    rows.append(Row("experiments_diff", "diff latency: modelspec diff of two ResNet-50 variants (vs import "
                    "tensorflow)", median(d for d, _ in pairs), "s", "<= 1/15 of import time", ratio,
                    ratio <= 1 / 15, {"diff_s": median(d for d, _ in pairs),
                                      "import_tensorflow_s": median(t for _, t in pairs),
                                      "ratios": [round(r, 4) for r in ratios], "limit": 1 / 15}))
    return rows


# --------------------------------------------------------------------------- training with modelspec fit


DIGITS_SPEC = SPECS / "digits_cnn.yaml"


def hand_digits_cnn():
    """specs/digits_cnn.yaml written by hand in Keras, compiled as its training section says."""
    import keras

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Rescaling(1 / 255)(inputs)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Conv2D(64, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    schedule = keras.optimizers.schedules.CosineDecay(0.0005, decay_steps=1350, warmup_steps=90,
                                                      warmup_target=0.005)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def write_digit_folder(root: Path, per_class: int) -> None:
    """Ten class folders of random 8x8 grayscale PNGs (examples/digits' writer): the pipeline's work,
    not the images' content, is what a step costs."""
    import numpy as np

    loader = importlib.util.spec_from_file_location("write_digits", ROOT / "examples" / "digits" / "write_digits.py")
    module = importlib.util.module_from_spec(loader)
    loader.loader.exec_module(module)
    rng = np.random.default_rng(0)
    for label in range(10):
        (root / str(label)).mkdir(parents=True)
        for i in range(per_class):
            (root / str(label) / f"{i:04d}.png").write_bytes(module.png_bytes(rng.integers(0, 256, (8, 8)).tolist()))


def bench_fit(s: Settings) -> list[Row]:
    """A training step of ``modelspec fit specs/digits_cnn.yaml`` (the model and the tf.data pipeline the
    command builds: modelspec.fit.datasets and modelspec.trainer.build_model, trained by model.fit)
    against ``model.compile`` + ``model.fit`` of the same network written by hand, on the same pipeline.

    A pair is one epoch of each (in alternating order), the same weights on both sides; each epoch's
    step time is the median gap between Keras' batch-end callbacks, past the first steps. The row is
    the median of the pairs' ratios.
    """
    import keras
    import numpy as np

    import modelspec
    from modelspec.fit import datasets, inspect_folder
    from modelspec.trainer import build_model

    class StepTimes(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.ends = [time.perf_counter()]

        def on_train_batch_end(self, batch, logs=None):
            self.ends.append(time.perf_counter())

        def step(self) -> float:
            gaps = np.diff(self.ends)[1:]  # past the epoch's first step (iterator start-up)
            return float(np.median(gaps))

    pairs = s.train_pairs
    per_class = 18 if s.mode == "dry-run" else 180  # 1,800 images, as many as scikit-learn's digits
    with tempfile.TemporaryDirectory() as tmp:
        write_digit_folder(Path(tmp) / "digits", per_class)
        keras.backend.clear_session()
        gc.collect()
        spec, graph = modelspec.check(str(DIGITS_SPEC))
        folder = inspect_folder(str(Path(tmp) / "digits"), spec, graph)
        train, _ = datasets(folder, spec.training.batch_size, 0.2, 1337)
        ours, theirs = build_model(spec, graph), hand_digits_cnn()
        if ours.count_params() != theirs.count_params():
            raise BenchmarkError(f"digits_cnn: modelspec {ours.count_params():,} params, hand-written "
                                 f"{theirs.count_params():,}")
        ours.set_weights(theirs.get_weights())
        log(f"fit: {DIGITS_SPEC.relative_to(ROOT)}, {len(train)} steps an epoch, {pairs} epoch pair(s)")
        timer = StepTimes()
        for model in (ours, theirs):  # trace the training function on both sides first
            model.fit(train, epochs=1, verbose=0)

        def epoch(model) -> float:
            model.fit(train, epochs=1, verbose=0, callbacks=[timer], shuffle=False)
            return timer.step()

        ms_times, hand_times, ratios = [], [], []
        for i in range(pairs):
            if i % 2 == 0:
                a, b = epoch(ours), epoch(theirs)
            else:
                b, a = epoch(theirs), epoch(ours)
            ms_times.append(a)
            hand_times.append(b)
            ratios.append(a / b)
        steps = len(train)
    ratio = median(ratios)
    del ours, theirs
    keras.backend.clear_session()
    gc.collect()
    return [Row("fit_train_step", "modelspec fit digits_cnn training step vs hand-written compile + fit",
                median(ms_times), "s", "0.95 <= ratio <= 1.05", ratio, 0.95 <= ratio <= 1.05,
                {"modelspec_fit_s": median(ms_times), "hand_written_s": median(hand_times), "pairs": pairs,
                 "ratios": [round(r, 4) for r in ratios], "steps_per_epoch": steps,
                 "spec": str(DIGITS_SPEC.relative_to(ROOT)), "images": 10 * per_class, "batch": 32,
                 "pipeline": "keras.utils.image_dataset_from_directory, shuffled, prefetched (modelspec.fit.datasets)",
                 "same_weights": True, "optimizer": "Adam(CosineDecay with warm-up)",
                 "loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]})]


# --------------------------------------------------------------------------- main

GROUPS: dict[str, tuple[Callable[[Settings], list[Row]], tuple[str, ...]]] = {
    # no TensorFlow in this process until "build"
    "check": (bench_check, ("check_time", "check_memory", "check_time_densenet121", "check_time_efficientnet_b0")),
    "batch": (bench_batch, ("batch_validation",)),
    "editor": (bench_editor, ("lsp_diagnostics", "lsp_hover")),
    "plot": (bench_plot, ("plot_time",)),
    "experiments": (bench_experiments, ("experiments_validate", "experiments_diff")),
    "scaling": (bench_scaling, ("scaling_flatness", "scaling_largest")),
    "graph_scaling": (bench_graph_scaling, ("graph_scaling_flatness", "graph_scaling_largest")),
    "build": (bench_build, ("build_vgg16", "build_resnet50")),
    "build_applications": (bench_build_applications, ("build_mobilenet_v2", "build_efficientnet_b0")),
    "runtime": (bench_runtime, ("runtime_train_step", "runtime_inference")),
    "runtime_densenet121": (bench_runtime_densenet121, ("runtime_train_step_densenet121",)),
    "runtime_inception_v3": (bench_runtime_inception_v3, ("runtime_train_step_inception_v3",)),
    "runtime_mobilenet_v2": (bench_runtime_mobilenet_v2,
                             ("runtime_train_step_mobilenet_v2", "runtime_inference_mobilenet_v2")),
    "runtime_efficientnet_b0": (bench_runtime_efficientnet_b0,
                                ("runtime_train_step_efficientnet_b0", "runtime_inference_efficientnet_b0")),
    "fit": (bench_fit, ("fit_train_step",)),
}
LABELS = {
    "check_time": "check latency (vs import tensorflow)", "check_memory": "check peak memory",
    "batch_validation": "batch validation", "lsp_diagnostics": "language server diagnostics for an edit",
    "lsp_hover": "language server hover", "plot_time": "plot latency (vs import tensorflow)",
    "scaling_flatness": "static pass time per block",
    "scaling_largest": "static pass of the largest spec", "build_vgg16": "build VGG16 vs hand-written",
    "build_resnet50": "build ResNet50 vs hand-written", "runtime_train_step": "ResNet50 training step",
    "runtime_inference": "ResNet50 inference batch",
    "check_time_densenet121": "check latency, densenet121 (vs import tensorflow)",
    "graph_scaling_flatness": "static pass time per block, graph", "graph_scaling_largest":
    "static pass of the largest graph", "runtime_train_step_densenet121": "DenseNet121 training step",
    "runtime_train_step_inception_v3": "InceptionV3 training step",
    "check_time_efficientnet_b0": "check latency, efficientnet_b0 (vs import tensorflow)",
    "build_mobilenet_v2": "build MobileNetV2 vs keras.applications",
    "build_efficientnet_b0": "build EfficientNetB0 vs keras.applications",
    "runtime_train_step_mobilenet_v2": "MobileNetV2 training step",
    "runtime_inference_mobilenet_v2": "MobileNetV2 inference batch",
    "runtime_train_step_efficientnet_b0": "EfficientNetB0 training step",
    "runtime_inference_efficientnet_b0": "EfficientNetB0 inference batch",
    "fit_train_step": "modelspec fit training step vs hand-written compile + fit",
    "experiments_validate": "validate children of one base vs their expanded files",
    "experiments_diff": "diff latency (vs import tensorflow)",
}


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a few minutes)")
    parser.add_argument("--dry-run", action="store_true",
                        help="tiny sizes, one repeat: proves the script runs end to end; never fails on a target")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT,
                        help=f"where to write the results (default {DEFAULT_OUTPUT.relative_to(ROOT)})")
    parser.add_argument("--only", default=",".join(GROUPS), metavar="GROUPS",
                        help=f"comma-separated subset of: {', '.join(GROUPS)} (default: all)")
    args = parser.parse_args(argv)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        parser.error(f"unknown group(s) {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    settings = MODES["dry-run" if args.dry_run else "quick" if args.quick else "full"]

    started = time.time()
    load_before = load_average()
    bytecode = compile_bytecode()
    rows: list[Row] = []
    errors = False
    for group in GROUPS:  # fixed order: the TensorFlow-free measurements come first
        if group not in groups:
            continue
        run, ids = GROUPS[group]
        try:
            rows.extend(run(settings))
        except Exception as e:  # noqa: BLE001 - report it in the table and the JSON, then go on
            errors = True
            message = str(e) if isinstance(e, BenchmarkError) else f"{type(e).__name__}: {e}"
            log(f"error: {group}: {message}")
            rows.extend(Row(i, LABELS[i], None, "", "-", error=message) for i in ids)
    elapsed = time.time() - started

    print()
    print_table(rows)
    judged = [r for r in rows if r.passed is not None]
    missed = [r for r in judged if not r.passed]
    print(f"\n{len(judged) - len(missed)} of {len(judged)} targets met ({settings.mode} mode, {elapsed:.0f} s)"
          + ("; dry run: targets not enforced" if args.dry_run else ""))

    data = {
        "format": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "mode": settings.mode,
        "command": " ".join(["python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "elapsed_s": round(elapsed, 1),
        "machine": {**machine_info(), "load_average_before": load_before, "load_average_after": load_average()},
        "settings": dataclasses.asdict(settings),
        "bytecode_compiled": bytecode,
        "measurements": [dataclasses.asdict(r) for r in rows],
        "all_targets_met": not missed and not errors,
    }
    write_json(args.output, data)
    print(f"results written to {args.output}")
    if errors:
        return 2
    if missed and not args.dry_run:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
