"""Print mutmut's verdicts as a score per module: killed / total.

Usage: python tools/mutation_score.py [PATTERN...] (run from the repository root after
`mutmut run`; PATTERNs are mutmut's mutant-name globs, as tools/mutation.sh passes them).

A mutant counts as killed when a test failed (mutmut's "killed") or ran past mutmut's
time limit ("timeout"); every other verdict (survived, no tests, suspicious, not checked)
counts against the score.
"""

import fnmatch
import subprocess
import sys
from collections import Counter, defaultdict

DETECTED = {"killed", "timeout"}


def verdicts():
    """(mutant name, verdict) for every mutant mutmut has generated."""
    out = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"],
                         check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        name, sep, verdict = line.strip().rpartition(": ")
        if sep and "__mutmut_" in name:
            yield name, verdict


def module_of(name):
    """modelspec.layers.x_conv__mutmut_1 -> modelspec.layers (methods are xǁClassǁname)."""
    parts = name.split(".")
    return ".".join(p for p in parts[:-1])


def main(patterns):
    counts = defaultdict(Counter)
    for name, verdict in verdicts():
        if patterns and not any(fnmatch.fnmatch(name, p) for p in patterns):
            continue
        counts[module_of(name)][verdict] += 1
    if not counts:
        print("no mutants matched; run tools/mutation.sh first")
        return 1
    grand = Counter()
    for module in sorted(counts):
        grand.update(counts[module])
        print(line(module, counts[module]))
    if len(counts) > 1:
        print(line("all", grand))
    return 0


def line(label, c):
    total = sum(c.values())
    killed = sum(c[v] for v in DETECTED)
    rest = ", ".join(f"{v} {n}" for v, n in sorted(c.items()) if v not in DETECTED)
    return f"{label}: {killed} / {total} killed ({100 * killed / total:.1f}%)" + (f"; {rest}" if rest else "")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
