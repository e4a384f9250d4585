"""Every independent mistake in one run: problems in defaults, $schema and blocks are reported together,
and after a shape problem the static pass goes on wherever later shapes are still known (independent
branches, blocks after a global pool, other outputs), without reporting the first problem's
consequences. The readers go on after a problem with one value (a number, a tag, a duplicate key) and
report those together, with the syntax error that stops them if there is one. Each case lists the
expected problems as (line, spec path), in source order."""

from __future__ import annotations

import pytest

import modelspec
from modelspec import SpecError

CASES = {
    "defaults-and-blocks": ("""\
name: m
input: {shape: [8]}
defaults: {activation: rellu}
blocks:
  - {type: dense, units: 0}
""", [(3, "defaults.activation"), (5, "blocks[0].units")]),
    "schema-key-and-blocks": ("""\
$schema: 3
name: m
input: {shape: [8]}
blocks:
  - {type: dense, units: 0}
""", [(1, "$schema"), (5, "blocks[0].units")]),
    "a-valid-default-still-applies": ("""\
name: m
input: {shape: [8]}
defaults: {activation: rellu, use_bias: 3}
blocks:
  - {type: dense, units: 2}
""", [(3, "defaults.activation"), (3, "defaults.use_bias")]),
    "independent-branches": ("""\
name: m
input: {shape: [16, 16, 3]}
blocks:
  - type: parallel
    merge: concat
    branches:
      - [{type: conv, filters: 4, kernel_size: 20}]
      - [{type: max_pool, pool_size: 40}]
  - {type: global_avg_pool}
""", [(7, "blocks[0].branches[0][0].kernel_size"), (8, "blocks[0].branches[1][0].pool_size")]),
    "blocks-after-a-global-pool": ("""\
name: m
input: {shape: [16, 16, 3]}
blocks:
  - {type: conv, filters: 8, kernel_size: 20}
  - {type: global_avg_pool}
  - {type: reshape, shape: [3, 3]}
""", [(4, "blocks[0].kernel_size"), (6, "blocks[2].shape")]),
    "other-outputs": ("""\
name: m
input: {shape: [16, 16, 3]}
outputs: [a, b]
blocks:
  - {name: a, type: conv, filters: 8, kernel_size: 20}
  - {name: b, type: max_pool, pool_size: 30, input: input}
""", [(5, "blocks[0].kernel_size"), (6, "blocks[1].pool_size")]),
    # consequences are not reported: the second conv's input size is unknown once the first failed
    "no-cascade-along-a-chain": ("""\
name: m
input: {shape: [16, 16, 3]}
blocks:
  - {type: conv, filters: 8, kernel_size: 20}
  - {type: conv, filters: 8, kernel_size: 30}
  - {type: global_avg_pool}
""", [(4, "blocks[0].kernel_size")]),
    # ... nor a merge of a failed branch with a good one, whose sizes the failure left unknown
    "no-cascade-into-a-merge": ("""\
name: m
input: {shape: [16, 16, 3]}
blocks:
  - {name: a, type: conv, filters: 4, kernel_size: 20}
  - {name: b, type: conv, filters: 4, kernel_size: 3, input: input}
  - {type: add, inputs: [a, b]}
""", [(4, "blocks[0].kernel_size")]),
    # a merge whose channels cannot match is still reported: the failure kept the channels
    "a-channel-mismatch-after-a-failure-is-independent": ("""\
name: m
input: {shape: [16, 16, 3]}
blocks:
  - {name: a, type: conv, filters: 4, kernel_size: 20}
  - {name: b, type: conv, filters: 5, kernel_size: 3, input: input}
  - {type: global_avg_pool, input: a, name: pa}
  - {type: global_avg_pool, input: b, name: pb}
  - {type: add, inputs: [pa, pb]}
""", [(4, "blocks[0].kernel_size"), (8, "blocks[4].inputs")]),
    # a flatten after a failure meets sizes the failure left unknown: that is its consequence, not a mistake
    "no-cascade-into-a-flatten": ("""\
name: m
input: {shape: [16, 16, 3]}
blocks:
  - {type: conv, filters: 8, kernel_size: 20}
  - {type: flatten}
  - {type: dense, units: 10}
""", [(4, "blocks[0].kernel_size")]),
    # a conv whose groups cannot split its 4 input channels keeps no shape at all (it is taken as the
    # identity, 4 channels where 6 were meant): after it even a global pool's output is unknown, so the
    # add of 'pa' with 'pb' (both 6 channels as written) is not reported
    "no-cascade-after-a-layer-that-takes-nothing": ("""\
name: m
input: {shape: [16, 16, 3]}
outputs: [out]
blocks:
  - {name: b, type: conv, filters: 6, kernel_size: 3}
  - {name: pb, type: global_avg_pool}
  - {name: c, type: conv, filters: 4, kernel_size: 3, input: input}
  - {name: a, type: conv, filters: 6, kernel_size: 3, groups: 3}
  - {name: pa, type: global_avg_pool}
  - {name: out, type: add, inputs: [pa, pb]}
""", [(8, "blocks[3].groups")]),
    # a conv cannot take a vector; the conv after it gets what the first would have made, not a vector
    "no-cascade-after-a-refused-input": ("""\
name: m
input: {shape: [8]}
blocks:
  - {type: conv, filters: 8, kernel_size: 3}
  - {type: conv, filters: 8, kernel_size: 3}
""", [(4, "blocks[0]")]),
    # one input of the wrong rank is one mistake, however many blocks read it
    "an-input-of-the-wrong-rank-is-reported-once": ("""\
name: m
input: {shape: [8]}
outputs: [a, b]
blocks:
  - {name: a, type: conv, filters: 8, kernel_size: 3}
  - {name: b, type: conv, filters: 8, kernel_size: 3, input: input}
""", [(5, "blocks[0]")]),
    # ... but two tensors of the wrong rank are two
    "two-inputs-of-the-wrong-rank": ("""\
name: m
input: {shape: [8]}
outputs: [a, c]
blocks:
  - {name: a, type: conv, filters: 8, kernel_size: 3}
  - {name: b, type: dense, units: 4, input: input}
  - {name: c, type: conv, filters: 8, kernel_size: 3}
""", [(5, "blocks[0]"), (7, "blocks[2]")]),
    # values nothing takes: a model input and a block's output, both reported
    "an-unused-input-and-a-dangling-block": ("""\
name: m
inputs:
  image: {shape: [16, 16, 3]}
  meta: {shape: [8]}
blocks:
  - {name: side, type: conv, filters: 8, kernel_size: 1, input: image}
  - {name: head, type: conv, filters: 8, kernel_size: 1, input: image}
""", [(4, "inputs.meta"), (6, "blocks[0]")]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_independent_problem_in_one_run(case):
    text, expected = CASES[case]
    with pytest.raises(SpecError) as info:
        modelspec.loads(text, name="spec.yaml")
    from modelspec.errors import format_path

    got = [(p.line, format_path(p.path)) for p in info.value.problems]
    assert got == expected, [p.message for p in info.value.problems]


def test_a_spec_without_problems_is_unaffected():
    modelspec.loads("name: m\ninput: {shape: [16, 16, 3]}\nblocks:\n  - {type: conv, filters: 8, kernel_size: 3}\n")


# the readers: every value-level problem in one run, in both formats (True: JSON)
READER_CASES = {
    "yaml-numbers-keys-tags": (False, """\
name: m
input: {shape: [32, 32, 3]}
blocks:
  - {type: conv, filters: 010, kernel_size: 3}
  - {type: conv, filters: 8, kernel_size: 3, filters: 9}
  - {type: dropout, rate: 1e999}
  - {type: batch_norm, epsilon: 1e-400}
  - {type: conv, filters: !!int x, kernel_size: !foo 3}
  - {type: dropout, rate: .nan, 3: x}
""", [(4, "blocks[0].filters"), (5, "blocks[1].filters"), (6, "blocks[2].rate"), (7, "blocks[3].epsilon"),
      (8, "blocks[4].filters"), (8, "blocks[4].kernel_size"), (9, "blocks[5].rate"), (9, "blocks[5]")]),
    # one mistake inside an anchored mapping is one problem, however often an alias reuses it
    "yaml-a-problem-reused-by-aliases": (False, """\
name: m
input: {shape: [32, 32, 3]}
blocks:
  - &b {type: dropout, rate: 1e999}
  - *b
  - *b
  - {type: dropout, rate: 1e-999}
""", [(4, "blocks[0].rate"), (7, "blocks[3].rate")]),
    "json-numbers-keys-words": (True, """\
{"name": "m", "input": {"shape": [32, 32, 3]},
 "blocks": [
  {"type": "conv", "filters": 010, "kernel_size": 3},
  {"type": "conv", "filters": 8, "kernel_size": 3, "filters": 9},
  {"type": "dropout", "rate": 1e999},
  {"type": "dropout", "rate": -Infinity},
  {"type": "dropout", "rate": None},
  {"type": "batch_norm", "epsilon": 1e-400}
 ]
}
""", [(3, "blocks[0].filters"), (4, "blocks[1].filters"), (5, "blocks[2].rate"), (6, "blocks[3].rate"),
      (7, "blocks[4].rate"), (8, "blocks[5].epsilon")]),
    # a syntax error still stops the reader; what came before it is reported with it
    "json-problems-before-a-syntax-error": (True, """\
{"name": "m", "input": {"shape": [32, 32, 3]},
 "blocks": [
  {"type": "dropout", "rate": 1e999},
  {"type": "dropout", "rate": 0.5,},
  {"type": "dropout", "rate": 1e999}
 ]
}
""", [(3, "blocks[0].rate"), (4, "blocks[1]")]),
}


@pytest.mark.parametrize("case", sorted(READER_CASES))
def test_every_reader_problem_in_one_run(case):
    as_json, text, expected = READER_CASES[case]
    with pytest.raises(SpecError) as info:
        modelspec.loads(text, name="spec.json" if as_json else "spec.yaml", json=as_json)
    from modelspec.errors import format_path

    got = [(p.line, format_path(p.path)) for p in info.value.problems]
    assert got == expected, [p.message for p in info.value.problems]
