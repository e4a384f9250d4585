"""Every independent mistake in one run: problems in defaults, $schema and blocks are reported together,
and after a shape problem the static pass goes on wherever later shapes are still known (independent
branches, blocks after a global pool, other outputs), without reporting the first problem's
consequences. Each case lists the expected problems as (line, spec path), in source order."""

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
