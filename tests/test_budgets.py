"""Size budgets: the static pass refuses a model too big for the machine before anything is allocated.

Every figure below is worked out from the spec: a Conv2D has k*k*c_in*filters
weights plus filters biases; a float32 activation of shape (h, w, c) takes
h*w*c*4 bytes; a VGG block of ``convs`` convolutions is ``convs`` + 1 layers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import modelspec
from modelspec import Budget, SpecError
from modelspec.cli import main

VGG_BLOCK = """\
name: vgg_block
input:
  shape: [256, 256, 3]
blocks:
  - {type: vgg, filters: 64, convs: 2}
"""
# conv1: 3*3*3*64 + 64 = 1,792; conv2: 3*3*64*64 + 64 = 36,928; the pool has none
VGG_PARAMS = 1_792 + 36_928
# the input: 256*256*3 floats; conv1 and conv2: 256*256*64 each; the pool: 128*128*64; 4 bytes a float
VGG_ACTIVATION_BYTES = (256 * 256 * 3 + 2 * 256 * 256 * 64 + 128 * 128 * 64) * 4
VGG_LAYERS = 3
FILTERS_COLUMN = VGG_BLOCK.splitlines()[4].index("64") + 1  # line 5, where 'filters: 64' is written


def run(tmp_path: Path, text: str, *flags: str, capsys) -> tuple[int, str, str]:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    status = main(["validate", *flags, str(spec)])
    out, err = capsys.readouterr()
    return status, out, err


def test_the_worked_figures_are_the_static_pass_figures():
    graph = modelspec.analyze(modelspec.loads(VGG_BLOCK))
    assert sum(n.params for n in graph.nodes) == VGG_PARAMS == 38_720  # the reference tutorial's total
    assert graph.activation_bytes == VGG_ACTIVATION_BYTES
    assert len(graph.nodes) == VGG_LAYERS


@pytest.mark.parametrize("flag, limit, message", [
    # one sentence, the same way for every budget
    ("--max-params", VGG_PARAMS, f"too many parameters: {VGG_PARAMS:,} with layer block1_conv2, over the limit "
     f"of {VGG_PARAMS - 1:,} (raise it with --max-params)"),
    ("--max-activation-bytes", VGG_ACTIVATION_BYTES,
     f"too much activation memory for one sample: {VGG_ACTIVATION_BYTES:,} bytes with layer block1_pool, over "
     f"the limit of {VGG_ACTIVATION_BYTES - 1:,} bytes (raise it with --max-activation-bytes)"),
    ("--max-layers", VGG_LAYERS, f"too many layers: {VGG_LAYERS} with layer block1_pool, over the limit of "
     f"{VGG_LAYERS - 1} (raise it with --max-layers)"),
])
def test_each_budget_is_exact_and_named(tmp_path, capsys, flag, limit, message):
    status, out, err = run(tmp_path, VGG_BLOCK, flag, str(limit), capsys=capsys)
    assert (status, err) == (0, "")
    status, out, err = run(tmp_path, VGG_BLOCK, flag, str(limit - 1), capsys=capsys)
    assert status == 1 and out == ""
    (line,) = err.splitlines()
    assert message in line and flag in line
    if flag == "--max-params":  # the conv's size comes from filters: point at it
        assert f"spec.yaml:5:{FILTERS_COLUMN}: error: blocks[0].filters: " in line
    else:  # a total reached at the pool: the block
        assert "spec.yaml:5:5: error: blocks[0]: " in line


def test_budget_flags_take_units(tmp_path, capsys):
    assert VGG_ACTIVATION_BYTES == 36 * 2**20 + 768 * 2**10  # 36.75 MiB exactly
    assert run(tmp_path, VGG_BLOCK, "--max-activation-bytes", "37MiB", capsys=capsys)[0] == 0
    assert run(tmp_path, VGG_BLOCK, "--max-activation-bytes", "38M", capsys=capsys)[0] == 1  # 38,000,000 < 36.75 MiB
    assert run(tmp_path, VGG_BLOCK, "--max-params", "38k", capsys=capsys)[0] == 1  # 38,000 < 38,720
    assert run(tmp_path, VGG_BLOCK, "--max-params", "39k", capsys=capsys)[0] == 0


@pytest.mark.parametrize("value", ["lots", "-5", "1.5M", "4 parsecs"])
def test_a_bad_budget_value_is_a_usage_error(tmp_path, capsys, value):
    (tmp_path / "spec.yaml").write_text(VGG_BLOCK)
    with pytest.raises(SystemExit) as info:
        main(["validate", "--max-params", value, str(tmp_path / "spec.yaml")])
    assert info.value.code == 2
    assert "not a count" in capsys.readouterr().err


def test_budgets_apply_to_summary_and_build(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(VGG_BLOCK)
    out = tmp_path / "m.keras"
    for command in (["summary", "--max-params", "1000", str(spec)],
                    ["build", "--max-layers", "2", str(spec), "-o", str(out)]):
        assert main(command) == 1
        assert capsys.readouterr().err.count("error:") == 1
    assert not out.exists()


def test_budget_through_the_python_api():
    with pytest.raises(SpecError) as info:
        modelspec.loads(VGG_BLOCK, budget=Budget(max_params=VGG_PARAMS - 1))
    (problem,) = info.value.problems
    assert problem.path == ("blocks", 0, "filters") and (problem.line, problem.column) == (5, FILTERS_COLUMN)
    modelspec.loads(VGG_BLOCK, budget=Budget(max_params=VGG_PARAMS))


def test_default_budgets_fit_a_24_gib_machine_with_room_to_spare():
    b = Budget()
    weights = b.max_params * 4  # float32
    assert weights + b.max_activation_bytes <= 24 * 2**30 * 0.6
    assert b.max_layers <= 100_000


# --------------------------------------------------------------------------- refused in milliseconds

BILLION_FILTERS = """\
name: huge
input:
  shape: [224, 224, 3]
blocks:
  - {type: vgg, filters: 1000000000}
"""
# block1_conv1: 3*3*3*10^9 weights + 10^9 biases = 28,000,000,000 parameters
BILLION_PARAMS = 3 * 3 * 3 * 10**9 + 10**9


def test_a_billion_filters_is_refused_by_the_static_pass(tmp_path, capsys):
    started = time.perf_counter()
    status, out, err = run(tmp_path, BILLION_FILTERS, capsys=capsys)
    elapsed = time.perf_counter() - started
    (line,) = err.splitlines()
    column = BILLION_FILTERS.splitlines()[4].index("1000000000") + 1
    assert status == 1
    assert line.startswith(f"{tmp_path / 'spec.yaml'}:5:{column}: error: blocks[0].filters: ")
    assert f"too many parameters: {BILLION_PARAMS:,} with layer block1_conv1, over the limit of " \
           f"{Budget().max_params:,}" in line
    print(f"refused in {elapsed * 1000:.1f} ms")
    assert elapsed < 2  # milliseconds in practice; loose for a loaded machine


@pytest.mark.parametrize("command", ["validate", "summary", "build"])
def test_refused_before_tensorflow_is_imported(tmp_path, command):
    spec = tmp_path / "spec.yaml"
    spec.write_text(BILLION_FILTERS)
    argv = [command, str(spec)] + (["-o", str(tmp_path / "m.keras")] if command == "build" else [])
    program = textwrap.dedent(f"""
        import json, sys, time
        from modelspec.cli import main
        started = time.perf_counter()
        status = main({argv!r})
        elapsed = time.perf_counter() - started
        loaded = [m for m in ("tensorflow", "keras", "jax", "torch") if m in sys.modules]
        print(json.dumps({{"status": status, "loaded": loaded, "ms": elapsed * 1000}}))
    """)
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert (report["status"], report["loaded"]) == (1, []), result
    assert "over the limit of 1,000,000,000 (raise it with --max-params)" in result.stderr
    print(f"{command}: refused in {report['ms']:.1f} ms without TensorFlow")
    assert not (tmp_path / "m.keras").exists()


# --------------------------------------------------------------------------- repeat is bounded

@pytest.mark.parametrize("repeat", [10_001, 10**12, 10**90])
def test_repeat_is_bounded_by_the_layer_budget(tmp_path, capsys, repeat):
    text = f"name: m\ninput:\n  shape: [8, 8, 3]\nblocks:\n  - {{type: activation, activation: relu, repeat: {repeat}}}\n"
    started = time.perf_counter()
    status, out, err = run(tmp_path, text, capsys=capsys)
    elapsed = time.perf_counter() - started
    (line,) = err.splitlines()
    column = text.splitlines()[4].index(str(repeat)) + 1
    assert status == 1
    assert f":5:{column}: error: blocks[0].repeat: too many layers: 10,001 with layer " in line
    assert "over the limit of 10,000 (raise it with --max-layers)" in line
    assert elapsed < 5  # stops at the 10,001st layer, a fraction of a second in practice


def test_repeat_within_the_budget_is_fine(tmp_path, capsys):
    text = "name: m\ninput:\n  shape: [8, 8, 3]\nblocks:\n  - {type: activation, activation: relu, repeat: 10000}\n"
    status, out, err = run(tmp_path, text, capsys=capsys)
    assert (status, err) == (0, "")


REPEATED = {
    # a repeated composite -> its spec, 2 convs a copy: the 26th copy's first conv is the
    # 51st layer, over --max-layers 50
    "sequence": "  - type: sequence\n    name: p\n    blocks:\n      - &c {type: conv, filters: 4, kernel_size: 1}\n"
                "      - *c\n    repeat: 26\n",
    "module-use": "  - {name: p, type: pair, f: 4,\n     repeat: 26}\n",
}


@pytest.mark.parametrize("case", sorted(REPEATED))
def test_the_layer_budget_of_a_repeated_composite_blames_its_repeat(tmp_path, capsys, case):
    # as for a repeated leaf block (above): at the repeat that makes the copies, here a module use's own
    text = ("name: m\ninput: {shape: [8, 8, 3]}\nmodules:\n  pair:\n    params: {f: int}\n"
            "    blocks: [{type: conv, filters: $f, kernel_size: 1}, {type: conv, filters: $f, kernel_size: 1}]\n"
            "blocks:\n" + REPEATED[case])
    status, out, err = run(tmp_path, text, "--max-layers", "50", capsys=capsys)
    line = next(n for n, written in enumerate(text.splitlines(), start=1) if "repeat: 26" in written)
    column = text.splitlines()[line - 1].index("26") + 1
    assert (status, err.splitlines()) == (1, [f"{tmp_path / 'spec.yaml'}:{line}:{column}: error: blocks[0].repeat: too "
                                              "many layers: 51 with layer p_26_block1, over the limit of 50 (raise it "
                                              "with --max-layers)"])


def test_a_block_with_too_many_convs_blames_the_block_not_repeat(tmp_path, capsys):
    # 10,000 convs and a pool: 10,001 layers, all from one unrepeated block
    text = "name: m\ninput:\n  shape: [8, 8, 3]\nblocks:\n  - {type: vgg, filters: 1, convs: 10000}\n"
    status, out, err = run(tmp_path, text, capsys=capsys)
    assert status == 1
    assert ":5:5: error: blocks[0]: too many layers: 10,001 with layer block1_pool, over the limit of 10,000" in err


def test_activation_memory_of_a_huge_input(tmp_path, capsys):
    # the input is an activation too: 100000 * 100000 * 3 floats of 4 bytes, even before any layer
    text = "name: m\ninput:\n  shape: [100000, 100000, 3]\nblocks:\n  - {type: global_avg_pool}\n"
    status, out, err = run(tmp_path, text, capsys=capsys)
    assert status == 1
    assert (f"spec.yaml:3:10: error: input.shape: too much activation memory for one sample: "
            f"{100_000 * 100_000 * 3 * 4:,} bytes with input 'input', over the limit of") in err


def test_activation_memory_of_a_layer_that_grows_a_map(tmp_path, capsys):
    text = "name: m\ninput:\n  shape: [20000, 20000, 3]\nblocks:\n  - {type: conv, filters: 8, kernel_size: 1}\n"
    status, out, err = run(tmp_path, text, capsys=capsys)
    # the input: 20000 * 20000 * 3 floats; the conv's output: 20000 * 20000 * 8; 4 bytes a float
    assert status == 1
    assert f"{(20_000 * 20_000 * 11) * 4:,} bytes with layer block1, over the limit of" in err
    assert "blocks[0].filters" in err


# --------------------------------------------------------------------------- what a budget counts

# block1, a 3x3 conv from 3 channels to 8: 3*3*3*8 + 8 = 224 parameters. block2's 20x20 kernel does not fit
# in block1's 14x14 output, so its 20*20*8*8 + 8 = 25,608 weights come from that mistake and are not counted
WINDOW_MISTAKE = """\
name: m
input: {shape: [16, 16, 3]}
blocks:
  - {type: conv, filters: 8, kernel_size: 3}
  - {type: conv, filters: 8, kernel_size: 20}
"""


def test_a_layer_whose_shape_is_refused_adds_no_parameters():
    with pytest.raises(SpecError) as info:  # exactly at the limit: the shape problem alone
        modelspec.loads(WINDOW_MISTAKE, budget=Budget(max_params=224))
    assert [p.path for p in info.value.problems] == [("blocks", 1, "kernel_size")]
    with pytest.raises(SpecError) as info:  # one under it: block1 is already too big
        modelspec.loads(WINDOW_MISTAKE, budget=Budget(max_params=223))
    assert [p.message for p in info.value.problems] == [
        "too many parameters: 224 with layer block1, over the limit of 223 (raise it with --max-params)"]


# an input of any height and width: the conv's output (None, None, 8) has no size to count; the pool's (8,)
# is 8 floats, 32 bytes, the only activation whose size is known
UNKNOWN_SIZES = """\
name: m
input: {shape: [null, null, 3]}
blocks:
  - {type: conv, filters: 8, kernel_size: 3, padding: same}
  - {type: global_avg_pool}
"""


def test_an_activation_of_unknown_size_counts_nothing():
    modelspec.loads(UNKNOWN_SIZES, budget=Budget(max_activation_bytes=32))
    with pytest.raises(SpecError) as info:
        modelspec.loads(UNKNOWN_SIZES, budget=Budget(max_activation_bytes=31))
    assert [p.message for p in info.value.problems] == [
        "too much activation memory for one sample: 32 bytes with layer block2, over the limit of 31 bytes "
        "(raise it with --max-activation-bytes)"]


# two inputs: a, 16*16*3 floats = 3,072 bytes, and b, 8 floats = 32 bytes: 3,104 bytes before any layer;
# then the pool's 3 floats (12 bytes) and the concat's 3 + 8 (44 bytes)
TWO_INPUTS = """\
name: m
inputs:
  a: {shape: [16, 16, 3]}
  b: {shape: [8]}
blocks:
  - {type: global_avg_pool, input: a, name: pooled}
  - {type: concat, inputs: [pooled, b]}
"""


@pytest.mark.parametrize("limit, message, path", [
    # the inputs are summed: b passes the limit only with a
    (3_103, "too much activation memory for one sample: 3,104 bytes with input 'b', over the limit of 3,103 bytes "
     "(raise it with --max-activation-bytes)", ("inputs", "b", "shape")),
    # inputs exactly at the limit fit it: the pool is the first to pass it
    (3_104, "too much activation memory for one sample: 3,116 bytes with layer pooled, over the limit of 3,104 bytes "
     "(raise it with --max-activation-bytes)", ("blocks", 0)),
    (3_104 + 12 + 43, "too much activation memory for one sample: 3,160 bytes with layer block2, over the limit of "
     "3,159 bytes (raise it with --max-activation-bytes)", ("blocks", 1)),
])
def test_the_inputs_count_together_against_the_activation_budget(limit, message, path):
    with pytest.raises(SpecError) as info:
        modelspec.loads(TWO_INPUTS, budget=Budget(max_activation_bytes=limit))
    assert [(p.message, p.path) for p in info.value.problems] == [(message, path)]
    modelspec.loads(TWO_INPUTS, budget=Budget(max_activation_bytes=3_160))
