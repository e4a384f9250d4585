#!/usr/bin/env bash
# Mutation testing of the static pass, the blocks and the readers (docs/mutation.md).
#
#   tools/mutation.sh                  every module in [tool.mutmut] only_mutate
#   tools/mutation.sh layers graph     only modelspec/layers.py, then modelspec/graph.py
#   tools/mutation.sh --fresh layers   forget earlier results (mutants/) first
#
# Not part of CI: it takes hours on two cores. It needs mutmut 3 (pip install "mutmut>=3,<4").
# It runs niced, prints mutmut's results for the modules run and a score per module.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" == "--fresh" ]]; then
    shift
    rm -rf mutants
fi

# hypothesis draws the same examples on every run, so a mutant's verdict does not change between runs
export HYPOTHESIS_PROFILE=ci

patterns=()
for module in "$@"; do
    case "$module" in
        blocks) patterns+=("modelspec.blocks.*") ;;
        readers) patterns+=("modelspec.yaml_reader.*" "modelspec.json_reader.*"
                            "modelspec.loader.*" "modelspec.source.*") ;;
        *) patterns+=("modelspec.${module}.*") ;;
    esac
done

nice -n 19 python -m mutmut run --max-children "${MUTATION_CHILDREN:-2}" "${patterns[@]}"
python tools/mutation_score.py "${patterns[@]}"
