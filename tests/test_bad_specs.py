"""The bad-input corpus: every bad spec gets one located error line and exit status 1.

Each case is a spec text (or bytes), the file suffix it is saved under, and
what the contract promises for it: the exit status, the line and column of
the offending text, the spec path and a fragment of the message. Locations are
given as the text a person would point at (``at="64.5"``: the first
occurrence of ``64.5`` in the spec; ``at=("*d", 2)``: the second ``*d``) and
turned into a line and column from the spec text itself, or, for generated
inputs, computed from how they were generated.

Cases run through the real command line in-process (``modelspec.cli.main``);
a handful also run as a real ``modelspec validate`` subprocess, to prove the
exit status and the absence of a traceback end to end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import pytest

from modelspec.cli import main

# --------------------------------------------------------------------------- spec builders

HEAD = "name: m\ninput:\n  shape: [32, 32, 3]\nblocks:\n"


def Y(*blocks: str, head: str = HEAD) -> str:
    """A YAML spec with a 32x32x3 input and these blocks, one flow mapping per line."""
    return head + "".join(f"  - {b}\n" for b in blocks)


def J(*blocks: str, top: str = "") -> str:
    """A JSON spec with a 32x32x3 input and these blocks, one per line; ``top`` adds keys first."""
    return ("{\n" + top + '  "name": "m",\n  "input": {"shape": [32, 32, 3]},\n  "blocks": [\n'
            + ",\n".join(f"    {b}" for b in blocks) + "\n  ]\n}\n")


VGG = "{type: vgg, filters: 8}"
JVGG = '{"type": "vgg", "filters": 8}'
BIG = 10 * 1024 * 1024  # "files of 10 MB"
DEEP = 50_000  # "tens of thousands of ["


@dataclass(frozen=True)
class Case:
    id: str
    text: Union[str, bytes]
    suffix: str = ".yaml"
    status: int = 1
    at: Union[None, str, tuple[str, int]] = None  # the text to point at (first, or nth occurrence)
    line: Optional[int] = None  # or an explicit position, for generated inputs
    column: Optional[int] = None
    path: Optional[str] = None  # the spec path as printed ('$' is the root)
    message: str = ""  # a fragment of the message
    stage: str = "schema"  # which check rejects it: load | schema | static | ok | usage
    bug: str = ""  # a known modelspec bug: the case states the intended behaviour and is a strict xfail

    def position(self) -> tuple[int, int]:
        if self.at is None:
            assert self.line is not None and self.column is not None, self.id
            return self.line, self.column
        needle, nth = (self.at, 1) if isinstance(self.at, str) else self.at
        text = self.text.decode("utf-8", "replace") if isinstance(self.text, bytes) else self.text
        text = text.removeprefix("\ufeff")
        offset = -1
        for _ in range(nth):
            offset = text.find(needle, offset + 1)
            assert offset >= 0, f"{self.id}: {needle!r} (#{nth}) is not in the spec"
        line = text.count("\n", 0, offset) + 1
        return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def ok(id: str, text: Union[str, bytes], suffix: str = ".yaml") -> Case:
    return Case(id, text, suffix, status=0, stage="ok")


CASES: list[Case] = [
    # ------------------------------------------------------------------ YAML syntax
    Case("yaml-unclosed-brace", "name: m\ninput: {shape: [32, 32, 3]\nblocks:\n  - " + VGG + "\n",
         at="{shape", path="input", message="this '{' is never closed", stage="load"),
    Case("yaml-unclosed-bracket", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 3\nblocks:\n"),
         at="[32", path="input.shape", message="this '[' is never closed", stage="load"),
    Case("yaml-unclosed-at-eof", Y("{type: vgg, filters: 8"),
         at="{type", path="blocks[0]", message="this '{' is never closed", stage="load"),
    # found by the fuzz test: the path named the list key's YAML nodes
    Case("yaml-unclosed-under-a-list-key", Y("{[1, 2]: {a: 1"),
         at="{a", path="blocks[0]", message="this '{' is never closed", stage="load"),
    Case("yaml-missing-comma", "name: m\ninput:\n  shape: [32, 32, 3]\nblocks: [\n"
         "    {type: vgg, filters: 8}\n    {type: vgg, filters: 8}\n  ]\n",
         at=("{type", 2), path="blocks", message="a missing comma?", stage="load"),
    Case("yaml-stray-bracket", Y(VGG + "]"), at=("]", 2), path="blocks", message="unexpected ']'", stage="load"),
    Case("yaml-dedented-key", "name: m\ninput:\n  shape: [32, 32, 3]\n blocks:\n  - " + VGG + "\n",
         at="blocks", path="$", message="bad indentation", stage="load"),
    Case("yaml-over-indented-key", Y("type: vgg\n      filters: 8"),
         at="filters", path="blocks[0]", message="indented deeper", stage="load"),
    Case("yaml-misaligned-item", Y(VGG) + " - " + VGG + "\n",
         # dedented out of 'blocks', the item lands in the top-level mapping, where it cannot be
         line=6, column=2, path="$", message="bad indentation", stage="load"),
    Case("yaml-tab-indent", "name: m\ninput:\n\tshape: [32, 32, 3]\nblocks:\n  - " + VGG + "\n",
         at="\t", path="input", message="tab", stage="load"),
    Case("yaml-tab-after-colon", "name:\tm\n" + HEAD[8:] + "  - " + VGG + "\n",
         at="\t", path="name", message="tab", stage="load"),
    Case("yaml-dash-without-space", Y(VGG) + "  -type: vgg\n", at="-type", path="blocks",
         message="'-' starts a list item only when a space follows it", stage="load"),
    Case("yaml-colon-without-space", Y(VGG, "type:vgg"), at="type:vgg", path="blocks[1]",
         message="must be a mapping, not a string ('type:vgg') (YAML needs a space after the ':'"),
    Case("yaml-key-without-colon", "name: m\ninput\n  shape: [32, 32, 3]\nblocks:\n  - " + VGG + "\n",
         at="input", path="$", message="no ':'", stage="load"),
    # Syntax errors carry the path of the node being read; where YAML's scanner reads ahead
    # (to see whether a ':' follows), that is the enclosing collection, here the top level.
    Case("yaml-colon-in-value", Y(VGG, head="name: my: model\n" + HEAD[8:]),
         at=": model", path="$", message="put the value in quotes", stage="load"),
    Case("yaml-unclosed-quote", 'name: "m\ninput:\n  shape: [32, 32, 3]\n',
         at='"m', path="name", message="quoted string is never closed", stage="load"),
    Case("yaml-quote-inside-quotes", Y(VGG, head="name: m\ndescription: 'it's mine'\n" + HEAD[8:]),
         at="s mine", path="$", message="a quote inside '...' is written ''", stage="load"),
    Case("yaml-bad-escape", Y(VGG, head='name: "m\\q"\n' + HEAD[8:]),
         at="\\q", path="name", message="unknown escape", stage="load"),
    Case("yaml-reserved-indicator", Y(VGG, head="name: @m\n" + HEAD[8:]),
         at="@", path="name", message="cannot start an unquoted value", stage="load"),
    Case("yaml-undefined-alias", Y("{type: vgg, filters: *size}"),
         at="*size", path="blocks[0].filters", message="alias *size is not defined", stage="load"),
    Case("yaml-duplicate-anchor", Y("&b {type: vgg, filters: 8}", "&b {type: vgg, filters: 16}"),
         at=("&b", 2), path="blocks[1]", message="anchor &b is defined twice", stage="load"),
    Case("yaml-two-documents", Y(VGG) + "---\nname: n\n",
         at="---", path="$", message="one YAML document", stage="load"),
    Case("yaml-content-after-end", Y(VGG) + "...\nname: n\n",
         at="name: n", path="$", message="after the end of the document", stage="load"),
    Case("yaml-1.1-directive", "%YAML 1.1\n---\n" + Y(VGG),
         at="%YAML", path="$", message="modelspec reads YAML 1.2", stage="load"),
    # ------------------------------------------------------------------ empty, not a mapping
    Case("empty-file", "", line=1, column=1, path="$", message="empty", stage="load"),
    Case("blank-file", "  \n\n", line=1, column=1, path="$", message="empty", stage="load"),
    Case("comments-only", "# yaml-language-server: $schema=../schemas/modelspec.schema.json\n# nothing\n",
         line=1, column=1, path="$", message="holds no document", stage="load"),
    Case("top-level-list", "- " + VGG + "\n", at="- ", path="$", message="must be a mapping", stage="schema"),
    Case("top-level-scalar", "vgg_block\n", at="vgg_block", path="$", message="not a string ('vgg_block')"),
    Case("json-top-level-list", "[" + JVGG + "]", ".json", at="[", path="$", message="not a list"),
    Case("json-top-level-number", "42\n", ".json", at="42", path="$", message="not an integer (42)"),
    Case("json-empty-file", "", ".json", line=1, column=1, path="$", message="empty", stage="load"),
    # ------------------------------------------------------------------ bytes and characters
    Case("latin-1-byte", b"name: m\ndescription: caf\xe9\n" + Y(VGG)[8:].encode(),
         line=2, column=len("description: caf") + 1, path="$", message="not UTF-8 text (byte 0xe9)", stage="load"),
    Case("utf-16-file", "\ufeff".encode("utf-16-le") + Y(VGG).encode("utf-16-le"),
         line=1, column=1, path="$", message="not UTF-8 text (byte 0xff)", stage="load"),
    Case("nul-byte", Y(VGG).replace("name: m", "name: m\x00"), at="\x00", path="$",
         message="control character U+0000", stage="load"),
    Case("escape-control-char", Y(VGG, head="name: m\ndescription: red \x1b[31m\n" + HEAD[8:]),
         at="\x1b", path="$", message="control character U+001B", stage="load"),
    Case("yaml-escaped-nul", Y(VGG, head='name: m\ndescription: "a\\0b"\n' + HEAD[8:]),
         at='"a', path="description", message="U+0000 (written as an escape)", stage="load"),
    Case("json-escaped-nul", J(JVGG, top='  "description": "a\\u0000b",\n'), ".json",
         at='"a\\u', path="description", message="U+0000 (written as an escape)", stage="load"),
    Case("json-lone-surrogate", J(JVGG, top='  "description": "\\ud800",\n'), ".json",
         at='"\\ud800', path="description", message="lone surrogate U+D800", stage="load"),
    Case("json-raw-tab-in-string", J(JVGG, top='  "description": "a\tb",\n'), ".json",
         at="\t", path="description", message="U+0009 inside a string", stage="load"),
    ok("utf-8-bom-yaml", b"\xef\xbb\xbf" + Y(VGG).encode()),
    ok("utf-8-bom-json", b"\xef\xbb\xbf" + J(JVGG).encode(), ".json"),
    ok("utf-8-text", Y(VGG, head="name: m\ndescription: café, 東京, ünïcödé\n" + HEAD[8:])),
    # ------------------------------------------------------------------ duplicate keys, every depth
    Case("dup-top-level", Y(VGG, head="name: m\nname: n\n" + HEAD[8:]),
         at="name: n", path="name", message="duplicate key 'name' (first written at line 1, column 1)",
         stage="load"),
    Case("dup-quoted-and-plain", Y(VGG, head='name: m\n"name": n\n' + HEAD[8:]),
         at='"name"', path="name", message="duplicate key 'name'", stage="load"),
    Case("dup-in-input", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 3]\n  shape: [8, 8, 3]\nblocks:\n"),
         at="shape: [8", path="input.shape", message="first written at line 3, column 3", stage="load"),
    Case("dup-in-block", Y("{type: vgg, filters: 8, filters: 16}"),
         at="filters: 16", path="blocks[0].filters", message="duplicate key 'filters'", stage="load"),
    Case("dup-in-batch-norm", Y("type: vgg\n    filters: 8\n    batch_norm:\n      epsilon: 0.1\n"
                                "      momentum: 0.9\n      epsilon: 0.2"),
         at="epsilon: 0.2", path="blocks[0].batch_norm.epsilon", message="first written at line 8, column 7",
         stage="load"),
    Case("dup-in-defaults", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 3]\ndefaults:\n"
                                     "  activation: relu\n  activation: elu\nblocks:\n"),
         at="activation: elu", path="defaults.activation", message="duplicate key", stage="load"),
    Case("json-dup-top-level", '{"name": "m", "name": "n", "input": {"shape": [32, 32, 3]}, "blocks": []}',
         ".json", at='"name": "n"', path="name", message="first written at line 1, column 2", stage="load"),
    Case("json-dup-in-block", J('{"type": "vgg", "filters": 8, "filters": 16}'), ".json",
         at='"filters": 16', path="blocks[0].filters", message="duplicate key 'filters'", stage="load"),
    Case("json-dup-in-batch-norm", J('{"type": "vgg", "filters": 8, "batch_norm": {"epsilon": 0.1, '
                                     '"epsilon": 0.2}}'), ".json",
         at='"epsilon": 0.2', path="blocks[0].batch_norm.epsilon", message="duplicate key", stage="load"),
    # ------------------------------------------------------------------ keys that are not strings
    Case("int-key", Y(VGG) + "1: one\n", at="1: one", path="$", message="keys must be strings; '1'",
         stage="load"),
    Case("bool-key", Y(VGG) + "true: yes\n", at="true:", path="$", message="keys must be strings; 'true'",
         stage="load"),
    Case("null-key-in-block", Y("{type: vgg, filters: 8, null: 1}"), at="null", path="blocks[0]",
         message="keys must be strings; 'null'", stage="load"),
    Case("collection-key", Y(VGG) + "? [a, b]\n: c\n", at="[a, b]", path="$",
         message="keys must be strings; a collection", stage="load"),
    # ------------------------------------------------------------------ tags: nothing is constructed
    Case("python-apply-tag", Y("{type: vgg, filters: !!python/object/apply:os.system ['echo pwned']}"),
         at="!!python", path="blocks[0].filters", message="tag !!python/object/apply:os.system is not allowed",
         stage="load"),
    Case("python-tag-document", "!!python/object/new:os.system [echo pwned]\n", line=1, column=1, path="$",
         message="tag !!python/object/new:os.system is not allowed", stage="load"),
    Case("python-name-tag", Y("{type: vgg, filters: 8, activation: !!python/name:os.system ''}"),
         at="!!python", path="blocks[0].activation", message="not allowed", stage="load"),
    Case("local-tag", Y("{type: vgg, filters: !custom 8}"), at="!custom", path="blocks[0].filters",
         message="tag !custom is not allowed", stage="load"),
    Case("binary-tag", Y("{type: vgg, filters: !!binary AAAA}"), at="!!binary", path="blocks[0].filters",
         message="tag !!binary is not allowed", stage="load"),
    Case("str-tag-on-int", Y("{type: vgg, filters: !!str 8}"), at="!!str", path="blocks[0].filters",
         message="must be an integer, not a string ('8')"),
    ok("int-tag-accepted", Y("{type: vgg, filters: !!int 8}")),
    # ------------------------------------------------------------------ YAML 1.1 surprises
    Case("yes-for-bool", Y("{type: vgg, filters: 8, batch_norm: yes}"), at="yes", path="blocks[0].batch_norm",
         message="not a string ('yes'; YAML 1.2 reads only true/false as booleans)"),
    Case("no-for-bool", Y("{type: vgg, filters: 8, use_bias: no}"), at="no}", path="blocks[0].use_bias",
         message="must be true or false, not a string ('no'"),
    Case("on-for-activation", Y("{type: vgg, filters: 8, activation: on}"), at="on}",
         path="blocks[0].activation", message="unknown activation 'on'"),
    ok("on-is-a-name", Y(VGG, head="name: on\n" + HEAD[8:])),
    ok("no-is-a-block-name", Y("{type: vgg, filters: 8, name: no}")),
    Case("leading-zero-int", Y("{type: vgg, filters: 010}"), at="010", path="blocks[0].filters",
         message="ambiguous number '010'", stage="load"),
    Case("octal-0o", Y("{type: vgg, filters: 0o10}"), at="0o10", path="blocks[0].filters",
         message="write 8 in decimal", stage="load"),
    Case("1e3-for-int", Y("{type: vgg, filters: 1e3}"), at="1e3", path="blocks[0].filters",
         message="not a float (1000.0); write 1000"),
    Case("1e3-for-name", Y(VGG, head="name: 1e3\n" + HEAD[8:]), at="1e3", path="name",
         message="must be a string, not a float (1000.0); quote it"),
    ok("1e-4-is-a-number", Y("{type: dropout, rate: 1e-4}")),
    ok("json-1e-4-is-a-number", J('{"type": "dropout", "rate": 1e-4}'), ".json"),
    # ------------------------------------------------------------------ wrong number types
    Case("bool-for-int", Y("{type: vgg, filters: true}"), at="true", path="blocks[0].filters",
         message="must be an integer, not a boolean (true)"),
    Case("float-for-int", Y("{type: vgg, filters: 64.5}"), at="64.5", path="blocks[0].filters",
         message="must be an integer, not a float (64.5)"),
    Case("integral-float-for-int", Y("{type: vgg, filters: 64.0}"), at="64.0", path="blocks[0].filters",
         message="write 64"),
    Case("integral-float-for-size", Y("{type: conv, filters: 8, kernel_size: 3.0}"), at="3.0",
         path="blocks[0].kernel_size", message="a [height, width] pair of them, not a float (3.0); write 3"),
    Case("string-for-int", Y("{type: vgg, filters: '64'}"), at="'64'", path="blocks[0].filters",
         message="not a string ('64')"),
    Case("json-bool-for-int", J('{"type": "vgg", "filters": true}'), ".json", at="true",
         path="blocks[0].filters", message="not a boolean"),
    Case("json-float-for-int", J('{"type": "vgg", "filters": 1e2}'), ".json", at="1e2",
         path="blocks[0].filters", message="not a float (100.0); write 100"),
    Case("bool-for-float", Y("{type: dropout, rate: true}"), at="true", path="blocks[0].rate",
         message="must be a number, not a boolean"),
    Case("int-for-bool", Y("{type: vgg, filters: 8, use_bias: 1}"), at="1}", path="blocks[0].use_bias",
         message="must be true or false, not an integer (1)"),
    Case("huge-int", Y("{type: vgg, filters: " + "9" * 5000 + "}"), at="999", path="blocks[0].filters",
         message="integer with 5,000 digits is too large", stage="load"),
    Case("json-huge-int", J('{"type": "vgg", "filters": ' + "9" * 5000 + "}"), ".json", at="999",
         path="blocks[0].filters", message="5,000 characters is too long", stage="load"),
    Case("inf", Y("{type: dropout, rate: .inf}"), at=".inf", path="blocks[0].rate",
         message="'.inf' is not allowed", stage="load"),
    Case("minus-inf", Y("{type: batch_norm, epsilon: -.Inf}"), at="-.Inf", path="blocks[0].epsilon",
         message="finite numbers", stage="load"),
    Case("nan", Y("{type: dropout, rate: .nan}"), at=".nan", path="blocks[0].rate",
         message="'.nan' is not allowed", stage="load"),
    Case("json-nan", J('{"type": "dropout", "rate": NaN}'), ".json", at="NaN", path="blocks[0].rate",
         message="NaN is not valid JSON", stage="load"),
    Case("json-infinity", J('{"type": "dropout", "rate": Infinity}'), ".json", at="Infinity",
         path="blocks[0].rate", message="Infinity is not valid JSON", stage="load"),
    Case("json-minus-infinity", J('{"type": "batch_norm", "epsilon": -Infinity}'), ".json", at="-Infinity",
         path="blocks[0].epsilon", message="-Infinity is not valid JSON", stage="load"),
    Case("json-1e400", J('{"type": "dropout", "rate": 1e400}'), ".json", at="1e400", path="blocks[0].rate",
         message="number 1e400 is out of range", stage="load"),
    Case("yaml-1e400", Y("{type: dropout, rate: 1e400}"), at="1e400", path="blocks[0].rate",
         message="out of range", stage="load"),
    # ------------------------------------------------------------------ JSON syntax
    Case("json-unclosed-bracket", J(JVGG).rstrip().removesuffix("}").rstrip().removesuffix("]"), ".json",
         at='[\n    {"type"', path="blocks", message="this '[' is never closed", stage="load"),
    Case("json-unclosed-brace", '{"name": "m", "input": {"shape": [32, 32, 3]', ".json",
         at='{"shape"', path="input", message="this '{' is never closed", stage="load"),
    Case("json-missing-comma", '{"name": "m" "input": {"shape": [32, 32, 3]}, "blocks": []}', ".json",
         at='"input"', path="$", message="expected ',' or '}'", stage="load"),
    Case("json-trailing-comma", J('{"type": "vgg", "filters": 8,}'), ".json", at=",}",
         path="blocks[0]", message="a trailing comma before '}'", stage="load"),
    Case("json-single-quotes", "{'name': 'm'}", ".json", at="'name'", path="$",
         message="a string key in double quotes", stage="load"),
    Case("json-comment", J(JVGG, top="  // a comment\n"), ".json", at="//", path="$",
         message="a string key in double quotes, found '/'", stage="load"),
    Case("json-leading-zero", J('{"type": "vgg", "filters": 08}'), ".json", at="08", path="blocks[0].filters",
         message="write 8, not 08", stage="load"),
    Case("json-python-none", J('{"type": "dense", "units": 8, "activation": None}'), ".json", at="None",
         path="blocks[0].activation", message="None is Python; JSON writes null", stage="load"),
    Case("json-python-true", J('{"type": "dense", "units": 8, "use_bias": True}'), ".json", at="True",
         path="blocks[0].use_bias", message="True is Python; JSON writes true", stage="load"),
    Case("json-unterminated-string", '{"name": "m}', ".json", at='"m', path="name",
         message="this string is never closed", stage="load"),
    Case("json-two-documents", J(JVGG) + J(JVGG), ".json", line=J(JVGG).count("\n") + 1, column=1, path="$",
         message="unexpected text after the end of the document", stage="load"),
    Case("json-tab-whitespace-and-key-typo", J('{"type": "vgg",\t"filterz": 8}'), ".json",
         at='"filterz"', path="blocks[0].filterz", message="did you mean 'filters'?"),
    # ------------------------------------------------------------------ size and depth
    Case("10-MB-yaml", Y(VGG) + ("# padding\n" * (BIG // 10)), line=1, column=1, path="$",
         message="larger than 262,144 bytes", stage="load"),
    Case("10-MB-json", '{"name": "m", "description": "' + "x" * BIG + '"}', ".json", line=1, column=1,
         path="$", message="larger than 262,144 bytes", stage="load"),
    # 64 levels are allowed; the 65th '[' (column 65) is one too many
    Case("deep-yaml-brackets", "[" * DEEP, line=1, column=65, path="$", message="nesting deeper than 64 levels",
         stage="load"),
    Case("deep-yaml-in-block", Y("[" * DEEP), line=5, column=len("  - ") + 65, path="blocks",
         message="nesting deeper than 64 levels", stage="load"),
    # one flow mapping: the scanner reads it ahead of the composer, so the path is the root's
    Case("deep-yaml-braces", "{a: " * DEEP, line=1, column=1 + 4 * 64, path="$",
         message="nesting deeper than 64 levels", stage="load"),
    Case("deep-yaml-dashes", "- " * DEEP, line=1, column=1 + 2 * 64, path="[0]" * 6 + "..." + "[0]" * 4,
         message="nesting deeper than 64 levels", stage="load"),
    Case("deep-json-brackets", "[" * DEEP, ".json", line=1, column=65, path="[0]" * 6 + "..." + "[0]" * 4,
         message="nesting deeper than 64 levels", stage="load"),
    Case("deep-json-objects", '{"a":' * DEEP, ".json", line=1, column=1 + 5 * 64,
         path="a" + ".a" * 5 + "...a.a.a.a", message="nesting deeper than 64 levels",
         stage="load"),
    # the root list is value 1, so the 10,001st value is the 10,000th item, on line 10,000
    Case("too-many-values", "- 1\n" * 20_000, line=10_000, column=3, path="[9999]",
         message="more than 10,000 values", stage="load"),
    Case("json-too-many-values", "[" + "1," * 20_000 + "1]", ".json", line=1, column=2 * 10_000,
         path="[9999]", message="more than 10,000 values", stage="load"),
    # ------------------------------------------------------------------ anchors and aliases
    Case("self-alias", Y("&x [1, *x]"), at="*x", path="blocks[0][1]",
         message="alias *x refers to the collection that contains it (&x at line 5, column 5)", stage="load"),
    Case("self-alias-mapping", Y("&b {type: vgg, filters: 8, batch_norm: *b}"), at="*b",
         path="blocks[0].batch_norm", message="cannot contain itself", stage="load"),
    Case("merge-non-mapping", Y(VGG, "{<<: 5, type: vgg, filters: 8}"), at="5,", path="blocks[1]",
         message="a merge key ('<<') takes a mapping", stage="load"),
    ok("alias-reuses-a-block", Y("&b {type: vgg, filters: 8}", "*b")),
    ok("merge-reuses-a-block", Y("&b {type: vgg, filters: 8, name: a}", "{<<: *b, name: b, filters: 16}")),
    Case("alias-anchored-outside-blocks", Y("*b", head="name: m\nbase: &b {type: vgg, filters: 8}\ninput:\n"
                                            "  shape: [32, 32, 3]\nblocks:\n"),
         at="base", path="base", message="put the anchor on its first use in 'blocks'"),
    # ------------------------------------------------------------------ the schema: types, keys, fields
    Case("unknown-block-type", Y("{type: incepton, conv1x1: 8, conv3x3: 8, conv5x5: 8}"), at="incepton",
         path="blocks[0].type", message="unknown block type 'incepton'; did you mean 'inception'?"),
    Case("lambda-block", Y("{type: lambda, function: 'lambda x: x'}"), at="lambda,", path="blocks[0].type",
         message="unknown block type 'lambda'"),
    Case("block-type-not-a-string", J('{"type": 7}'), ".json", at="7", path="blocks[0].type",
         message="must be a string naming the block, not an integer (7)"),
    Case("block-type-a-list-with-defaults", Y("{type: [vgg], filters: 8}", head="name: m\ninput:\n  shape: "
                                              "[32, 32, 3]\ndefaults:\n  activation: elu\nblocks:\n"),
         at="[vgg]", path="blocks[0].type", message="must be a string naming the block, not a list"),
    Case("block-type-as-key", HEAD + "  - vgg: {filters: 8}\n", at="vgg:", path="blocks[0]",
         message="for a vgg block write 'type: vgg' and put its fields beside it"),
    Case("block-type-upper-case", Y("{type: VGG, filters: 8}"), at="VGG", path="blocks[0].type",
         message="unknown block type 'VGG'; did you mean 'vgg'?"),
    Case("block-type-from-another-tool", Y("{type: global_avg_pool}", "{type: fc, units: 10}"), at="fc",
         path="blocks[1].type", message="unknown block type 'fc'; did you mean 'dense'?"),
    Case("block-without-type", Y("{filters: 8}"), at="{filters", path="blocks[0]", message="needs a 'type'"),
    Case("unknown-key-typo", Y("{type: vgg, filter: 64}"), at="filter", path="blocks[0].filter",
         message="unknown field 'filter'; did you mean 'filters'?"),
    Case("unknown-top-level-key", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 3]\nblcks:\n"),
         at="blcks", path="blcks", message="did you mean 'blocks'?"),
    Case("renamed-required-key", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 3]\nlayers:\n"),
         at="layers", path="layers", message="unknown field 'layers'; did you mean 'blocks'? (it is required"),
    Case("unknown-input-key", Y(VGG, head="name: m\ninput:\n  shap: [32, 32, 3]\nblocks:\n"),
         at="shap", path="input.shap", message="did you mean 'shape'?"),
    Case("unknown-batch-norm-key", Y("{type: vgg, filters: 8, batch_norm: {eps: 0.01}}"), at="eps",
         path="blocks[0].batch_norm.eps", message="did you mean 'epsilon'?"),
    Case("unknown-defaults-key", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 3]\ndefaults:\n"
                                          "  activaton: elu\nblocks:\n"),
         at="activaton", path="defaults.activaton", message="did you mean 'activation'?"),
    Case("schema-key-inside-block", J('{"$schema": "x", "type": "vgg", "filters": 8}'), ".json",
         at='"$schema": "x"', path="blocks[0].$schema", message="unknown field '$schema'"),
    Case("schema-key-not-a-string", J(JVGG, top='  "$schema": 1,\n'), ".json", at="1,", path="$schema",
         message="must be a string"),
    ok("json-schema-key", J(JVGG, top='  "$schema": "../schemas/modelspec.schema.json",\n'), ".json"),
    Case("missing-filters", Y("{type: vgg, convs: 2}"), at="{type", path="blocks[0]",
         message="missing required field 'filters'"),
    Case("missing-name", "input:\n  shape: [32, 32, 3]\nblocks:\n  - " + VGG + "\n", line=1, column=1,
         path="$", message="missing required field 'name'"),
    Case("missing-blocks", "name: m\ninput:\n  shape: [32, 32, 3]\n", line=1, column=1, path="$",
         message="missing required field 'blocks'"),
    Case("no-blocks", "name: m\ninput:\n  shape: [32, 32, 3]\nblocks: []\n", at="[]", path="blocks",
         message="at least 1 item"),
    Case("blocks-is-a-mapping", HEAD + "  type: vgg\n  filters: 8\n", at="type", path="blocks",
         message="must be a list, not a mapping"),
    Case("block-is-a-string", Y("vgg"), at="vgg", path="blocks[0]", message="must be a mapping, not a string"),
    Case("shape-too-short", Y(VGG, head="name: m\ninput:\n  shape: [32, 32]\nblocks:\n"), at="[32",
         path="input.shape", message="[height, width, channels]: 3 items, not 2"),
    Case("shape-without-commas", Y(VGG, head="name: m\ninput:\n  shape: [32 32 3]\nblocks:\n"), at="32 32",
         path="input.shape[0]", message="not a string ('32 32 3') (separate the items with commas)"),
    Case("pair-too-short", Y("{type: vgg, filters: 8, kernel_size: [3]}"), at="[3]",
         path="blocks[0].kernel_size", message="[height, width]: 2 items, not 1"),
    Case("zero-channels", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 0]\nblocks:\n"), at="0]",
         path="input.shape[2]", message="must be greater than 0"),
    Case("zero-filters", Y("{type: vgg, filters: 0}"), at="0}", path="blocks[0].filters",
         message="must be greater than 0"),
    Case("negative-kernel", Y("{type: conv, filters: 8, kernel_size: -3}"), at="-3", path="blocks[0].kernel_size",
         message="must be greater than 0"),
    Case("dropout-rate-1", Y("{type: dropout, rate: 1}"), at="1}", path="blocks[0].rate",
         message="must be less than 1"),
    Case("bad-model-name", Y(VGG, head="name: 1st-model\n" + HEAD[8:]), at="1st", path="name",
         message="'1st-model' is not a valid name: start with a letter or '_'"),
    Case("activation-typo", Y("{type: vgg, filters: 8, activation: reluu}"), at="reluu",
         path="blocks[0].activation", message="unknown activation 'reluu'; did you mean 'relu'?"),
    Case("activation-class-path", Y("{type: conv, filters: 8, kernel_size: 3, activation: keras.activations.relu}"),
         at="keras.", path="blocks[0].activation", message="unknown activation 'keras.activations.relu'"),
    Case("activation-as-config", Y("{type: dense, units: 8, activation: {class_name: Lambda, config: {}}}"),
         at="{class_name", path="blocks[0].activation", message="must be the name of an activation"),
    Case("initializer-class-path", Y("{type: vgg, filters: 8, kernel_initializer: keras.initializers.Orthogonal}"),
         at="keras.", path="blocks[0].kernel_initializer", message="unknown initializer"),
    Case("shortcut-typo", Y("{type: residual, filters: 8, shortcut: identiy}"), at="identiy",
         path="blocks[0].shortcut", message="did you mean 'identity'?"),
    Case("defaults-bad-activation", Y(VGG, head="name: m\ninput:\n  shape: [32, 32, 3]\ndefaults:\n"
                                              "  activation: reluu\nblocks:\n"),
         at="reluu", path="defaults.activation", message="did you mean 'relu'?"),
    Case("reduce-without-branch", Y("{type: inception, conv1x1: 8, conv3x3: 0, conv5x5: 8, reduce3x3: 4}"),
         at="4}", path="blocks[0].reduce3x3", message="reduce3x3 is set but conv3x3 is 0"),
    # ------------------------------------------------------------------ the static pass: shapes and names
    # 32 -> 16 -> 8 -> 4 -> 2 -> 1: the sixth block's (default) 2x2 pool has no room; the
    # path names the field, the position is the block, as pool_size is not written
    Case("pool-collapse", Y(*[VGG] * 6), at=("{type", 6), path="blocks[5].pool_size",
         message="a pooling window of 2 (valid padding) does not fit in an input of size 1", stage="static"),
    Case("pool-too-big", Y("{type: vgg, filters: 8, pool_size: 64}"), at="64", path="blocks[0].pool_size",
         message="pooling window of 64", stage="static"),
    Case("pool-pair-too-big", Y("{type: max_pool, pool_size: [2, 64]}"), at="[2, 64]",
         path="blocks[0].pool_size", message="does not fit in an input of size 32", stage="static"),
    Case("kernel-too-big", Y("{type: conv, filters: 8, kernel_size: 33}"), at="33", path="blocks[0].kernel_size",
         message="a kernel of 33 (valid padding) does not fit in an input of size 32", stage="static"),
    # strides 16 take 32 to (32 - 3) // 16 + 1 = 2 rows, too few for the next 3x3 kernel
    Case("stride-collapse", Y("{type: conv, filters: 8, kernel_size: 3, strides: 16}",
                              "{type: conv, filters: 8, kernel_size: 3}"),
         at="3}", path="blocks[1].kernel_size",
         message="does not fit in an input of size 2", stage="static"),
    Case("identity-channels", Y("{type: residual, filters: 8, shortcut: identity}"), at="identity",
         path="blocks[0].shortcut", message="maps 3 channels to 8", stage="static"),
    Case("identity-strides", Y("{type: residual, filters: 3, strides: 2, shortcut: identity}"), at="identity",
         path="blocks[0].shortcut", message="strides [2, 2]", stage="static"),
    Case("bottleneck-identity", Y("{type: bottleneck, filters: 8, shortcut: identity}"), at="identity",
         path="blocks[0].shortcut", message="maps 3 channels to 32", stage="static"),
    Case("flatten-unknown-size", Y("{type: flatten}", head="name: m\ninput:\n  shape: [null, null, 3]\nblocks:\n"),
         at="{type", path="blocks[0]", message="Flatten needs every size known", stage="static"),
    Case("dense-on-unknown-size", Y("{type: dense, units: 10}", head="name: m\ninput:\n  shape: [null, null, 3]\n"
                                    "blocks:\n"),
         at="10}", path="blocks[0].units", message="Dense on an input of shape (None, None, 3)", stage="static"),
    ok("dense-after-global-pool-on-unknown-size",
       Y("{type: vgg, filters: 4}", "{type: global_avg_pool}", "{type: dense, units: 10}",
         head="name: m\ninput:\n  shape: [null, null, 3]\nblocks:\n")),
    Case("pool-after-global-pool", Y("{type: global_avg_pool}", "{type: max_pool}"), at="{type: max",
         path="blocks[1].pool_size", message="needs an input of shape (height, width, channels)", stage="static"),
    Case("duplicate-block-names", Y("{type: vgg, filters: 8, name: a}", "{type: vgg, filters: 8, name: a}"),
         at=("a}", 2), path="blocks[1].name", message="block name 'a' is already used by blocks[0]",
         stage="static"),
    Case("name-takes-a-default-name", Y("{type: conv, filters: 8, kernel_size: 1}",
                                        "{type: conv, filters: 8, kernel_size: 1, name: block1}"),
         at="block1", path="blocks[1].name", message="block name 'block1' is already used", stage="static"),
    Case("layer-name-collision", Y("{type: conv, filters: 8, kernel_size: 1, name: a_conv1}",
                                   "{type: vgg, filters: 8, name: a}"),
         at="a}", path="blocks[1].name", message="layer name 'a_conv1' is already used", stage="static"),
    Case("repeat-name-collision", Y("{type: vgg, filters: 8, repeat: 2, name: a}",
                                    "{type: vgg, filters: 8, name: a_2}"),
         at="a_2", path="blocks[1].name", message="block name 'a_2' is already used by blocks[0]", stage="static"),
    # ------------------------------------------------------------------ budgets (more in test_budgets.py)
    Case("billion-filters", Y("{type: vgg, filters: 1000000000}"), at="1000000000", path="blocks[0].filters",
         message="over the limit of 1,000,000,000 (raise it with --max-params)", stage="static"),
    Case("huge-repeat", Y("{type: activation, activation: relu, repeat: 1000000000000}"), at="1000000000000",
         path="blocks[0].repeat", message="too many layers: 10,001 with layer", stage="static"),
    # ------------------------------------------------------------------ the path itself (exit 2)
    Case("no-such-file", "", status=2, message="no such file", stage="usage"),
    Case("a-directory", "", status=2, message="is a directory", stage="usage"),
]

# --------------------------------------------------------------------------- graphs (contract v2, section 1)
#
# Names, references, merges, inputs and outputs, the v2 layers' shapes, family blocks, and
# mistakes deep inside composites. Each figure in a message comes from the spec text itself:
# a 32x32x3 input, 'same' convolutions keep 32x32, a 2x2 max pool halves it, a global pool
# leaves the channels, a preact_bottleneck gives 4 x filters channels (keras.applications resnet
# residual_block_v2: Conv2D(4 * filters, 1, name=name + "_3_conv")), a transition keeps
# floor(channels x reduction) (densenet transition_block: int(x.shape[bn_axis] * reduction)).

IN2 = "name: m\ninputs:\n  image: {shape: [32, 32, 3]}\n  meta: {shape: [8]}\nblocks:\n"
STEM = "{type: conv, filters: 8, kernel_size: 3, padding: same, name: stem}"
HEAD2 = "{type: conv, filters: 8, kernel_size: 1, name: head}"


def conv1(name: str, extra: str = "", filters: int = 8) -> str:
    """A 1x1 conv (keeps the 32x32 map) named ``name``; ``extra`` adds fields, e.g. ', input: stem'."""
    return f"{{type: conv, filters: {filters}, kernel_size: 1{extra}, name: {name}}}"


# a parallel (depth 3) in a sequence (depth 2) in a parallel (depth 1); %s is the inner branch's second block
NEST = """type: parallel
    merge: concat
    branches:
      - []
      - - type: sequence
          name: stage
          blocks:
            - {type: conv, filters: 4, kernel_size: 1}
            - type: parallel
              merge: concat
              branches:
                - [{type: conv, filters: 4, kernel_size: 1, name: left}]
                - - {type: conv, filters: 4, kernel_size: 1}
                  - %s"""
NEST_PATH = "blocks[0].branches[1][0].blocks[1].branches[1][1]"

# (block, the typo as written, the field it is blamed on, the suggestion), one per block family
NESTED_TYPOS = [
    ("{type: conv, filters: 4, kernal_size: 3, padding: same}", "kernal_size", "kernel_size"),
    ("{type: vgg, filter: 4}", "filter", "filters"),
    ("{type: conv_transpose, filters: 4, kernel_size: 2, stride: 1}", "stride", "strides"),
    ("{type: crop, crop: 0}", "crop", "cropping"),
    ("{type: reshape, shap: [-1]}", "shap", "shape"),
    ("{type: upsample, interpolaton: nearest}", "interpolaton", "interpolation"),
    ("{type: dense_block, layers: 2, growth: 4}", "growth", "growth_rate"),
    ("{type: transition, reduce: 0.5}", "reduce", "reduction"),
    ("{type: preact_bottleneck, filters: 1, shortcu: auto}", "shortcu", "shortcut"),
    ("{type: parallel, merge: add, branchs: [[], []]}", "branchs", "branches"),
    ("{type: sequence, block: [{type: activation, activation: relu}]}", "block", "blocks"),
    ("{type: global_avg_pool, keepdim: true}", "keepdim", "keepdims"),
]


def _nested_typo(block: str, typo: str, suggestion: str) -> "Case":
    return Case(f"nested-typo-{typo}", Y(NEST % block), at=typo + ":", path=f"{NEST_PATH}.{typo}",
                message=f"unknown field {typo!r}; did you mean {suggestion!r}?")


GRAPH_CASES: list[Case] = [
    # ------------------------------------------------------------------ references
    Case("ref-unknown", Y(STEM, conv1("head", ", input: stme")), at="stme", path="blocks[1].input",
         message="unknown name 'stme'; did you mean 'stem'?", stage="static"),
    Case("ref-unknown-in-inputs", Y(STEM, conv1("side", ", input: stem"), "{type: add, inputs: [stem, sdie]}"),
         at="sdie", path="blocks[2].inputs[1]", message="unknown name 'sdie'; did you mean 'side'?",
         stage="static"),
    Case("json-ref-unknown", J('{"type": "conv", "filters": 8, "kernel_size": 3, "name": "stem"}',
                               '{"type": "dense", "units": 4, "input": "stm"}'), ".json",
         at='"stm"', path="blocks[1].input", message="unknown name 'stm'; did you mean 'stem'?", stage="static"),
    Case("ref-later-block", Y(STEM, conv1("early", ", input: later"), conv1("later", ", input: stem"),
                              "{type: add, inputs: [early, later]}"),
         at="later,", path="blocks[1].input",
         message="'later' is the block at blocks[2], which comes later; a block can only take the output of an "
                 "earlier block", stage="static"),
    Case("ref-own-name", Y(STEM, conv1("loop", ", input: loop")), at="loop", path="blocks[1].input",
         message="'loop' is this block's own name", stage="static"),
    Case("ref-own-copy-name", Y(STEM, conv1("loop", ", input: loop_1, repeat: 2")), at="loop_1",
         path="blocks[1].input", message="'loop_1' is this block's own name", stage="static"),
    Case("ref-own-name-in-merge", Y(STEM, "{type: add, inputs: [stem, total], name: total}"), at="total]",
         path="blocks[1].inputs[1]", message="'total' is this block's own name", stage="static"),
    Case("ref-sibling-branch", Y(STEM, "type: parallel\n    merge: concat\n    branches:\n"
                                       "      - [{type: conv, filters: 4, kernel_size: 1, name: left}]\n"
                                       "      - [{type: conv, filters: 4, kernel_size: 1, input: left}]"),
         at=("left", 2), path="blocks[1].branches[1][0].input",
         message="'left' is in another branch of the same parallel (blocks[1].branches[0][0]); a branch may "
                 "refer to earlier names outside the parallel and in its own branch, not to a sibling branch",
         stage="static"),
    Case("ref-into-repeated-sequence", Y(STEM, "type: sequence\n    name: stage\n    repeat: 2\n    blocks:\n"
                                               "      - " + conv1("inner"), "{type: add, inputs: [stage, inner]}"),
         at=("inner", 2), path="blocks[2].inputs[1]",
         message="'inner' is a block inside the repeated block at blocks[1], and names inside a repeated block "
                 "are not visible outside it", stage="static"),
    Case("ref-later-inside-sequence", Y("type: sequence\n    blocks:\n"
                                        "      - {type: conv, filters: 4, kernel_size: 1, input: after}\n"
                                        "      - " + conv1("after")),
         at="after}", path="blocks[0].blocks[0].input",
         message="'after' is the block at blocks[0].blocks[1], which comes later", stage="static"),
    # ------------------------------------------------------------------ merges
    Case("add-different-channels", Y(STEM, conv1("narrow", ", input: stem", filters=4),
                                     "{type: add, inputs: [stem, narrow]}"),
         at="[stem, narrow]", path="blocks[2].inputs",
         message="cannot add tensors of shapes (32, 32, 8) and (32, 32, 4)", stage="static"),
    Case("concat-different-heights", Y(STEM, "{type: max_pool, input: stem, name: half}",
                                       "{type: concat, inputs: [stem, half]}"),
         at="[stem, half]", path="blocks[2].inputs",
         message="must agree on every other axis: (32, 32, 8), (16, 16, 8)", stage="static"),
    Case("multiply-different-ranks", Y(STEM, "{type: global_avg_pool, name: pooled}",
                                       "{type: multiply, inputs: [stem, pooled]}"),
         at="[stem, pooled]", path="blocks[2].inputs",
         message="cannot multiply tensors of different ranks: (32, 32, 8), (8)", stage="static"),
    Case("concat-on-batch-axis", Y(STEM, conv1("side", ", input: stem"), "{type: concat, inputs: [stem, side], "
                                   "axis: 0}"),
         at="0}", path="blocks[2].axis", message="axis 0 is not an axis of a sample of rank 3 (1 to 3, or -1 to "
         "-3; 0 is the batch axis)", stage="static"),
    Case("concat-axis-out-of-range", Y(STEM, conv1("side", ", input: stem"), "{type: concat, inputs: [stem, "
                                       "side], axis: 4}"),
         at="4}", path="blocks[2].axis", message="axis 4 is not an axis of a sample of rank 3", stage="static"),
    Case("axis-on-add", Y(STEM, conv1("side", ", input: stem"), "{type: add, inputs: [stem, side], axis: 1}"),
         at="axis", path="blocks[2].axis", message="unknown field 'axis'"),
    Case("merge-of-one", Y(STEM, "{type: add, inputs: [stem]}"), at="[stem]", path="blocks[1].inputs",
         message="must have at least 2 item(s) (it has 1)"),
    Case("merge-without-inputs", Y(STEM, "{type: add}"), at="{type: add", path="blocks[1]",
         message="missing required field 'inputs'"),
    Case("merge-input-not-inputs", Y(STEM, "{type: add, input: stem}"), at="input: stem}", path="blocks[1].input",
         message="unknown field 'input'; did you mean 'inputs'?"),
    # ------------------------------------------------------------------ dangling outputs, model inputs
    Case("dangling-block", Y(STEM, conv1("side"), conv1("head", ", input: stem")), at=("{type", 2),
         path="blocks[1]", message="the output of 'side' is never used: no later block takes it (the next "
         "block names another 'input:') and it is not in 'outputs'", stage="static"),
    Case("dangling-inside-a-branch", Y("type: parallel\n    merge: concat\n    branches:\n"
                                       "      - [{type: conv, filters: 4, kernel_size: 1}]\n"
                                       "      - - " + conv1("p", filters=4) + "\n"
                                       "        - " + conv1("q", filters=4) + "\n"
                                       "        - " + conv1("r", ", input: p", filters=4)),
         at="{type: conv, filters: 4, kernel_size: 1, name: q", path="blocks[0].branches[1][1]",
         message="the output of 'q' is never used", stage="static"),
    # a block of several layers (side, side_bn, side_relu) is named as the block, not as its last layer
    Case("dangling-block-of-several-layers", Y(STEM, "{type: conv, filters: 8, kernel_size: 1, batch_norm: true, "
                                               "activation: relu, name: side}", conv1("head", ", input: stem")),
         at=("{type", 2), path="blocks[1]", message="the output of 'side' is never used", stage="static"),
    Case("unused-model-input", IN2 + "  - {type: conv, filters: 8, kernel_size: 1, input: image}\n",
         at="{shape: [8]}", path="inputs.meta",
         message="model input 'meta' is never used: name it in a block's 'input:' or 'inputs:'", stage="static"),
    ok("both-inputs-used", IN2 + "  - {type: global_avg_pool, input: image, name: pooled}\n"
                                 "  - {type: concat, inputs: [pooled, meta]}\n"),
    # ------------------------------------------------------------------ outputs
    Case("outputs-unknown", Y(STEM, HEAD2) + "outputs: [haed]\n", at="haed", path="outputs[0]",
         message="unknown name 'haed'; did you mean 'head'?", stage="static"),
    Case("outputs-duplicate", Y(STEM, HEAD2) + "outputs: [head, head]\n", at=("head", 3), path="outputs[1]",
         message="'head' is already outputs[0]; list each output once", stage="static"),
    Case("outputs-model-input", Y(STEM, HEAD2) + "outputs: [head, input]\n", at="input]", path="outputs[1]",
         message="'input' is a model input; an output must be a block's output", stage="static"),
    Case("outputs-empty", Y(STEM, HEAD2) + "outputs: []\n", at="[]", path="outputs",
         message="must have at least 1 item(s) (it has 0)"),
    ok("outputs-two", Y(STEM, conv1("side"), conv1("head", ", input: stem")) + "outputs: [side, head]\n"),
    # ------------------------------------------------------------------ input / inputs
    Case("input-and-inputs", "name: m\ninput:\n  shape: [32, 32, 3]\ninputs:\n  meta: {shape: [8]}\nblocks:\n"
         "  - {type: dense, units: 4}\n", at="inputs:", path="inputs",
         message="give either 'input' (one input) or 'inputs' (several named ones), not both"),
    Case("no-input-at-all", "name: m\nblocks:\n  - {type: dense, units: 4}\n", line=1, column=1, path="$",
         message="missing required field 'input'"),
    Case("inputs-empty", "name: m\ninputs: {}\nblocks:\n  - {type: dense, units: 4}\n", at="{}", path="inputs",
         message="at least 1 item"),
    # null is not a way to leave an optional mapping out (it was taken as absent, and the static pass crashed)
    Case("input-null", "name: m\ninput: null\nblocks:\n  - {type: dense, units: 4}\n", at="null", path="input",
         message="must be a mapping, not null"),
    Case("inputs-null", "name: m\ninputs: null\nblocks:\n  - {type: dense, units: 4}\n", at="null", path="inputs",
         message="must be a mapping, not null"),
    Case("several-inputs-first-block-without-input", IN2 + "  - {type: conv, filters: 8, kernel_size: 1}\n",
         at="{type", path="blocks[0]", message="this model has several inputs (image, meta): a block that starts "
         "a chain names its 'input:'", stage="static"),
    Case("block-named-like-an-input", IN2 + "  - {type: conv, filters: 8, kernel_size: 1, input: image, "
                                            "name: meta}\n",
         at="meta}", path="blocks[0].name", message="block name 'meta' is already used by model input 'meta'",
         stage="static"),
    Case("default-name-like-an-input", "name: m\ninputs:\n  image: {shape: [32, 32, 3]}\n  block1: {shape: "
         "[32, 32, 8]}\nblocks:\n  - {type: conv, filters: 8, kernel_size: 1, input: image}\n"
         "  - {type: add, inputs: [block1, block1]}\n",
         at="{type: conv", path="blocks[0]", message="block name 'block1' is already used by model input 'block1'",
         stage="static"),
    # stem's batch norm layer is 'stem_bn' (NAME, NAME_bn, NAME_relu), the name of the second input
    Case("layer-named-like-an-input", "name: m\ninputs:\n  image: {shape: [32, 32, 3]}\n  stem_bn: {shape: "
         "[32, 32, 8]}\nblocks:\n  - {type: conv, filters: 8, kernel_size: 3, padding: same, batch_norm: true, "
         "input: image, name: stem}\n  - {type: add, inputs: [stem, stem_bn]}\n",
         at="stem}", path="blocks[0].name", message="layer name 'stem_bn' is already used by model input 'stem_bn'",
         stage="static"),
    # ------------------------------------------------------------------ the v2 layers' shapes
    Case("crop-leaves-no-rows", Y("{type: crop, cropping: 16}"), at="16", path="blocks[0].cropping",
         message="cropping 16 + 16 from a height of 32 leaves nothing", stage="static"),
    Case("crop-leaves-no-columns", Y("{type: crop, cropping: [[0, 0], [12, 20]]}"), at="[[0", path="blocks[0].cropping",
         message="cropping 12 + 20 from a width of 32 leaves nothing", stage="static"),
    Case("reshape-wrong-count", Y("{type: reshape, shape: [32, 32, 4]}"), at="[32, 32, 4]", path="blocks[0].shape",
         message="cannot reshape (32, 32, 3) (3,072 values) to (32, 32, 4) (4,096 values)", stage="static"),
    Case("reshape-infer-not-a-multiple", Y("{type: reshape, shape: [-1, 5]}"), at="[-1", path="blocks[0].shape",
         message="3,072 is not a multiple of 5", stage="static"),
    Case("conv-transpose-on-features", Y("{type: global_avg_pool}", "{type: conv_transpose, filters: 8, "
                                         "kernel_size: 2}"),
         at="2}", path="blocks[1].kernel_size",
         message="Conv2DTranspose needs an input of shape (height, width, channels); it gets (3)", stage="static"),
    Case("conv-transpose-huge-strides", Y("{type: conv_transpose, filters: 8, kernel_size: 2, strides: 100000000}"),
         at="100000000", path="blocks[0].strides",
         message="its output (3200000000, 3200000000, 8) has a size past 2,147,483,647, the largest TensorFlow "
         "takes", stage="static"),
    # 1,500,000,000 channels twice: 3,000,000,000, grown by nothing but the inputs (an unknown height and width
    # hold no activation to count)
    Case("concat-past-int32", "name: m\ninput: {shape: [null, null, 1500000000]}\nblocks:\n"
         "  - {type: concat, inputs: [input, input]}\n", at="[input, input]", path="blocks[0].inputs",
         message="its output (None, None, 3000000000) has a size past 2,147,483,647", stage="static"),
    # a size of exactly 2,147,483,647 is the largest allowed: a width of 1 upsampled 2,147,483,647 times
    ok("upsample-to-int32-max", "name: m\ninput: {shape: [null, 1, 1]}\nblocks:\n"
       "  - {type: upsample, size: [1, 2147483647]}\n"),
    # with same padding a window wider than 2n + 1 covers only padding, and TensorFlow stalls on it
    Case("max-pool-window-past-padding", Y("{type: max_pool, pool_size: 2147483647, padding: same}"),
         at="2147483647", path="blocks[0].pool_size",
         message="a pooling window of 2147483647 (same padding) is more than twice as wide as its input of size 32 "
         "(at most 65)", stage="static"),
    Case("avg-pool-window-past-padding", Y("{type: avg_pool, pool_size: [3, 66], padding: same}"),
         at="[3, 66]", path="blocks[0].pool_size",
         message="a pooling window of 66 (same padding) is more than twice", stage="static"),
    Case("dilated-kernel-past-padding", Y("{type: depthwise_conv, kernel_size: 3, dilation_rate: 10000, padding: same}"),
         at="10000", path="blocks[0].dilation_rate",
         message="a dilated kernel of 20001 (same padding) is more than twice as wide as its input of size 32 "
         "(at most 1,025 here)",
         stage="static"),
    Case("upsample-on-features", Y("{type: global_avg_pool}", "{type: upsample}"), at="{type: upsample",
         path="blocks[1].size", message="UpSampling2D needs an input of shape (height, width, channels); it gets "
         "(3)", stage="static"),
    Case("upsample-huge", Y("{type: upsample, size: 1000000}"), at="1000000", path="blocks[0].size",
         message="too much activation memory for one sample:", stage="static"),
    Case("upsample-bad-interpolation", Y("{type: upsample, interpolation: bicubic}"), at="bicubic",
         path="blocks[0].interpolation", message="unknown interpolation 'bicubic' (one of: nearest, bilinear)"),
    # ------------------------------------------------------------------ family blocks
    Case("dense-block-without-batch-norm", Y("{type: dense_block, layers: 2, batch_norm: false}"), at="false",
         path="blocks[0].batch_norm", message="this block always has batch norm: must be true or a mapping"),
    Case("transition-without-batch-norm", Y("{type: transition, batch_norm: false}"), at="false",
         path="blocks[0].batch_norm", message="this block always has batch norm"),
    Case("preact-identity-cannot-be", Y("{type: preact_bottleneck, filters: 8, shortcut: identity}"),
         at="identity", path="blocks[0].shortcut",
         message="an identity shortcut needs the block to keep its shape, but it maps 3 channels to 32 with "
                 "strides [1, 1]; use shortcut: projection (or auto)", stage="static"),
    # a strided identity is Keras' 1x1 max pool: 32 channels in, 4 * 8 out, allowed
    ok("preact-strided-identity", Y("{type: conv, filters: 32, kernel_size: 1}",
                                    "{type: preact_bottleneck, filters: 8, strides: 2, shortcut: identity}")),
    Case("transition-keeps-no-channel", Y("{type: transition, reduction: 0.3}"), at="0.3",
         path="blocks[0].reduction", message="a reduction of 0.3 keeps no channel of 3", stage="static"),
    # the default reduction 0.5 of 1 channel: floor(0.5) = 0; reduction is not written, so the block is pointed at
    Case("transition-default-keeps-no-channel", Y("{type: transition}", head="name: m\ninput:\n  shape: [32, 32, 1]"
                                                  "\nblocks:\n"),
         at="{type", path="blocks[0].reduction", message="a reduction of 0.5 keeps no channel of 1", stage="static"),
    # ------------------------------------------------------------------ deep inside composites
    *[_nested_typo(*t) for t in NESTED_TYPOS],
    Case("nested-batch-norm-typo", Y(NEST % "{type: conv, filters: 4, kernel_size: 1, batch_norm: {centre: false}}"),
         at="centre", path=f"{NEST_PATH}.batch_norm.centre", message="unknown field 'centre'; did you mean 'center'?"),
    Case("nested-unknown-type", Y(NEST % "{type: conv_transpos, filters: 4, kernel_size: 1}"), at="conv_transpos",
         path=f"{NEST_PATH}.type", message="unknown block type 'conv_transpos'; did you mean 'conv_transpose'?"),
    Case("nested-bad-merge", Y(NEST % "{type: parallel, merge: concatenate, branches: [[], []]}"), at="concatenate",
         path=f"{NEST_PATH}.merge", message="unknown merge 'concatenate'; did you mean 'concat'?"),
    Case("nested-wrong-type", Y(NEST % "{type: conv, filters: four, kernel_size: 1}"), at="four",
         path=f"{NEST_PATH}.filters", message="must be an integer, not a string ('four')"),
    Case("nested-sibling-ref", Y(NEST % "{type: conv, filters: 4, kernel_size: 1, input: left}"), at=("left", 2),
         path=f"{NEST_PATH}.input", message="'left' is in another branch of the same parallel "
         "(blocks[0].branches[1][0].blocks[1].branches[0][0])", stage="static"),
    # the did-you-mean is drawn from the names visible there: 'stem', not the sibling branch's 'left'
    Case("nested-ref-typo", Y(STEM, NEST % "{type: conv, filters: 4, kernel_size: 1, input: stme}"),
         at="stme", path=NEST_PATH.replace("blocks[0]", "blocks[1]", 1) + ".input",
         message="unknown name 'stme'; did you mean 'stem'?", stage="static"),
    Case("json-nested-typo", J('{"type": "parallel", "merge": "add", "branches": [[], [{"type": "sequence", '
                               '"blocks": [{"type": "conv", "filters": 3, "kernel_size": 1, "padding": "same", '
                               '"activaton": "relu"}]}]]}'), ".json",
         at='"activaton"', path="blocks[0].branches[1][0].blocks[0].activaton",
         message="unknown field 'activaton'; did you mean 'activation'?"),
    ok("nested-ok", Y(NEST % "{type: conv, filters: 4, kernel_size: 3, padding: same}")),
    ok("squeeze-excite-as-data", Y(STEM, "type: parallel\n    merge: multiply\n    branches:\n      - []\n"
                                         "      - - {type: global_avg_pool, keepdims: true}\n"
                                         "        - {type: conv, filters: 2, kernel_size: 1, activation: relu}\n"
                                         "        - {type: conv, filters: 8, kernel_size: 1, activation: sigmoid}")),
]
CASES += GRAPH_CASES

# --------------------------------------------------------------------------- the efficient-CNN vocabulary (issue 10)
#
# Depthwise, separable, grouped and dilated convolutions, relu, rescale, normalize, noise_shape,
# initializers as data and the mobile family blocks. Each figure in a message comes from the spec
# text or from Keras' rules: a 'valid' window of k needs k <= n; a kernel of k at dilation d spans
# k + (k - 1)(d - 1) (keras.src.ops.operation_utils.compute_conv_output_shape); Conv2D refuses
# strides > 1 with dilation_rate > 1 (keras.src.layers.convolutional.base_conv: `if max(self.strides)
# > 1 and max(self.dilation_rate) > 1`: "`strides > 1` not supported in conjunction with
# `dilation_rate > 1`"), which DepthwiseConv2D and SeparableConv2D do not (base_depthwise_conv and
# base_separable_conv have no such check; the TensorFlow backend decomposes a strided dilated
# depthwise convolution: keras.src.backend.tensorflow.nn._depthwise_conv_stride_dilation_decomposition);
# Conv2D refuses groups that do not divide its input channels or filters (base_conv.build /
# __init__); ReLU refuses max_value < 0 (keras.src.layers.activations.relu); a Dropout noise shape
# broadcasts against (batch, h, w, c); a Normalization takes mean and variance together (keras.src.
# layers.preprocessing.normalization: "both `mean` and `variance` must be set"), and a
# variance is >= 0. EIGHT is a 1x1 conv to 8 channels, so a later block sees 32x32x8.

EIGHT = "{type: conv, filters: 8, kernel_size: 1, name: eight}"
CONV3 = "{type: conv, filters: 8, kernel_size: 3, kernel_initializer: %s}"
JCONV3 = '{"type": "conv", "filters": 8, "kernel_size": 3, "kernel_initializer": %s}'

EFFICIENT_CASES: list[Case] = [
    # ------------------------------------------------------------------ depthwise and separable
    Case("depthwise-kernel-too-big", Y("{type: depthwise_conv, kernel_size: 33}"), at="33",
         path="blocks[0].kernel_size", message="a kernel of 33 (valid padding) does not fit in an input of size 32",
         stage="static"),
    Case("separable-kernel-pair-too-big", Y("{type: separable_conv, filters: 8, kernel_size: [3, 40]}"),
         at="[3, 40]", path="blocks[0].kernel_size", message="a kernel of 40 (valid padding) does not fit in an "
         "input of size 32", stage="static"),
    Case("depth-multiplier-0", Y("{type: depthwise_conv, kernel_size: 3, depth_multiplier: 0}"), at="0}",
         path="blocks[0].depth_multiplier", message="must be greater than 0"),
    # a rank problem is the block's, not one field's
    Case("depthwise-on-features", Y("{type: global_avg_pool}", "{type: depthwise_conv, kernel_size: 3}"),
         at="{type: depthwise_conv", path="blocks[1]",
         message="DepthwiseConv2D needs an input of shape (height, width, channels); it gets (3)", stage="static"),
    # ------------------------------------------------------------------ activations (every Keras name, checked)
    Case("separable-activation-typo", Y("{type: separable_conv, filters: 8, kernel_size: 3, activation: hardswish}"),
         at="hardswish", path="blocks[0].activation",
         message="unknown activation 'hardswish'; did you mean 'hard_swish'?"),
    Case("inverted-residual-activation-typo", Y("{type: inverted_residual, filters: 8, activation: relu_6}"),
         at="relu_6", path="blocks[0].activation", message="unknown activation 'relu_6'; did you mean 'relu6'?"),
    Case("mbconv-activation-typo", Y("{type: mbconv, filters: 8, activation: swich}"), at="swich",
         path="blocks[0].activation", message="unknown activation 'swich'; did you mean 'swish'?"),
    # ------------------------------------------------------------------ numbers are strict (as v1's 'bool-for-float')
    # A quoted number or a boolean where a number belongs is refused, in every float of the issue-10
    # layers, blocks and initializer arguments; an int is a fine float ('int-for-float' below).
    Case("string-for-float-relu", Y("{type: relu, max_value: '6'}"), at="'6'", path="blocks[0].max_value",
         message="must be a number, not a string ('6')"),
    Case("string-for-float-relu-slope", Y("{type: relu, negative_slope: '0.1'}"), at="'0.1'",
         path="blocks[0].negative_slope", message="must be a number, not a string ('0.1')"),
    Case("bool-for-float-relu", Y("{type: relu, threshold: true}"), at="true", path="blocks[0].threshold",
         message="must be a number, not a boolean (true)"),
    Case("string-for-float-layer-norm", Y("{type: layer_norm, epsilon: '1e-3'}"), at="'1e-3'",
         path="blocks[0].epsilon", message="must be a number, not a string ('1e-3')"),
    Case("bool-for-float-mbconv", Y("{type: mbconv, filters: 8, se_ratio: true}"), at="true",
         path="blocks[0].se_ratio", message="must be a number, not a boolean (true)"),
    Case("string-for-float-mbconv-drop-rate", Y("{type: mbconv, filters: 8, drop_rate: '0.2'}"), at="'0.2'",
         path="blocks[0].drop_rate", message="must be a number, not a string ('0.2')"),
    Case("string-for-float-initializer", Y(CONV3 % "{class: Constant, value: '0.5'}"), at="'0.5'",
         path="blocks[0].kernel_initializer.value", message="must be a number, not a string ('0.5')"),
    Case("bool-for-float-initializer", Y(CONV3 % "{class: VarianceScaling, scale: true}"), at="true",
         path="blocks[0].kernel_initializer.scale", message="must be a number, not a boolean (true)"),
    Case("json-string-for-float-initializer", J(JCONV3 % '{"class": "RandomNormal", "stddev": "0.1"}'), ".json",
         at='"0.1"', path="blocks[0].kernel_initializer.stddev", message="must be a number, not a string ('0.1')"),
    ok("int-for-float", Y("{type: relu, max_value: 6, threshold: 0}", "{type: layer_norm, epsilon: 1}",
                          CONV3 % "{class: Constant, value: 1}")),
    # rescale's and normalize's values are a number or a list of numbers: one message for both choices
    Case("string-for-rescale-scale", Y("{type: rescale, scale: '0.5'}"), at="'0.5'", path="blocks[0].scale",
         message="must be a number or a list of numbers, one per channel, not a string ('0.5')"),
    Case("bool-for-rescale-scale", Y("{type: rescale, scale: true}"), at="true", path="blocks[0].scale",
         message="must be a number or a list of numbers, one per channel, not a boolean (true)"),
    Case("string-in-rescale-scale-list", Y("{type: rescale, scale: [0.5, '0.5', 1]}"), at="'0.5'",
         path="blocks[0].scale[1]", message="must be a number, not a string ('0.5')"),
    Case("mapping-for-rescale-offset", Y("{type: rescale, scale: 0.5, offset: {a: 1}}"), at="{a",
         path="blocks[0].offset", message="must be a number or a list of numbers, one per channel, not a mapping"),
    Case("string-for-normalize-mean", Y("{type: normalize, mean: '0.5', variance: 1}"), at="'0.5'",
         path="blocks[0].mean", message="must be a number or a list of numbers, one per channel, not a string "
         "('0.5')"),
    Case("bool-in-normalize-variance-list", Y("{type: normalize, mean: 0.5, variance: [1, true, 1]}"), at="true",
         path="blocks[0].variance[1]", message="must be a number, not a boolean (true)"),
    # ------------------------------------------------------------------ initializers as data
    Case("initializer-class-typo", Y(CONV3 % "{class: VarianceScalling, scale: 2.0}"), at="VarianceScalling",
         path="blocks[0].kernel_initializer.class",
         message="unknown initializer class 'VarianceScalling'; did you mean 'VarianceScaling'?"),
    Case("initializer-class-in-snake-case", Y(CONV3 % "{class: variance_scaling}"), at="variance_scaling",
         path="blocks[0].kernel_initializer.class",
         message="unknown initializer class 'variance_scaling'; did you mean 'VarianceScaling'?"),
    # Keras has an Identity initializer; modelspec leaves it out (a kernel of 4 axes is no matrix)
    Case("initializer-class-left-out", Y(CONV3 % "{class: Identity}"), at="Identity",
         path="blocks[0].kernel_initializer.class", message="unknown initializer class 'Identity' (one of: "
         "Constant, GlorotNormal"),
    Case("initializer-mapping-without-class", Y(CONV3 % "{scale: 2.0}"), at="{scale",
         path="blocks[0].kernel_initializer", message="an initializer mapping needs 'class'"),
    Case("initializer-name-typo", Y(CONV3 % "he_normall"), at="he_normall", path="blocks[0].kernel_initializer",
         message="unknown initializer 'he_normall'; did you mean 'he_normal'?"),
    Case("initializer-argument-typo", Y(CONV3 % "{class: VarianceScaling, scal: 2.0}"), at="scal:",
         path="blocks[0].kernel_initializer.scal", message="unknown field 'scal'; did you mean 'scale'?"),
    Case("initializer-argument-typo-own-class", Y(CONV3 % "{class: RandomNormal, stdev: 0.1}"), at="stdev",
         path="blocks[0].kernel_initializer.stdev", message="unknown field 'stdev'; did you mean 'stddev'?"),
    Case("json-initializer-argument-typo", J(JCONV3 % '{"class": "GlorotUniform", "seeds": 1}'), ".json",
         at='"seeds"', path="blocks[0].kernel_initializer.seeds", message="unknown field 'seeds'; did you mean "
         "'seed'?"),
    Case("initializer-mode-typo", Y(CONV3 % "{class: VarianceScaling, mode: fan}"), at="fan}",
         path="blocks[0].kernel_initializer.mode", message="unknown mode 'fan'; did you mean 'fan_in'?"),
    # Keras' VarianceScaling reads distribution "normal" as "truncated_normal"
    # (keras.src.initializers.random_initializers: `if distribution == "normal": distribution =
    # "truncated_normal"`), so modelspec takes it too (tests/test_initializers.py builds it)
    ok("initializer-distribution-keras-alias", Y(CONV3 % "{class: VarianceScaling, distribution: normal}")),
    # Keras' VarianceScaling takes uniform, truncated_normal, untruncated_normal (and the alias normal)
    Case("initializer-distribution-unknown", Y(CONV3 % "{class: VarianceScaling, distribution: gaussian}"),
         at="gaussian", path="blocks[0].kernel_initializer.distribution",
         message="unknown distribution 'gaussian' (one of: truncated_normal, untruncated_normal, uniform, normal)"),
    Case("initializer-scale-negative", Y(CONV3 % "{class: VarianceScaling, scale: -1}"), at="-1",
         path="blocks[0].kernel_initializer.scale", message="must be greater than 0"),
    Case("initializer-seed-float", Y(CONV3 % "{class: HeNormal, seed: 1.5}"), at="1.5",
         path="blocks[0].kernel_initializer.seed", message="must be an integer, not a float (1.5)"),
    Case("json-initializer-seed-negative", J(JCONV3 % '{"class": "GlorotNormal", "seed": -1}'), ".json",
         at="-1", path="blocks[0].kernel_initializer.seed", message="must be at least 0"),
    # ------------------------------------------------------------------ grouped and dilated conv
    Case("groups-do-not-divide-channels", Y("{type: conv, filters: 8, kernel_size: 3, groups: 2}"), at="2}",
         path="blocks[0].groups", message="groups=2 must divide both the input channels (3) and the filters (8)",
         stage="static"),
    Case("groups-do-not-divide-filters", Y(EIGHT, "{type: conv, filters: 6, kernel_size: 3, groups: 4}"), at="4}",
         path="blocks[1].groups", message="groups=4 must divide both the input channels (8) and the filters (6)",
         stage="static"),
    Case("groups-zero", Y("{type: conv, filters: 8, kernel_size: 3, groups: 0}"), at="0}", path="blocks[0].groups",
         message="must be greater than 0"),
    Case("strides-and-dilation", Y("{type: conv, filters: 8, kernel_size: 3, strides: 2, dilation_rate: 2}"),
         at="2}", path="blocks[0].dilation_rate",
         message="strides [2, 2] and dilation_rate [2, 2] cannot both exceed 1 (Keras' Conv2D refuses the "
         "combination)"),
    # max(strides) > 1 and max(dilation_rate) > 1, on different axes: Keras' Conv2D refuses it too
    Case("strides-and-dilation-on-different-axes", Y("{type: conv, filters: 8, kernel_size: 3, strides: [1, 2], "
                                                     "dilation_rate: [2, 1]}"),
         at="[2, 1]", path="blocks[0].dilation_rate",
         message="strides [1, 2] and dilation_rate [2, 1] cannot both exceed 1 (Keras' Conv2D refuses the "
         "combination)"),
    # DepthwiseConv2D and SeparableConv2D have no such rule (see above): (32 - 5) // 2 + 1 = 14
    ok("depthwise-strided-and-dilated", Y("{type: depthwise_conv, kernel_size: 3, strides: 2, dilation_rate: 2}")),
    ok("separable-strided-and-dilated", Y("{type: separable_conv, filters: 4, kernel_size: 3, strides: 2, "
                                          "dilation_rate: 2}")),
    # a 3x3 kernel at dilation 16 spans 3 + 2 x 15 = 33 rows and columns > 32
    Case("dilated-kernel-too-big", Y("{type: conv, filters: 8, kernel_size: 3, dilation_rate: 16}"), at="16}",
         path="blocks[0].dilation_rate",
         message="a dilated kernel of 33 (valid padding) does not fit in an input of size 32", stage="static"),
    # ------------------------------------------------------------------ relu, dropout, rescale, normalize
    Case("relu-max-value-negative", Y("{type: relu, max_value: -1}"), at="-1", path="blocks[0].max_value",
         message="must be at least 0"),
    Case("relu-negative-slope-negative", Y("{type: relu, negative_slope: -0.1}"), at="-0.1",
         path="blocks[0].negative_slope", message="must be at least 0"),
    Case("noise-shape-wrong-length", Y("{type: dropout, rate: 0.2, noise_shape: [null, 1, 1]}"), at="[null",
         path="blocks[0].noise_shape", message="noise_shape [null, 1, 1] has 3 sizes; the input (32, 32, 3) has 4 "
         "with the batch axis", stage="static"),
    Case("noise-shape-does-not-broadcast", Y("{type: dropout, rate: 0.2, noise_shape: [null, 16, 1, 3]}"),
         at="[null", path="blocks[0].noise_shape", message="noise_shape [null, 16, 1, 3] does not broadcast to the "
         "input (None, 32, 32, 3): each size must be null, 1 or the input's", stage="static"),
    Case("rescale-scale-per-channel-wrong-length", Y("{type: rescale, scale: [0.1, 0.2]}"), at="[0.1",
         path="blocks[0].scale", message="scale has 2 values; the input has 3 channels", stage="static"),
    Case("rescale-offset-per-channel-wrong-length", Y("{type: rescale, scale: 0.5, offset: [1, 2, 3, 4]}"),
         at="[1, 2", path="blocks[0].offset", message="offset has 4 values; the input has 3 channels",
         stage="static"),
    Case("normalize-mean-per-channel-wrong-length", Y("{type: normalize, mean: [0.5, 0.5], variance: [1, 1]}"),
         at="[0.5", path="blocks[0].mean", message="mean has 2 values; the input has 3 channels", stage="static"),
    # ------------------------------------------------------------------ family blocks
    # a family block on a flat input is blamed on the block, by the name it has (block2: the second)
    Case("squeeze-excite-on-features", Y("{type: global_avg_pool}", "{type: squeeze_excite}"), at=("{type", 2),
         path="blocks[1]", message="block2: squeeze-and-excitation needs an input of shape (height, width, "
         "channels); it gets (3)", stage="static"),
    Case("mbconv-on-features", Y("{type: global_avg_pool}", "{type: mbconv, filters: 8}"), at=("{type", 2),
         path="blocks[1]", message="block2: an MBConv block needs an input of shape (height, width, channels); it "
         "gets (3)", stage="static"),
    Case("inverted-residual-on-features", Y("{type: global_avg_pool}", "{type: inverted_residual, filters: 8}"),
         at=("{type", 2), path="blocks[1]", message="block2: an inverted residual needs an input of shape (height, "
         "width, channels); it gets (3)", stage="static"),
    Case("squeeze-excite-gate-typo", Y("{type: squeeze_excite, gate: hard_sigmoyd}"), at="hard_sigmoyd",
         path="blocks[0].gate", message="unknown activation 'hard_sigmoyd'; did you mean 'hard_sigmoid'?"),
    Case("inverted-residual-without-batch-norm", Y("{type: inverted_residual, filters: 8, batch_norm: false}"),
         at="false", path="blocks[0].batch_norm", message="this block always has batch norm: must be true or a "
         "mapping"),
    Case("mbconv-without-batch-norm", Y("{type: mbconv, filters: 8, batch_norm: false}"), at="false",
         path="blocks[0].batch_norm", message="this block always has batch norm: must be true or a mapping"),
    # docs/format.md ("A default that a family block cannot take"): a default fills the field the block
    # leaves unset, so the error is the block's, blamed on the block (its batch_norm is not written)
    Case("defaults-batch-norm-false-meets-mbconv", Y(EIGHT, "{type: mbconv, filters: 8}",
                                                     head="name: m\ninput:\n  shape: [32, 32, 3]\ndefaults:\n"
                                                          "  batch_norm: false\nblocks:\n"),
         at="{type: mbconv", path="blocks[1].batch_norm", message="this block always has batch norm: must be true "
         "or a mapping {epsilon: ..., momentum: ...}, not a boolean (false)"),
    Case("mbconv-se-ratio-2", Y("{type: mbconv, filters: 8, se_ratio: 2}"), at="2}", path="blocks[0].se_ratio",
         message="must be at most 1"),
    ok("mbconv-se-ratio-0", Y("{type: mbconv, filters: 8, se_ratio: 0}")),
    ok("efficient-layers", Y("{type: rescale, scale: 0.00392156862745098, offset: [0, 0, 0]}",
                             "{type: normalize}", "{type: depthwise_conv, kernel_size: 3, padding: same, "
                             "depth_multiplier: 2, dilation_rate: 2}", "{type: relu, max_value: 6}",
                             "{type: conv, filters: 8, kernel_size: 3, groups: 2, padding: same, kernel_initializer: "
                             "{class: VarianceScaling, scale: 2.0, mode: fan_out, distribution: truncated_normal}}",
                             "{type: squeeze_excite, filters: 2}", "{type: inverted_residual, filters: 8}",
                             "{type: mbconv, filters: 8, drop_rate: 0.2}",
                             "{type: dropout, rate: 0.2, noise_shape: [null, 1, 1, 8]}", "{type: layer_norm}")),
]
CASES += EFFICIENT_CASES

# Rules that pydantic's validators word and the exported JSON Schema states too (json_schema_extra):
# test_schema.py holds the schema to each of them.
SCHEMA_RULES: list[Case] = [
    Case("subtract-of-three", Y(STEM, conv1("a", ", input: stem"), conv1("b", ", input: stem"),
                                "{type: subtract, inputs: [stem, a, b]}"),
         at="[stem, a, b]", path="blocks[3].inputs", message="takes exactly 2 inputs, not 3"),
    Case("merge-repeated", Y(STEM, conv1("side", ", input: stem"), "{type: add, inputs: [stem, side], repeat: 2}"),
         at="2}", path="blocks[2].repeat", message="a merge cannot be repeated"),
    Case("parallel-add-with-axis", Y(STEM, "type: parallel\n    merge: add\n    axis: 1\n    branches: [[], []]"),
         at="1\n", path="blocks[1].axis", message="axis is only for merge: concat, not add"),
    Case("reshape-two-inferred", Y("{type: reshape, shape: [-1, -1, 3]}"), at="[-1", path="blocks[0].shape",
         message="at most one size may be -1"),
    Case("reshape-zero", Y("{type: reshape, shape: [0, 32, 3]}"), at="[0", path="blocks[0].shape",
         message="sizes must be positive integers, or -1 (at most once)"),
    # Keras' Normalization takes mean and variance together or neither (keras.src.layers.preprocessing.
    # normalization: "both `mean` and `variance` must be set"); a rule between two fields, where the one
    # missing is blamed on the mapping (dependentRequired in the schema)
    Case("normalize-mean-without-variance", Y("{type: normalize, mean: 0.5}"), at="{type", path="blocks[0]",
         message="give mean and variance together, or neither"),
    Case("normalize-variance-without-mean", Y("{type: normalize, variance: 1}"), at="{type", path="blocks[0]",
         message="give mean and variance together, or neither"),
    # a variance is >= 0 (its square root divides), blamed at the value (minimum 0 in the schema)
    Case("normalize-negative-variance", Y("{type: normalize, mean: 0.5, variance: -1}"), at="-1",
         path="blocks[0].variance", message="must be at least 0.0"),
    Case("normalize-negative-variance-per-channel", Y("{type: normalize, mean: [0.5, 0.5, 0.5], "
                                                      "variance: [1, -1, 1]}"),
         at="-1", path="blocks[0].variance[1]", message="must be at least 0.0"),
    # the squeeze width is given one way; the second one written is blamed (not: required both, in the schema)
    Case("squeeze-excite-ratio-and-filters", Y("{type: squeeze_excite, ratio: 0.25, filters: 2}"), at="2}",
         path="blocks[0].filters", message="give ratio or filters, not both"),
]
CASES += SCHEMA_RULES

# The second attack corpus (issue: hostile input, round two): one case per class it found mishandled.
ROUND_TWO: list[Case] = [
    # only sizes Keras can run: every integer argument is a TensorFlow int32
    Case("pool-window-beyond-int32", Y("{type: max_pool, pool_size: 100000000000000000000, padding: same}"),
         at="100000000000000000000", path="blocks[0].pool_size",
         message="must be at most 2,147,483,647: TensorFlow takes sizes and counts as 32-bit integers"),
    Case("stride-beyond-int32", Y("{type: max_pool, pool_size: 2, strides: [1, 4294967296], padding: same}"),
         at="4294967296", path="blocks[0].strides[1]", message="must be at most 2,147,483,647"),
    Case("kernel-beyond-int32", Y("{type: conv, filters: 8, kernel_size: 2147483648, padding: same}"),
         at="2147483648", path="blocks[0].kernel_size", message="must be at most 2,147,483,647"),
    Case("filters-beyond-int32", Y("{type: dense, units: 9999999999}"), at="9999999999",
         path="blocks[0].units", message="must be at most 2,147,483,647"),
    Case("reshape-beyond-int32", Y("{type: flatten}", "{type: reshape, shape: [-1, 3000000000]}"),
         at="[-1, 3000000000]", path="blocks[1].shape", message="must be at most 2,147,483,647"),
    Case("dilated-kernel-beyond-int32", Y("{type: conv, filters: 1, kernel_size: 3, padding: same, "
                                          "dilation_rate: 1073741824}"), at="1073741824",
         path="blocks[0].dilation_rate", message="spans 2,147,483,649 pixels; TensorFlow takes at most"),
    Case("input-beyond-int32", "name: m\ninput: {shape: [4294967296, 2, 3]}\nblocks: [{type: flatten}]\n",
         at="4294967296", path="input.shape[0]", message="must be at most 2,147,483,647"),
    # the input is an activation too
    Case("input-over-the-activation-budget", "name: m\ninput: {shape: [2000000, 2000000, 3]}\n"
         "blocks: [{type: global_avg_pool}]\n", at="[2000000", path="input.shape",
         message="too much activation memory for one sample: 48,000,000,000,000 bytes with input 'input', over "
         "the limit of 8,589,934,592 bytes (raise it with --max-activation-bytes)", stage="static"),
    # YAML edge cases, placed right
    Case("two-merge-keys", "a: &a {x: 1}\nb: &b {y: 2}\nname: m\ninput: {shape: [8]}\nblocks:\n  - <<: *a\n"
         "    <<: *b\n    type: dense\n    units: 2\n", at=("<<", 2), path="blocks[0]",
         message="duplicate key '<<' (first written at line 6, column 5)", stage="load"),
    Case("alias-as-a-duplicate-key", "k: &k units\nname: m\ninput: {shape: [8]}\nblocks:\n  - type: dense\n"
         "    units: 3\n    *k : 16\n", at="*k", path="blocks[0].units",
         message="duplicate key 'units' (first written at line 6, column 5)", stage="load"),
    Case("alias-as-a-non-string-key", "k: &k 3\nname: m\ninput: {shape: [8]}\nblocks:\n  - type: dense\n"
         "    units: 3\n    *k : 16\n", at="*k", path="blocks[0]", message="mapping keys must be strings",
         stage="load"),
    Case("non-specific-tag-makes-a-string", Y("{type: conv, filters: ! 8, kernel_size: 1}"), at="! 8",
         path="blocks[0].filters", message="must be an integer, not a string ('8')"),
    Case("empty-document-markers", "---\n...\n", line=1, column=1, path="$",
         message="the spec file holds no document", stage="load"),
    # messages that say what is wrong
    Case("cyrillic-a-in-a-key", "n\u0430me: m\ninput: {shape: [8]}\nblocks: [{type: dense, units: 2}]\n",
         line=1, column=1, path='["n\\u0430me"]', message="unknown field 'n\\u0430me' (it contains U+0430 "
         "CYRILLIC SMALL LETTER A, which is not an ASCII character); did you mean 'name'?"),
    Case("zero-width-space-in-a-key", Y("{type: dense, units: 2, \u200bunits: 3}"), at="\u200bunits",
         path='blocks[0]["\\u200bunits"]', message="U+200B ZERO WIDTH SPACE"),
    Case("byte-order-mark-in-a-key", Y("{type: dense, units: 2, \ufeffunits: 3}"), at="\ufeffunits",
         path='blocks[0]["\\ufeffunits"]', message="U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    # a repeat whose later copies no longer fit: the copies before fitted, so the repeat is to blame (32 -> 1
    # after five 2x2/2 pools; the sixth copy's pool has nothing to pool)
    Case("repeat-shrinks-the-map-to-nothing", Y("{type: vgg, filters: 4, convs: 1, repeat: 7}"), at="7}",
         path="blocks[0].repeat", message="block1_6_pool: a pooling window of 2 (valid padding) does not fit in an "
         "input of size 1 (in copy 6 of 7; the copies before it fit)", stage="static"),
    Case("repeat-second-copy-does-not-fit", Y("{type: vgg, filters: 4, convs: 1, repeat: 2}",
                                               head=HEAD.replace("[32, 32, 3]", "[2, 2, 3]")),
         at="2}", path="blocks[0].repeat", message="block1_2_pool: a pooling window of 2 (valid padding) does not "
         "fit in an input of size 1 (in copy 2 of 2; the copies before it fit)", stage="static"),
    # the first copy itself does not fit: its own field is to blame, as for a block written once
    Case("repeat-first-copy-does-not-fit", Y("{type: conv, filters: 4, kernel_size: 40, repeat: 3}"), at="40",
         path="blocks[0].kernel_size", message="block1_1: a kernel of 40 (valid padding) does not fit in an input "
         "of size 32", stage="static"),
    Case("repeated-sequence-shrinks-the-map-to-nothing",
         Y("{type: sequence, repeat: 9, blocks: [{type: max_pool, pool_size: 2}]}"), at="9,",
         path="blocks[0].repeat", message="(in copy 6 of 9; the copies before it fit)", stage="static"),
    # ... and in a value that names something: a block type, an activation
    Case("cyrillic-e-in-a-block-type", Y("{type: d\u0435nse, units: 2}"), at="d\u0435nse", path="blocks[0].type",
         message="unknown block type 'd\\u0435nse' (it contains U+0435 CYRILLIC SMALL LETTER IE, which is not an "
         "ASCII character); did you mean 'dense'?"),
    Case("zero-width-space-in-an-activation", Y("{type: dense, units: 2, activation: relu\u200b}"),
         at="relu\u200b", path="blocks[0].activation",
         message="unknown activation 'relu\\u200b' (it contains U+200B ZERO WIDTH SPACE"),
    Case("number-underflows-to-zero", Y("{type: batch_norm, epsilon: 1e-400}"), at="1e-400",
         path="blocks[0].epsilon", message="number 1e-400 is too small to represent: it would be read as 0",
         stage="load"),
    Case("number-underflows-to-zero-json", J('{"type": "batch_norm", "epsilon": 1e-400}'), suffix=".json",
         at="1e-400", path="blocks[0].epsilon", message="too small to represent", stage="load"),
    Case("very-long-key-in-flow", Y("{type: dense, units: 2, " + "k" * 1100 + ": 1}"), at="k" * 1100,
         path="blocks[0]", message="a key of 1,100 characters: YAML reads a key of at most 1,024", stage="load"),
    Case("very-long-key-in-block", HEAD + "  - type: dense\n    " + "k" * 1100 + ": 1\n", at="k" * 1100,
         path="blocks[0]", message="a key of 1,100 characters", stage="load"),
]
CASES += ROUND_TWO

LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): error: (?P<path>\S+): (?P<message>.+)$")


def write(tmp_path: Path, case: Case) -> str:
    """Save the case where the CLI will read it; return the path to give the CLI."""
    if case.id == "no-such-file":
        return str(tmp_path / "missing.yaml")
    if case.id == "a-directory":
        (tmp_path / "specs.yaml").mkdir()
        return str(tmp_path / "specs.yaml")
    path = tmp_path / f"spec{case.suffix}"
    path.write_bytes(case.text if isinstance(case.text, bytes) else case.text.encode("utf-8"))
    return str(path)


def check_output(case: Case, status: int, out: str, err: str, spec: str) -> None:
    assert "Traceback" not in err and "Traceback" not in out
    assert status == case.status, f"{case.id}: exit {status}, expected {case.status}; stderr: {err}"
    if case.status == 0:
        assert err == ""
        assert out.startswith(f"ok: {spec} (")
        return
    lines = err.splitlines()
    assert len(lines) == 1, f"{case.id}: expected one error line, got:\n{err}"
    if case.status == 2:
        assert lines[0].startswith(f"{spec}: error: ") and case.message in lines[0]
        return
    match = LINE.match(lines[0])
    assert match, f"{case.id}: not PATH:LINE:COLUMN: error: SPEC.PATH: message: {lines[0]!r}"
    line, column = case.position()
    assert (match["file"], int(match["line"]), int(match["column"]), match["path"]) == (
        spec, line, column, case.path), f"{case.id}: {lines[0]}"
    assert case.message in match["message"], f"{case.id}: {lines[0]}"


# --------------------------------------------------------------------------- the corpus


def test_corpus_is_large_and_covers_every_stage():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)
    stages = {c.stage for c in CASES}
    assert stages == {"load", "schema", "static", "ok", "usage"}
    assert sum(c.suffix == ".json" for c in CASES) >= 20


def _params(cases: list[Case]) -> list:
    """The cases as pytest params; one that names a known modelspec bug is a strict xfail."""
    return [pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason="modelspec bug: " + c.bug)]
                         if c.bug else []) for c in cases]


@pytest.mark.parametrize("case", _params(CASES))
def test_bad_spec(case: Case, tmp_path: Path, capsys):
    spec = write(tmp_path, case)
    started = time.perf_counter()
    status = main(["validate", spec])
    elapsed = time.perf_counter() - started
    out, err = capsys.readouterr()
    check_output(case, status, out, err, spec)
    assert elapsed < 5, f"{case.id} took {elapsed:.1f} s"  # generous for a loaded CI box; typically < 0.3 s


@pytest.mark.parametrize("case", [c for c in CASES if c.status == 1][:30], ids=lambda c: c.id)
def test_summary_and_build_report_the_same_error(case: Case, tmp_path: Path, capsys):
    """Every command reads specs the same way: summary and build fail as validate does, before TensorFlow."""
    spec = write(tmp_path, case)
    for command in (["summary", spec], ["summary", "--json", spec], ["build", spec, "-o", str(tmp_path / "m.keras")]):
        status = main(command)
        out, err = capsys.readouterr()
        assert status == 1 and out == ""
        match = LINE.match(err.splitlines()[0])
        assert match and (int(match["line"]), int(match["column"])) == case.position()
    assert not (tmp_path / "m.keras").exists()


# (class, argument, how the message ends): the did-you-mean is drawn from that class's own arguments,
# and with no close one the message lists them, as Keras 3's __init__ signatures give them (less
# input_axes / output_axes, which modelspec leaves out: tests/test_initializers.py):
# Orthogonal(gain, seed), TruncatedNormal(mean, stddev, seed), HeNormal(seed) (its scale is fixed at
# 2.0), VarianceScaling(scale, mode, distribution, seed), Zeros() (no arguments)
INITIALIZER_ARGUMENT_TYPOS = [
    ("Orthogonal", "gains", "; did you mean 'gain'?"),
    ("TruncatedNormal", "gains", " (TruncatedNormal takes mean, stddev, seed)"),  # 'gain' is Orthogonal's
    ("VarianceScaling", "scales", "; did you mean 'scale'?"),
    ("VarianceScaling", "gain", " (VarianceScaling takes scale, mode, distribution, seed)"),
    ("HeNormal", "scale", " (HeNormal takes seed)"),
    ("Orthogonal", "scale", " (Orthogonal takes gain, seed)"),
    ("Zeros", "value", " (Zeros takes no arguments)"),  # Constant's
]


@pytest.mark.parametrize("cls, argument, ending", INITIALIZER_ARGUMENT_TYPOS)
def test_initializer_argument_did_you_mean_is_from_that_class(cls, argument, ending, tmp_path, capsys):
    text = Y(CONV3 % f"{{class: {cls}, {argument}: 1}}")
    spec = str(tmp_path / "spec.yaml")
    Path(spec).write_text(text)
    status = main(["validate", spec])
    (line,) = capsys.readouterr().err.splitlines()
    expected = f"error: blocks[0].kernel_initializer.{argument}: unknown field {argument!r}{ending}"
    assert status == 1 and line.endswith(expected), line


# --------------------------------------------------------------------------- end to end, as a user runs it


def _modelspec() -> list[str]:
    script = Path(sys.executable).with_name("modelspec")
    return [str(script)] if script.exists() else ([shutil.which("modelspec")] if shutil.which("modelspec")
                                                  else [sys.executable, "-m", "modelspec"])


SUBPROCESS = ["yaml-unclosed-brace", "dup-in-block", "python-apply-tag", "deep-yaml-in-block", "10-MB-json",
              "json-nan", "unknown-key-typo", "pool-collapse", "billion-filters", "no-such-file", "a-directory",
              "utf-8-bom-yaml"]


@pytest.mark.parametrize("case", [c for c in CASES if c.id in SUBPROCESS], ids=lambda c: c.id)
def test_subprocess(case: Case, tmp_path: Path):
    spec = write(tmp_path, case)
    env = {**os.environ, "MODELSPEC_DEBUG": ""}
    result = subprocess.run([*_modelspec(), "validate", spec], capture_output=True, text=True, env=env,
                            timeout=120)
    check_output(case, result.returncode, result.stdout, result.stderr, spec)


def test_subprocess_stdin_is_named_dash():
    case = next(c for c in CASES if c.id == "dup-in-block")
    result = subprocess.run([*_modelspec(), "validate", "-"], input=case.text, capture_output=True, text=True,
                            timeout=120)
    check_output(case, result.returncode, result.stdout, result.stderr, "-")


def test_subprocess_several_files_worst_status_wins(tmp_path: Path):
    """validate takes several files: one line per bad file, 'ok' for good ones, the worst exit status."""
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(Y(VGG))
    case = next(c for c in CASES if c.id == "float-for-int")
    bad.write_text(case.text)
    result = subprocess.run([*_modelspec(), "validate", str(good), str(bad)], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1
    assert result.stdout == f"ok: {good} (224 params)\n"  # 3*3*3*8 + 8
    line, column = case.position()
    assert result.stderr.startswith(f"{bad}:{line}:{column}: error: blocks[0].filters: ")
    result = subprocess.run([*_modelspec(), "validate", str(good), str(tmp_path / "nope.yaml"), str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr


# --------------------------------------------------------------------------- alias / anchor bombs


def _laughs(levels: int = 9, width: int = 9) -> str:
    """The billion laughs: each anchor is a list of ``width`` aliases of the previous one."""
    names = "abcdefghijklmnopqrstuvwxyz"
    lines = [f"{names[0]}: &{names[0]} [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"{names[i]}: &{names[i]} [{', '.join([f'*{names[i - 1]}'] * width)}]")
    return "\n".join(lines) + "\n"


def _expanded(levels: int, width: int) -> list[int]:
    """Values of each top-level key once expanded: a level-0 list is 1 + width values."""
    sizes = [1 + width]
    for _ in range(1, levels):
        sizes.append(1 + width * sizes[-1])
    return sizes


def _first_alias_over(levels: int, width: int, limit: int) -> tuple[int, int]:
    """(key index, alias index) of the alias whose expansion passes ``limit`` values.

    The root mapping is value 1; key i's list is one more value, then its aliases expand in turn.
    """
    sizes, count = _expanded(levels, width), 1
    for i, size in enumerate(sizes):
        count += 1
        for j in range(width if i else 0):
            if count + sizes[i - 1] > limit:
                return i, j
            count += sizes[i - 1]
        if i == 0:
            count += width
    raise AssertionError("no alias passes the limit")


BOMBS = {
    "billion-laughs": _laughs(),
    "wide-laughs": _laughs(levels=3, width=400),  # 64,000,000 values from ~6 KB
    "mapping-laughs": "a: &a {x: 1, y: 2, z: 3}\n" + "".join(
        f"{k}: &{k} {{p: *{j}, q: *{j}, r: *{j}, s: *{j}}}\n" for j, k in zip("abcdefghijkl", "bcdefghijklm")),
    "merge-laughs": "a: &a {x: 1, y: 2}\n" + "".join(
        f"{k}: &{k} [*{j}, *{j}, *{j}, *{j}, *{j}, *{j}, *{j}, *{j}]\n" for j, k in zip("abcdefg", "bcdefgh"))
    + "i: {<<: *h}\n",
    "inside-a-block": Y("{type: vgg, filters: 8, batch_norm: {k0: &k0 [l, l, l, l, l, l, l, l], " + ", ".join(
        f"k{i}: &k{i} [{', '.join([f'*k{i - 1}'] * 8)}]" for i in range(1, 9)) + "}}"),
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_alias_bomb_is_refused_fast_in_bounded_memory(name: str, tmp_path: Path, capsys):
    import tracemalloc

    spec = tmp_path / "bomb.yaml"
    spec.write_text(BOMBS[name])
    started = time.perf_counter()
    status = main(["validate", str(spec)])
    elapsed = time.perf_counter() - started
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    assert len(err.splitlines()) == 1 and "more than 10,000 values" in err
    assert elapsed < 1.0, f"{elapsed:.2f} s"  # about 0.05 s; the bomb would expand to millions of values
    tracemalloc.start()  # again, measuring memory (tracing slows it down several times)
    try:
        assert main(["validate", str(spec)]) == 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    capsys.readouterr()
    assert peak < 16 * 2**20, f"peak {peak / 2**20:.0f} MiB"  # a few MiB


def test_billion_laughs_points_at_the_alias_that_passes_the_limit(tmp_path: Path, capsys):
    text = _laughs()
    key, alias = _first_alias_over(9, 9, 10_000)
    case = Case("laughs", text, at=(f"*{'abcdefghi'[key - 1]}", alias + 1),
                path=f"{'abcdefghi'[key]}[{alias}]", message=f"alias *{'abcdefghi'[key - 1]} makes the document "
                "expand to more than 10,000 values", stage="load")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    status = main(["validate", str(spec)])
    out, err = capsys.readouterr()
    check_output(case, status, out, err, str(spec))


def test_alias_depth_amplification_is_refused(tmp_path: Path, capsys):
    """Each anchor nests the previous one 40 levels deeper: written depth 41, expanded depth 41 * n."""
    lines = ["a0: &a0 " + "[" * 40 + "1" + "]" * 40]
    lines += [f"a{i}: &a{i} " + "[" * 40 + f"*a{i - 1}" + "]" * 40 for i in range(1, 30)]
    text = "\n".join(lines) + "\n"
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    assert main(["validate", str(spec)]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    # a1's alias of a0 is at depth 1 (root) + 1 (a1's list) + 39 = 41; a0 adds 41 more: past 64
    column = lines[1].index("*a0") + 1
    assert f"spec.yaml:2:{column}: error: a1" in line and "alias *a0 makes the document nest deeper than 64" in line


def test_ordinary_anchors_and_merges_reuse_blocks(tmp_path: Path, capsys):
    text = ("name: m\ninput:\n  shape: [32, 32, 3]\nblocks:\n"
            "  - &conv {type: conv, filters: 8, kernel_size: 3, padding: same, name: c1}\n"
            "  - <<: *conv\n    name: c2\n"
            "  - {<<: *conv, name: c3, filters: 16}\n"
            "  - &pool {type: max_pool}\n"
            "  - *pool\n")
    spec = modelspec_load(tmp_path, text)
    assert [(b.name, b.type, getattr(b, "filters", None)) for b in spec.blocks] == [
        ("c1", "conv", 8), ("c2", "conv", 8), ("c3", "conv", 16), (None, "max_pool", None), (None, "max_pool", None)]
    assert all(b.kernel_size == 3 and b.padding == "same" for b in spec.blocks[:3])
    status = main(["summary", "--json", str(tmp_path / "spec.yaml")])
    summary = json.loads(capsys.readouterr().out)
    # c1: 3*3*3*8 + 8; c2: 3*3*8*8 + 8; c3: 3*3*8*16 + 16; 32 -> 16 -> 8 through the pools
    assert status == 0
    assert summary["params"]["total"] == 224 + 584 + 1168
    assert summary["output_shape"] == [8, 8, 16]


def test_an_error_inside_a_reused_block_points_at_the_alias(tmp_path: Path, capsys):
    """The path is where the alias put the block, and so is the position: line and path agree."""
    text = Y("&b {type: conv, filters: 8, kernel_size: 20}", "*b")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    status = main(["validate", str(spec)])
    out, err = capsys.readouterr()
    # 32 - 20 + 1 = 13 rows after the first copy: the second's 20x20 kernel does not fit; blocks[1]
    # is the alias '*b'
    case = Case("kernel-in-alias", text, at="*b", path="blocks[1].kernel_size",
                message="a kernel of 20 (valid padding) does not fit in an input of size 13", stage="static")
    check_output(case, status, out, err, str(spec))


def modelspec_load(tmp_path: Path, text: str):
    import modelspec

    (tmp_path / "spec.yaml").write_text(text)
    return modelspec.load(tmp_path / "spec.yaml")


# --------------------------------------------------------------------------- no code from a spec, by construction


def _string_fields(schema: dict, defs: dict, where: str = "$", seen=None):
    """(where, schema) for every place of the JSON Schema that admits a string."""
    seen = set() if seen is None else seen
    if "$ref" in schema:
        ref = schema["$ref"].rsplit("/", 1)[-1]
        if ref not in seen:
            seen.add(ref)
            yield from _string_fields(defs[ref], defs, where, seen)
        return
    if schema.get("type") == "string" or "enum" in schema or "const" in schema:
        yield where, schema
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for i, sub in enumerate(schema.get(key, [])):
            yield from _string_fields(sub, defs, where, seen)
    for key in ("if", "then", "items", "additionalProperties", "propertyNames"):
        if isinstance(schema.get(key), dict):
            yield from _string_fields(schema[key], defs, where, seen)
    for name, sub in schema.get("properties", {}).items():
        yield from _string_fields(sub, defs, f"{where}.{name}", seen)


def test_the_only_free_text_in_a_spec_is_names_and_descriptions():
    """Every string a spec can hold is a listed name (enum/const), a pattern-checked name, or inert text."""
    from modelspec.fields import NAME_PATTERN
    from modelspec.modules import WORD_PATTERN
    from modelspec.schema import json_schema

    schema = json_schema()
    free = set()
    for where, sub in _string_fields(schema, schema["$defs"]):
        if "enum" in sub or "const" in sub:
            values = sub.get("enum", [sub.get("const")])
            # Keras names: snake_case, or an initializer class in CamelCase; modelspec's own words
            # (a tf.distribute strategy: multi-worker) may have a hyphen
            assert all(re.fullmatch(r"[a-z0-9_-]+|[A-Z][A-Za-z]+", v) for v in values if isinstance(v, str))
            assert all(isinstance(v, (str, bool, int)) for v in values)  # `batch_norm: true`, reshape's -1
        elif sub.get("pattern") in (NAME_PATTERN, WORD_PATTERN):  # block names; module and parameter names
            assert sub.get("maxLength") == 128
        else:
            free.add(where.rsplit(".", 1)[-1])
    # neither description nor $schema is ever used to build anything; extends is a path, only ever read
    # as a spec file, never run or imported
    assert free == {"description", "$schema", "extends"}


def test_activation_and_initializer_names_are_plain_keras_names():
    from modelspec.fields import ACTIVATIONS, INITIALIZERS

    for name in ACTIVATIONS + INITIALIZERS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name  # no dots, no paths, no arguments
    assert len(set(ACTIVATIONS)) == len(ACTIVATIONS) and len(set(INITIALIZERS)) == len(INITIALIZERS)


@pytest.mark.slow
def test_every_listed_name_is_a_keras_builtin():
    import keras

    from modelspec.fields import ACTIVATIONS, INITIALIZERS
    from modelspec.layers import keras_initializer

    for name in ACTIVATIONS:
        fn = keras.activations.get(name)
        assert callable(fn) and fn.__module__.startswith("keras."), name
        x = keras.ops.convert_to_tensor([[[[0.5, -1.0, 2.0]]]])
        assert tuple(fn(x).shape) == (1, 1, 1, 3), name  # one tensor in, same shape out
    for name in INITIALIZERS:
        # as the build resolves it: Keras 3 cannot make "constant" from its name alone (KeyError:
        # 'value'), so modelspec.layers.keras_initializer gives Constant() for it, the name otherwise
        initializer = keras.initializers.get(keras_initializer(name))
        assert isinstance(initializer, keras.initializers.Initializer), name
        assert type(initializer).__module__.startswith("keras."), name
        assert tuple(initializer((3, 3, 2, 4)).shape) == (3, 3, 2, 4), name
