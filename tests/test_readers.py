"""The readers as parts: their limits are a parameter (ReaderLimits, as Budget is for the model), and the
PyYAML internals and messages the YAML reader builds on are pinned and checked here, so that a PyYAML
release that changes them fails loudly instead of silently degrading error messages."""

from __future__ import annotations

import json
import sys

import pytest
import yaml

import modelspec
from modelspec import ReaderLimits, SpecError
from modelspec import limits as limits_module

SPEC = "name: m\ninput: {shape: [8]}\nblocks:\n" + "".join(f"  - {{type: dense, units: {i + 1}}}\n" for i in range(30))


@pytest.mark.parametrize("json", [False, True])
def test_limits_are_a_parameter_not_a_global(json):
    text = _as_json(SPEC) if json else SPEC
    modelspec.loads(text, json=json)  # the defaults admit it
    for tight, message in ((ReaderLimits(max_values=20), "more than 20 values"),
                           (ReaderLimits(max_depth=2), "nesting deeper than 2 levels"),
                           (ReaderLimits(max_bytes=100), "larger than 100 bytes"),
                           (ReaderLimits(max_int_digits=1), "with 2 (digits|characters) is too")):
        with pytest.raises(SpecError, match=message):
            modelspec.loads(text, json=json, limits=tight)
    modelspec.loads(text, json=json)  # nothing changed for the next caller
    assert limits_module.DEFAULT == ReaderLimits()


def _as_json(text: str) -> str:
    import json as json_module

    return json_module.dumps(yaml.safe_load(text), indent=1)


def test_pyyaml_is_the_major_version_the_reader_was_written_against():
    assert yaml.__version__.split(".")[0] == "6", yaml.__version__


# The PyYAML messages (problem or context) that modelspec.yaml_reader recognises to reword them, each
# with a document that makes PyYAML raise it.
PYYAML_MESSAGES = [
    ("a: [1, 2\nb: 3\n", "expected ',' or ']'"),
    ("a: {x: 1\nb: 3\n", "expected ',' or '}'"),
    ("a: 1\n b: 2\n", "mapping values are not allowed here"),
    ("a:\n  - 1\n - 2\n", "expected <block end>, but found"),
    ("a: b\nc\n", "could not find expected ':'"),
    ("a:\tb: 1\n", "found character '\\t'"),
    ("a: `b`\n", "cannot start any token"),
    ('a: "\\q"\n', "found unknown escape character"),
    ('a: "b\n', "found unexpected end of stream"),
    ("a: *nope\n", "found undefined alias"),
    ("a: &x 1\nb: &x 2\nc: *x\n", "found duplicate anchor"),
    ("a: 1\n--- \nb: 2\n", "expected a single document"),
    ("a: 1\n...\nb\n", "expected '<document start>'"),
]


@pytest.mark.parametrize("text, message", PYYAML_MESSAGES, ids=[m.replace("\\", "") for _, m in PYYAML_MESSAGES])
def test_pyyaml_still_says_what_the_reader_recognises(text, message):
    try:
        list(yaml.compose_all(text)) if "single document" not in message else yaml.compose(text)
    except yaml.MarkedYAMLError as e:
        said = f"{e.context or ''} {e.problem or ''}"
        assert message in said, f"PyYAML now says {said!r}: update modelspec/yaml_reader.py"
    else:
        pytest.fail(f"PyYAML accepts {text!r}: update modelspec/yaml_reader.py")


# --------------------------------------------------------------------------- exact messages and positions
# What the readers say, word for word and where, for the cases mutation testing found unpinned
# (docs/mutation.md): each input text with the error lines it must raise. Columns count characters
# from 1; a file's end is the position just past its last character.


def _read_error(text: str, as_json: bool = False) -> str:
    """The error lines ``modelspec.parse_text`` raises for ``text``."""
    with pytest.raises(SpecError) as caught:
        modelspec.parse_text(text, as_json=as_json)
    return str(caught.value)


K40, K41 = "k" * 40, "k" * 41
READ_ERRORS = [
    # found by mutation testing at b96f3e2 (docs/mutation.md, "Gaps"): the JSON number limits' wording, a
    # string the file ends inside, and the path of a missing ':'
    ("json-integer-too-long", '{"a": ' + "1" * 101 + "}", True,
     "<spec>:1:7: error: a: integer with 101 characters is too long"),
    ("json-number-too-long", '{"a": 1.' + "0" * 99 + "}", True,
     "<spec>:1:7: error: a: number with 101 characters is too long"),
    # the value limit's message has no "invalid JSON" prefix (the text is JSON); the depth limit's has one, also
    # when the value that goes too deep is exactly the 10,000th (9,935 scalars, then lists nested to depth 65)
    ("json-too-many-values", "[" + "0," * 10_000 + "0]", True,
     "<spec>:1:20000: error: [9999]: the document has more than 10,000 values; a spec has a few hundred"),
    ("json-too-deep", "[" * 70 + "]" * 70, True,
     "<spec>:1:65: error: [0][0][0][0][0][0]...[0][0][0][0]: invalid JSON: nesting deeper than 64 levels"),
    ("json-too-deep-at-the-last-value-allowed", "[" + "0," * 9_935 + "[" * 64 + "]" * 64 + "]", True,
     "<spec>:1:19935: error: [9935][0][0][0][0][0]...[0][0][0][0]: invalid JSON: nesting deeper than 64 levels"),
    ("json-string-never-closed-at-the-end", '{"a": "abc', True,
     "<spec>:1:7: error: a: invalid JSON: this string is never closed"),
    ("json-missing-colon-inside", '{"m": {"a" 1}}', True,
     "<spec>:1:12: error: m: invalid JSON: expected ':' after the key, found '1'"),
    # characters a spec may not hold, each named for what it is (written, or as an escape)
    ("nel", "a: x\x85y\n", False,
     "<spec>:1:5: error: $: the line separator U+0085 (YAML versions and editors disagree on it) is not allowed "
     "in a spec"),
    ("c1-control-next-to-nel", "a: x\x86y\n", False,
     "<spec>:1:5: error: $: control character U+0086 is not allowed in a spec"),
    ("line-separator", "a: x\u2028y\n", False,
     "<spec>:1:5: error: $: the line separator U+2028 (YAML versions and editors disagree on it) is not allowed "
     "in a spec"),
    ("paragraph-separator", "a: x\u2029y\n", False,
     "<spec>:1:5: error: $: the line separator U+2029 (YAML versions and editors disagree on it) is not allowed "
     "in a spec"),
    ("non-character-fffe", "a: x\ufffey\n", False,
     "<spec>:1:5: error: $: the non-character U+FFFE is not allowed in a spec"),
    ("non-character-ffff", "a: x\uffffy\n", False,
     "<spec>:1:5: error: $: the non-character U+FFFF is not allowed in a spec"),
    ("first-surrogate-escaped", 'a: "\\ud800"\n', False,
     "<spec>:1:4: error: a: a lone surrogate U+D800 (not a character) (written as an escape) is not allowed "
     "in a spec"),
    ("last-surrogate-escaped", '{"a": "\\udfff"}\n', True,
     "<spec>:1:7: error: a: a lone surrogate U+DFFF (not a character) (written as an escape) is not allowed "
     "in a spec"),
    # numbers YAML 1.1 and 1.2 read differently: the decimal reading, and the octal one where it is one
    ("leading-zero", "a: 017\n", False,
     "<spec>:1:4: error: a: ambiguous number '017': YAML 1.1 reads a leading zero as octal; write 17 without it "
     "(or 15 if octal was meant)"),
    ("leading-zero-negative", "a: -017\n", False,
     "<spec>:1:4: error: a: ambiguous number '-017': YAML 1.1 reads a leading zero as octal; write -17 without "
     "it (or -15 if octal was meant)"),
    ("leading-zero-plus", "a: +017\n", False,
     "<spec>:1:4: error: a: ambiguous number '+017': YAML 1.1 reads a leading zero as octal; write 17 without "
     "it (or 15 if octal was meant)"),
    ("leading-zero-not-octal-digits", "a: 089\n", False,
     "<spec>:1:4: error: a: ambiguous number '089': YAML 1.1 reads a leading zero as octal; write 89 without it"),
    ("leading-zero-every-octal-digit", "a: 01234567\n", False,
     "<spec>:1:4: error: a: ambiguous number '01234567': YAML 1.1 reads a leading zero as octal; write 1234567 "
     "without it (or 342391 if octal was meant)"),
    ("0o-octal", "a: 0o17\n", False,
     "<spec>:1:4: error: a: ambiguous number '0o17': YAML 1.2 reads it as octal, YAML 1.1 as a string; write 15 "
     "in decimal"),
    # an unclosed YAML bracket: the next line back at (or left of) the indentation of the opening line means
    # the bracket was left open (blame it); a line indented deeper is still inside it (blame that place)
    ("yaml-open-at-the-end-of-the-file", "a: [1, 2", False,
     "<spec>:1:4: error: a: invalid YAML: this '[' is never closed (expected ',' or ']' before line 1, column 9)"),
    ("yaml-open-dedent", "a: [1,\n 2\nb: 3]\n", False,
     "<spec>:1:4: error: a: invalid YAML: this '[' is never closed (expected ',' or ']' before line 3, column 2)"),
    ("yaml-open-deeper", "a: [1,\n 2\n b: 3]\n", False,
     "<spec>:3:3: error: a: invalid YAML: expected ',' or ']' here, but found ':' (a missing comma?)"),
    ("yaml-open-same-indent", "  a: [1,\n  2\n  b: 3]\n", False,
     "<spec>:1:6: error: a: invalid YAML: this '[' is never closed (expected ',' or ']' before line 3, column 4)"),
    ("yaml-open-after-a-blank-line-dedent", "\n  a: [1,\n  2\n b: 3]\n", False,
     "<spec>:2:6: error: a: invalid YAML: this '[' is never closed (expected ',' or ']' before line 4, column 3)"),
    ("yaml-open-after-a-blank-line-deeper", "\n  a: [1,\n  2\n   b: 3]\n", False,
     "<spec>:4:5: error: a: invalid YAML: expected ',' or ']' here, but found ':' (a missing comma?)"),
    # YAML syntax errors, reworded where a person would look (the PyYAML messages above)
    ("yaml-key-too-long", "k" * 1100 + ": 1\n", False,
     "<spec>:1:1: error: $: invalid YAML: a key of 1,100 characters: YAML reads a key of at most 1,024 characters "
     "before its ':' (a spec's keys are short names)"),
    ("yaml-second-document", "a: 1\n---\nb: 2\n", False,
     "<spec>:2:1: error: $: invalid YAML: a spec file holds one YAML document; found a second one"),
    ("yaml-missing-comma-in-braces", "a: {x: 1 y: 2}\n", False,
     "<spec>:1:11: error: a: invalid YAML: expected ',' or '}' here, but found ':' (a missing comma?)"),
    ("yaml-wrong-closer", "a: [1, 2}\n", False,
     "<spec>:1:9: error: a: invalid YAML: expected ',' or ']' here, but found '}' (a missing comma?)"),
    ("yaml-text-after-single-quote", "a: 'it's'\n", False,
     "<spec>:1:8: error: $: invalid YAML: text after the closing quote of a quoted value (a quote inside '...' is "
     "written '', inside \"...\" as \\\")"),
    ("yaml-text-after-double-quote", 'a: "x" y\n', False,
     "<spec>:1:8: error: $: invalid YAML: text after the closing quote of a quoted value (a quote inside '...' is "
     "written '', inside \"...\" as \\\")"),
    ("yaml-stray-bracket", "a:\n  - 1\n  - 2\n ]\n", False,
     "<spec>:4:2: error: $: invalid YAML: unexpected ']': no bracket is open here"),
    ("yaml-stray-brace", "a:\n  b: 1\n  }\n", False,
     "<spec>:3:3: error: a: invalid YAML: unexpected '}': no bracket is open here"),
    ("yaml-dedented-key", "a:\n  b: 1\n c: 2\n", False,
     "<spec>:3:2: error: $: invalid YAML: bad indentation: this line does not line up with the lines of the block "
     "it is in"),
    ("yaml-dash-without-space", "a:\n  - 1\n -2\n", False,
     "<spec>:3:2: error: $: invalid YAML: bad indentation: this line does not line up with the lines of the block "
     "it is in ('-' starts a list item only when a space follows it)"),
    ("yaml-over-indented-key", "a: b\n  c: 2\n", False,
     "<spec>:2:3: error: $: invalid YAML: bad indentation: this key is indented deeper than the keys of its "
     "mapping (or the line above it lacks a ':')"),
    ("yaml-colon-in-value", "a: b: c\n", False,
     "<spec>:1:5: error: $: invalid YAML: ': ' cannot appear inside an unquoted value; put the value in quotes"),
    ("yaml-no-colon", "a: b\nc\n", False,
     "<spec>:2:1: error: $: invalid YAML: expected 'key: value' here, but this line has no ':'"),
    ("yaml-tab", "a:\tb\n", False,
     "<spec>:1:3: error: a: invalid YAML: a tab character: YAML indents and separates with spaces only"),
    ("yaml-backtick", "a: `b`\n", False,
     "<spec>:1:4: error: a: invalid YAML: '`' cannot start an unquoted value; put the value in quotes"),
    ("yaml-unknown-escape", 'a: "\\q"\n', False,
     "<spec>:1:5: error: a: invalid YAML: unknown escape '\\\\q' in a double-quoted string (write \\\\ for a "
     "backslash)"),
    ("yaml-unclosed-quote", 'a: "b\n', False, "<spec>:1:4: error: a: invalid YAML: this quoted string is never closed"),
    ("yaml-undefined-alias", "a: *nope\n", False,
     "<spec>:1:4: error: a: invalid YAML: alias *nope is not defined (an anchor &nope must be written before it "
     "is used)"),
    ("yaml-anchor-twice", "a: &x 1\nb: &x 2\n", False,
     "<spec>:2:4: error: b: invalid YAML: anchor &x is defined twice (first at line 1, column 4)"),
    ("yaml-after-document-end", "a: 1\n...\nb\n", False,
     "<spec>:3:1: error: $: invalid YAML: unexpected content after the end of the document"),
    ("yaml-1.1-directive", "# c\n%YAML 1.1\n---\na: 1\n", False,
     "<spec>:2:1: error: $: invalid YAML: modelspec reads YAML 1.2 (yes/no are strings, 010 is refused); remove "
     "the '%YAML 1.1' directive"),
    # after a blank first line; and a minor version other than 1.1, named as written
    ("yaml-1.1-directive-after-a-blank-line", "\n%YAML 1.1\n---\na: 1\n", False,
     "<spec>:2:1: error: $: invalid YAML: modelspec reads YAML 1.2 (yes/no are strings, 010 is refused); remove "
     "the '%YAML 1.1' directive"),
    ("yaml-1.3-directive", "%YAML 1.3\n---\na: 1\n", False,
     "<spec>:1:1: error: $: invalid YAML: modelspec reads YAML 1.2 (yes/no are strings, 010 is refused); remove "
     "the '%YAML 1.3' directive"),
    ("yaml-empty-document", "---\n...\n", False,
     "<spec>:1:1: error: $: the spec file holds no document (only comments or blank space)"),
    # YAML values: tags, and the numbers the core schema cannot use
    ("yaml-bad-int-tag", "a: !!int x\n", False, "<spec>:1:4: error: a: 'x' is not a valid !!int"),
    ("yaml-bad-bool-tag", "a: !!bool yes\n", False, "<spec>:1:4: error: a: 'yes' is not a valid !!bool"),
    ("yaml-local-tag", "a: !foo 8\n", False,
     "<spec>:1:4: error: a: YAML tag !foo is not allowed: a spec is plain data"),
    ("yaml-map-tag-on-a-list", "a: !!map [1]\n", False,
     "<spec>:1:4: error: a: YAML tag !!map is not allowed: a spec is plain data"),
    ("yaml-seq-tag-on-a-mapping", "a: !!seq {b: 1}\n", False,
     "<spec>:1:4: error: a: YAML tag !!seq is not allowed: a spec is plain data"),
    ("yaml-inf", "a: -.Inf\n", False,
     "<spec>:1:4: error: a: '-.Inf' is not allowed: sizes and rates must be finite numbers"),
    ("yaml-nan", "a: .NaN\n", False,
     "<spec>:1:4: error: a: '.NaN' is not allowed: sizes and rates must be finite numbers"),
    ("yaml-too-small", "a: 1e-400\n", False,
     "<spec>:1:4: error: a: number 1e-400 is too small to represent: it would be read as 0"),
    # the number limit in YAML: 101 characters are refused (100 are read, READ_VALUES)
    ("yaml-integer-too-long", "a: " + "1" * 101 + "\n", False,
     "<spec>:1:4: error: a: integer with 101 digits is too large"),
    ("yaml-number-too-long", "a: 1." + "0" * 99 + "\n", False,
     "<spec>:1:4: error: a: number with 101 characters is too long"),
    # the problems are shown in the order of their lines, whatever their columns; one an alias repeats, once
    ("yaml-problems-in-the-order-of-their-lines", "aaa: 017\nb: 1e-400\n", False,
     "<spec>:1:6: error: aaa: ambiguous number '017': YAML 1.1 reads a leading zero as octal; write 17 without it "
     "(or 15 if octal was meant)\n"
     "<spec>:2:4: error: b: number 1e-400 is too small to represent: it would be read as 0"),
    ("yaml-a-problem-an-alias-repeats", "a: &a {x: 017}\nb: *a\n", False,
     "<spec>:1:11: error: a.x: ambiguous number '017': YAML 1.1 reads a leading zero as octal; write 17 without it "
     "(or 15 if octal was meant)"),
    # the value limit as written, counted by the composer: the root is value 1, so item [9999] on line 10,000 is
    # the 10,001st
    ("yaml-too-many-values", "- 1\n" * 10_001, False,
     "<spec>:10000:3: error: [9999]: invalid YAML: the document has more than 10,000 values; a spec has a few "
     "hundred"),
    # an alias used as a key is placed at the alias, not at its anchor's value
    ("yaml-an-alias-as-a-duplicate-key", "k: &k x\nm:\n  x: 1\n  *k : 2\n", False,
     "<spec>:4:3: error: m.x: duplicate key 'x' (first written at line 3, column 3)"),
    # a core tag reads its value as the core schema does, with the same problems, at the tag
    ("yaml-int-tag-on-an-ambiguous-number", "a: !!int 017\n", False,
     "<spec>:1:4: error: a: ambiguous number '017': YAML 1.1 reads a leading zero as octal; write 17 without it "
     "(or 15 if octal was meant)"),
    ("yaml-int-tag-on-an-escaped-surrogate", 'a: !!int "\\ud800"\n', False,
     "<spec>:1:4: error: a: a lone surrogate U+D800 (not a character) (written as an escape) is not allowed "
     "in a spec"),
    ("yaml-collection-key", "? [a]\n: 1\n", False,
     "<spec>:1:3: error: $: mapping keys must be strings; a collection is not (quote it if it is meant as a name)"),
    # JSON syntax and values
    ("json-tab-in-string", '{"a": "b\tc"}\n', True,
     "<spec>:1:9: error: a: invalid JSON: control character U+0009 inside a string (write it as an escape such as "
     "\\t)"),
    ("json-bad-escape", '{"a": "\\q"}\n', True, "<spec>:1:8: error: a: invalid JSON: invalid \\escape"),
    ("json-no-colon", '{"a" 1}\n', True, "<spec>:1:6: error: $: invalid JSON: expected ':' after the key, found '1'"),
    ("json-unquoted-key", "{a: 1}\n", True,
     "<spec>:1:2: error: $: invalid JSON: expected a string key in double quotes, found 'a'"),
    ("json-missing-comma-in-object", '{"a": 1 "b": 2}\n', True,
     "<spec>:1:9: error: $: invalid JSON: expected ',' or '}', found '\"'"),
    ("json-missing-comma-in-array", "[1 2]\n", True,
     "<spec>:1:4: error: $: invalid JSON: expected ',' or ']', found '2'"),
    ("json-trailing-comma-in-array", "[1, 2,]\n", True,
     "<spec>:1:6: error: $: invalid JSON: a trailing comma before ']'"),
    ("json-unexpected-character", '{"a": @}\n', True, "<spec>:1:7: error: a: invalid JSON: unexpected character '@'"),
    ("json-text-after-the-document", '{"a": 1} x\n', True,
     "<spec>:1:10: error: $: invalid JSON: unexpected text after the end of the document"),
    ("json-python-false", '{"a": False}\n', True,
     "<spec>:1:7: error: a: invalid JSON: False is Python; JSON writes false"),
    ("json-nan", '{"a": NaN}\n', True,
     "<spec>:1:7: error: a: NaN is not valid JSON: sizes and rates must be finite numbers"),
    ("json-negative-leading-zero", '{"a": -012}\n', True,
     "<spec>:1:7: error: a: invalid JSON: a number cannot start with 0; write -12, not -012"),
    ("json-out-of-range", '{"a": 1.5e400}\n', True, "<spec>:1:7: error: a: number 1.5e400 is out of range"),
    ("json-duplicate-key", '{"a": 1, "a": 2}\n', True,
     "<spec>:1:10: error: a: duplicate key 'a' (first written at line 1, column 2)"),
    # JSON that ends inside a collection: the innermost one left open, and where the file ends
    ("json-open-one", '{"a": 1\n', True,
     "<spec>:1:1: error: $: invalid JSON: this '{' is never closed (the file ends at line 2, column 1)"),
    ("json-open-three", '{"a": [{"b": 1\n', True,
     "<spec>:1:8: error: a[0]: invalid JSON: this '{' is never closed (the file ends at line 2, column 1)"),
    # a value quoted in a message: whole up to 40 characters, else its first 37 and '...'
    ("duplicate-key-of-40", f"{K40}: 1\n{K40}: 2\n", False,
     f"<spec>:2:1: error: {K40}: duplicate key '{K40}' (first written at line 1, column 1)"),
    ("duplicate-key-of-41", f"{K41}: 1\n{K41}: 2\n", False,
     f'<spec>:2:1: error: ["{K41[:37]}..."]: duplicate key \'{K41[:37]}...\' (first written at line 1, column 1)'),
    # a merge key's mapping that is not one: blamed at the alias in the list
    ("merge-list-of-a-scalar", "s: &s 5\nm:\n  <<: [*s]\n", False,
     "<spec>:3:8: error: m: a merge key ('<<') takes a mapping or a list of mappings"),
    ("merge-of-itself", "a: &a\n  <<: *a\n", False,
     "<spec>:2:7: error: a: alias *a refers to the collection that contains it (&a at line 1, column 4); an "
     "alias cannot contain itself"),
    # of several merged, a mapping is still merged after one that is not (two problems, in source order)
    ("merge-of-itself-after-a-scalar", "s: &s 1\nm: &m\n  <<: [*m, *s]\n", False,
     "<spec>:3:8: error: m: alias *m refers to the collection that contains it (&m at line 2, column 4); an "
     "alias cannot contain itself\n"
     "<spec>:3:12: error: m: a merge key ('<<') takes a mapping or a list of mappings"),
    # a second '<<' is refused and the keys after it are still read (their problems too)
    ("merge-key-twice-then-a-bad-value", "b: &b {x: 1}\nm:\n  <<: *b\n  <<: *b\n  y: 017\n", False,
     "<spec>:4:3: error: m: duplicate key '<<' (first written at line 3, column 3); merge several mappings with one "
     "'<<: [*a, *b]'\n"
     "<spec>:5:6: error: m.y: ambiguous number '017': YAML 1.1 reads a leading zero as octal; write 17 without it "
     "(or 15 if octal was meant)"),
    # a key that is not a string is refused and the keys after it are still read
    ("yaml-key-not-a-string-then-a-bad-value", "m:\n  1: a\n  b: 017\n", False,
     "<spec>:2:3: error: m: mapping keys must be strings; '1' is not (quote it if it is meant as a name)\n"
     "<spec>:3:6: error: m.b: ambiguous number '017': YAML 1.1 reads a leading zero as octal; write 17 without it "
     "(or 15 if octal was meant)"),
    # a local tag is refused, also one whose end reads like a core tag's name (its 19th character on is 'int')
    ("yaml-local-tag-ending-in-int", "a: !abcdefghijklmnopqint 8\n", False,
     "<spec>:1:4: error: a: YAML tag !abcdefghijklmnopqint is not allowed: a spec is plain data"),
    # a key that is itself a bad number or tag: one problem, at the key, on the path of its mapping
    ("yaml-key-a-bad-number", "m:\n  017: 1\n", False,
     "<spec>:2:3: error: m: ambiguous number '017': YAML 1.1 reads a leading zero as octal; write 17 without it "
     "(or 15 if octal was meant)"),
    ("yaml-key-a-bad-tag", "m:\n  !!int x: 1\n", False, "<spec>:2:3: error: m: 'x' is not a valid !!int"),
    # found by mutation testing at c1dc940 (docs/mutation.md): nothing to read, at the file's start
    ("empty", "", False, "<spec>:1:1: error: $: the spec file is empty"),
    ("blank-json", " \n\t\n", True, "<spec>:1:1: error: $: the spec file is empty"),
    ("yaml-only-a-comment", "# c\n", False,
     "<spec>:1:1: error: $: the spec file holds no document (only comments or blank space)"),
    # a key too long for PyYAML: after an empty first line, on a last line with no line break, and not
    # looked for on a line after the one at fault
    ("yaml-key-too-long-after-a-blank-line", "\n" + "k" * 1100 + ": 1\n", False,
     "<spec>:2:1: error: $: invalid YAML: a key of 1,100 characters: YAML reads a key of at most 1,024 characters "
     "before its ':' (a spec's keys are short names)"),
    ("yaml-key-too-long-at-the-end", "k" * 1100 + ": 1", False,
     "<spec>:1:1: error: $: invalid YAML: a key of 1,100 characters: YAML reads a key of at most 1,024 characters "
     "before its ':' (a spec's keys are short names)"),
    ("yaml-key-too-long-on-a-later-line", "a: `b`\n" + "k" * 1100 + ": 1\n", False,
     "<spec>:1:4: error: a: invalid YAML: '`' cannot start an unquoted value; put the value in quotes"),
    # a key PyYAML cannot take as one (too long, or after '---'), whose line holds nothing else: blamed where its
    # line starts (the long key holds a '[', so it is not recognised as too long; docs/mutation.md)
    ("yaml-bracketed-key-too-long-after-a-blank-line", "\n" + "k" * 1100 + "[0]: 1\n", False,
     "<spec>:2:1: error: $: invalid YAML: bad indentation: this key is indented deeper than the keys of its mapping "
     "(or the line above it lacks a ':')"),
    # ': ' inside a value: a value that runs on to the next line, and a ':' right after a key's
    ("yaml-value-runs-on-into-a-colon", "a: b\n  c d: 1\n", False,
     "<spec>:2:6: error: $: invalid YAML: ': ' cannot appear inside an unquoted value; put the value in quotes"),
    ("yaml-colon-after-a-colon", "a: : b\n", False,
     "<spec>:1:4: error: a: invalid YAML: ': ' cannot appear inside an unquoted value; put the value in quotes"),
    # a quoted value closed at the start of its second line, then text
    ("yaml-text-after-a-quote-that-starts-a-line", 'a: "b\n" c\n', False,
     "<spec>:2:3: error: $: invalid YAML: text after the closing quote of a quoted value (a quote inside '...' is "
     "written '', inside \"...\" as \\\")"),
    # an unknown escape at the start of a line of a double-quoted value: the backslash's column, 1
    ("yaml-unknown-escape-starting-a-line", 'a: "x\n\\q"\n', False,
     "<spec>:2:1: error: a: invalid YAML: unknown escape '\\\\q' in a double-quoted string (write \\\\ for a "
     "backslash)"),
    # PyYAML's own words where nothing rewords them: a '---' inside a quoted value, an anchor without a name
    ("yaml-document-separator-in-a-quote", 'a: "b\n---\n"\n', False,
     "<spec>:2:1: error: a: invalid YAML: found unexpected document separator"),
    ("yaml-anchor-without-a-name", "a: &\n", False,
     "<spec>:1:5: error: a: invalid YAML: expected alphabetic or numeric character, but found '\\n'"),
    # a line break may be a lone CR (old Mac files): the rewording finds the lines as PyYAML does
    ("yaml-cr-after-a-quoted-item", "- 'a'\rb: 1\r", False,
     "<spec>:2:1: error: $: invalid YAML: bad indentation: this line does not line up with the lines of the block "
     "it is in"),
]


@pytest.mark.parametrize("text, as_json, error", [c[1:] for c in READ_ERRORS], ids=[c[0] for c in READ_ERRORS])
def test_read_error_is_exact(text, as_json, error):
    with pytest.raises(SpecError) as caught:
        modelspec.parse_text(text, as_json=as_json)
    assert str(caught.value) == error
    # each problem carries the file, line and column its line shows (a reader may not leave them to rendering)
    shown = [tuple(int(n) for n in line.split(":")[1:3]) for line in error.splitlines()]
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [("<spec>", *at) for at in shown]


# The same mistakes with lone CRs for line breaks (CR LF too): the same lines, at the same places.
CR_LINES = ["yaml-open-dedent", "yaml-open-deeper", "yaml-open-same-indent", "yaml-open-after-a-blank-line-dedent",
            "yaml-open-after-a-blank-line-deeper", "yaml-over-indented-key", "yaml-no-colon", "yaml-dedented-key",
            "yaml-1.1-directive", "yaml-key-too-long-after-a-blank-line", "yaml-key-too-long-on-a-later-line",
            "yaml-text-after-a-quote-that-starts-a-line", "yaml-stray-bracket", "json-open-three"]


@pytest.mark.parametrize("line_break", ["\r", "\r\n"], ids=["cr", "crlf"])
@pytest.mark.parametrize("case", CR_LINES)
def test_read_error_is_the_same_whatever_the_line_breaks(case, line_break):
    _, text, as_json, error = next(c for c in READ_ERRORS if c[0] == case)
    assert "\n" in text and "\r" not in text
    assert _read_error(text.replace("\n", line_break), as_json) == error


# What the readers make of values (the YAML 1.2 core schema; JSON as RFC 8259 has it).
READ_VALUES = [
    ("yaml-core-scalars", "a: [~, null, TRUE, False, 0x1F, -7, 1e3, .5, 'x', yes, on, 0o]\n", False,
     {"a": [None, None, True, False, 31, -7, 1000.0, 0.5, "x", "yes", "on", "0o"]}),
    # null, true and false in the three spellings the core schema has; any other is a string
    ("yaml-core-spellings", "a: [null, Null, NULL, nuLL, true, True, TRUE, tRUE, false, False, FALSE, fALSE]\n", False,
     {"a": [None, None, None, "nuLL", True, True, True, "tRUE", False, False, False, "fALSE"]}),
    # the longest integer and number the limit allows (100 characters)
    ("yaml-integer-and-number-of-100-characters", "a: [1" + "0" * 99 + ", 1." + "0" * 98 + "]\n", False,
     {"a": [10 ** 99, 1.0]}),
    ("yaml-core-tags", "a: [!!float 1, !!str 5, ! 8, !!null '', !!int '3', !!bool 'true']\n", False,
     {"a": [1.0, "5", "8", None, 3, True]}),
    # a zero written with an exponent is zero (only a mantissa with a digit 1-9 can underflow)
    # the YAML 1.2 directive says what modelspec reads anyway
    ("yaml-1.2-directive", "%YAML 1.2\n---\na: [1]\n", False, {"a": [1]}),
    # a byte-order mark given in a str is dropped, as one read from a file is
    ("json-after-a-byte-order-mark", "\ufeff{\"a\": [1]}", True, {"a": [1]}),
    ("yaml-zero-with-an-exponent", "a: [0e5, 0E5, 0.0e-9, -0e3]\n", False, {"a": [0.0, 0.0, 0.0, -0.0]}),
    ("json-zero-with-an-exponent", '{"a": [0e5, 0E5, 0.0e-9, -0e3]}', True, {"a": [0.0, 0.0, 0.0, -0.0]}),
    ("json-integer-of-100-digits", '{"a": [1' + "0" * 99 + "]}", True, {"a": [10 ** 99]}),  # the longest allowed
    ("json-values", '{"a": [1, {"b": 2.5, "c": [true, false, null]}], "d": -0.0, "e": 1E+2, "f": ""}\n', True,
     {"a": [1, {"b": 2.5, "c": [True, False, None]}], "d": -0.0, "e": 100.0, "f": ""}),
]


@pytest.mark.parametrize("text, as_json, data", [c[1:] for c in READ_VALUES], ids=[c[0] for c in READ_VALUES])
def test_read_values(text, as_json, data):
    read = modelspec.parse_text(text, as_json=as_json).data
    assert read == data and [type(v) for v in read["a"]] == [type(v) for v in data["a"]]


# The limits, as written (the composer counts every node: keys and aliases too) and as aliases expand them
# (the tree counts the values, each level of what an alias expands to one level deeper than where it is used).
ALIAS_DEPTH = "a: &a {b: {c: 1}}\nx: {y: *a}\n"  # the root is level 1, x's mapping 2, *a 3, b's mapping 4, c's value 5
ALIAS_VALUES = "a: &a [1, 2, 3]\nb: *a\n"  # 5 values, then *a's list and items: 9; as written 8 (2 keys, 1 alias)
NO_VALUES = "<spec>:1:1: error: $: invalid YAML: the document has more than 0 values; a spec has a few hundred"
READ_LIMITS = [
    # as written the deepest value is 4; the alias expands to 5
    ("alias-depth-refused-at-4", ALIAS_DEPTH, ReaderLimits(max_depth=4),
     "<spec>:2:8: error: x.y: alias *a makes the document nest deeper than 4 levels; a spec is far smaller "
     "(aliases repeated inside aliases?)"),
    ("alias-depth-read-at-5", ALIAS_DEPTH, ReaderLimits(max_depth=5),
     {"a": {"b": {"c": 1}}, "x": {"y": {"b": {"c": 1}}}}),
    ("alias-values-refused-at-8", ALIAS_VALUES, ReaderLimits(max_values=8),
     "<spec>:2:4: error: b: alias *a makes the document expand to more than 8 values; a spec is far smaller "
     "(aliases repeated inside aliases?)"),
    ("alias-values-read-at-9", ALIAS_VALUES, ReaderLimits(max_values=9), {"a": [1, 2, 3], "b": [1, 2, 3]}),
    # the 8th value is the one 5 levels deep (root, a's list, its list, 1; the second item, *a, its list, 1):
    # too deep, and not more than 8 values (as written, 6 values 4 levels deep)
    ("alias-too-deep-at-the-last-value-allowed", "- &a [[1]]\n- [*a]\n", ReaderLimits(max_depth=4, max_values=8),
     "<spec>:2:4: error: [1][0]: alias *a makes the document nest deeper than 4 levels; a spec is far smaller "
     "(aliases repeated inside aliases?)"),
    # as written: the depth is counted again after each sibling (the last '1' is 5 levels deep, after a '1' at 3)
    ("depth-after-a-sibling", "- - 1\n  - - - 1\n", ReaderLimits(max_depth=4),
     "<spec>:2:9: error: [0][1][0][0]: invalid YAML: nesting deeper than 4 levels"),
    # a limit of no values refuses the first value where it starts: at its anchor or tag, not at its bracket
    ("too-many-bytes", "a: 1\n", ReaderLimits(max_bytes=4),
     "<spec>:1:1: error: $: the file is larger than 4 bytes; a spec is a few kilobytes"),
    ("no-values-bracket", "[1]\n", ReaderLimits(max_values=0), NO_VALUES),
    ("no-values-anchor", "&a [1]\n", ReaderLimits(max_values=0), NO_VALUES),
    ("no-values-tag", "!!seq [1]\n", ReaderLimits(max_values=0), NO_VALUES),
]


@pytest.mark.parametrize("text, limits, read", [c[1:] for c in READ_LIMITS], ids=[c[0] for c in READ_LIMITS])
def test_read_under_limits(text, limits, read):
    if isinstance(read, dict):
        assert modelspec.parse_text(text, limits=limits).data == read
        return
    with pytest.raises(SpecError) as caught:
        modelspec.parse_text(text, limits=limits)
    assert str(caught.value) == read


# Merged keys are placed at the alias that brought them (an error in one points at its reuse);
# of several mappings merged, the first that has a key gives it; the mapping itself stays at its start.
MERGES = [
    ("one", "base: &b {x: 1}\nm:\n  <<: *b\n  y: 2\n",
     {"x": 1, "y": 2}, {("m",): (3, 3), ("m", "x"): (3, 7), ("m", "y"): (4, 6)}),
    ("a-list-of-one", "base: &b {x: 1}\nm:\n  <<: [*b]\n  y: 2\n",
     {"x": 1, "y": 2}, {("m",): (3, 3), ("m", "x"): (3, 8), ("m", "y"): (4, 6)}),
    ("a-list-first-wins", "a: &a {x: 1}\nb: &b {x: 2, z: 3}\nm:\n  <<: [*a, *b]\n",
     {"x": 1, "z": 3}, {("m",): (4, 3), ("m", "x"): (4, 8), ("m", "z"): (4, 12)}),
]


@pytest.mark.parametrize("text, merged, positions", [c[1:] for c in MERGES], ids=[c[0] for c in MERGES])
def test_merged_keys_are_placed_at_their_alias(text, merged, positions):
    source = modelspec.parse_text(text)
    assert source.data["m"] == merged
    assert {path: source.values[path] for path in positions} == positions


def test_an_unknown_field_with_a_character_that_is_not_ascii_shows_it():
    # an ASCII name is quoted as written; one with another character has printable ASCII (space to '~',
    # capitals included) as written and every other character as \uXXXX, so a look-alike shows
    text = ("name: m\ninput: {shape: [8]}\nblocks:\n"
            "  - {type: dense, units: 4, 'A b~': 1, 'A b~\u00e9': 2, 'x\ue000': 3}\n")
    with pytest.raises(SpecError) as caught:
        modelspec.loads(text)
    assert [line.split(": error: ")[1] for line in str(caught.value).splitlines()] == [
        "blocks[0][\"A\\u0020b~\"]: unknown field 'A b~'",
        "blocks[0][\"A\\u0020b~\\u00e9\"]: unknown field 'A b~\\u00e9' (it contains U+00E9 LATIN SMALL LETTER E "
        "WITH ACUTE, which is not an ASCII character)",
        # a character without a name (U+E000 is for private use)
        "blocks[0][\"x\\ue000\"]: unknown field 'x\\ue000' (it contains U+E000 unnamed, which is not an ASCII "
        "character)",
    ]


# loader.read_text: a file that is not a spec (`schema --check`'s) read as a spec is: a size limit, UTF-8
# with a byte-order mark allowed, and the same located errors, at the file's name.
READ_TEXT = [
    # the bytes, then the text read or the error line ({} is the file's path)
    ("at-the-limit", b"x" * 1000, "x" * 1000),
    ("byte-order-mark", b"\xef\xbb\xbf{}\n", "{}\n"),
    ("over-the-limit", b"x" * 1001, "{}:1:1: error: $: the file is larger than 1,000 bytes"),
    ("not-utf-8", b'{"a": 1}\n\xff\n', "{}:2:1: error: $: the file is not UTF-8 text (byte 0xff)"),
]


@pytest.mark.parametrize("content, expected", [c[1:] for c in READ_TEXT], ids=[c[0] for c in READ_TEXT])
def test_read_text_reads_as_a_spec_is_read(tmp_path, content, expected):
    from modelspec.loader import read_text

    path = tmp_path / "schema.json"
    path.write_bytes(content)
    if ": error: " not in expected:
        assert read_text(str(path), limit=1000) == expected
        return
    with pytest.raises(SpecError) as caught:
        read_text(str(path), limit=1000)
    assert str(caught.value) == expected.format(path)
    line, column = (int(n) for n in expected.split(":")[1:3])
    assert [(p.file, p.line, p.column) for p in caught.value.problems] == [(str(path), line, column)]


@pytest.mark.parametrize("what, message", [(None, "is a directory, not a file"),
                                           ("schema file", "is a directory, not a schema file")])
def test_read_text_names_what_it_wanted(tmp_path, what, message):
    from modelspec.loader import read_text

    with pytest.raises(modelspec.UsageError) as caught:
        read_text(str(tmp_path)) if what is None else read_text(str(tmp_path), what)
    assert (caught.value.path, caught.value.message) == (str(tmp_path), message)


# A file is read by its suffix: .json as JSON, .yaml/.yml (any case) as YAML, any other as JSON when it is
# valid JSON and as YAML otherwise. Tab-indented JSON tells them apart: JSON takes it, PyYAML refuses the tab.
TAB_JSON = '{\n\t"a": 1\n}\n'
TAB_REFUSED = "{}:2:1: error: $: invalid YAML: a tab character: YAML indents and separates with spaces only"
SUFFIXES = [
    ("spec.json", {"a": 1}),
    ("spec.yaml", TAB_REFUSED),
    ("spec.yml", TAB_REFUSED),
    ("spec.YAML", TAB_REFUSED),
    ("spec.YML", TAB_REFUSED),
    ("spec.txt", {"a": 1}),
    ("spec", {"a": 1}),
]


@pytest.mark.parametrize("name, read", SUFFIXES, ids=[c[0] for c in SUFFIXES])
def test_the_suffix_says_how_a_file_is_read(tmp_path, name, read):
    from modelspec.loader import read_source

    path = tmp_path / name
    path.write_text(TAB_JSON)
    if isinstance(read, dict):
        assert read_source(str(path)).data == read
        return
    with pytest.raises(SpecError) as caught:
        read_source(str(path))
    assert str(caught.value) == read.format(path)


def test_a_file_is_read_under_the_limits_given(tmp_path):
    from modelspec.loader import read_source

    path = tmp_path / "spec.json"
    path.write_text(_as_json(SPEC))
    for tight, message in ((ReaderLimits(max_values=20), "more than 20 values"),
                           (ReaderLimits(max_depth=2), "nesting deeper than 2 levels"),
                           (ReaderLimits(max_bytes=100), "larger than 100 bytes"),
                           (ReaderLimits(max_int_digits=1), "with 2 characters is too long")):
        with pytest.raises(SpecError, match=message):
            read_source(str(path), tight)
    # a larger limit reads a file larger than the default allows, all of it
    big = '{"a": "' + "x" * 300_000 + '"}'
    path.write_text(big)
    with pytest.raises(SpecError, match="larger than 262,144 bytes"):
        read_source(str(path))
    assert read_source(str(path), ReaderLimits(max_bytes=len(big))).data == {"a": "x" * 300_000}


# A Source says where each value (or its key) was written; a path not written is placed at its nearest parent.
WHERE = [
    # path, key, (file, line, column)
    (("a", "b"), False, ("<spec>", 2, 6)),
    (("a", "b"), True, ("<spec>", 2, 3)),
    (("a", "b", "c"), False, ("<spec>", 2, 6)),
    (("a", "b", "c"), True, ("<spec>", 2, 6)),  # a key not written: its value's place, or its parent's
    (("x",), False, ("<spec>", 1, 1)),
]


@pytest.mark.parametrize("path, key, where", WHERE, ids=["value", "key", "below-a-value", "key-below-a-value", "not-written"])
def test_a_source_locates_values_and_keys(path, key, where):
    source = modelspec.parse_text("a:\n  b: 1\n")
    assert source.where(path, key=key) == where and source.locate(path, key=key) == where[1:]
    if not key:
        assert source.where(path) == where and source.locate(path) == where[1:]  # a value's place by default


def test_a_source_with_nothing_recorded_places_every_path_at_its_start():
    from modelspec.loader import Source

    source = Source("spec.yaml", None)
    assert [source.where(("a", 0), key=key) for key in (False, True)] == [("spec.yaml", 1, 1)] * 2


# A Source records each anchor by the path of the value it is on, whether an alias uses it or not, and by
# the path of each alias that repeats it (an unknown field there gets a hint on reusing blocks).
def test_a_source_records_each_anchor_by_path():
    source = modelspec.parse_text("a: &x 1\nb: *x\nc: &y [2]\n")
    assert source.anchors == {("a",): "x", ("b",): "x", ("c",): "y"}


# Both readers, validation and the static pass recurse once per level of nesting. The default depth
# limit keeps them far from Python's recursion limit; a caller who raises it far enough gets a located
# error, at whichever stage runs out of stack first, never a RecursionError.
DEEP_LIMITS = ReaderLimits(max_depth=10**6, max_values=10**7, max_bytes=10**8)


def _too_deep(stage: str) -> str:
    return (f"<spec>:1:1: error: $: {stage}: Python's recursion limit ({sys.getrecursionlimit()}) came before "
            "the depth limit (1,000,000); a spec nests a few levels")


@pytest.mark.parametrize("as_json, text", [(True, "[" * 5000 + "]" * 5000), (False, "[" * 5000 + "]" * 5000),
                                           (False, "".join("  " * i + "- \n" for i in range(3000)))],
                         ids=["json", "yaml-flow", "yaml-block"])
def test_text_nested_past_the_recursion_limit_is_refused_as_too_deep(as_json, text):
    with pytest.raises(SpecError) as caught:
        modelspec.parse_text(text, as_json=as_json, limits=DEEP_LIMITS)
    assert str(caught.value) == _too_deep(f"invalid {'JSON' if as_json else 'YAML'}: nesting too deep to read")


def test_a_spec_nested_past_the_recursion_limit_is_refused_at_the_stage_that_runs_out():
    # sequences inside sequences, deeper and deeper: each is read, refused by a reader, or refused by the
    # later stages (which use more of the stack per level than the JSON reader does, and pydantic-core
    # has a depth guard of its own)
    seen = set()
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default, which TensorFlow raises when a test before this imports it
    try:
        _nest_deeper_and_deeper(seen)
        assert "read" in seen and _too_deep("invalid JSON: nesting too deep to read") in seen
        assert len(seen) >= 3
    finally:
        sys.setrecursionlimit(limit)


def _nest_deeper_and_deeper(seen: set) -> None:
    for depth in range(100, 400, 10):
        block = {"type": "dense", "units": 2}
        for _ in range(depth):
            block = {"type": "sequence", "blocks": [block]}
        text = json.dumps({"name": "m", "inputs": {"x": {"shape": [4]}}, "blocks": [block]})
        try:
            modelspec.loads(text, json=True, limits=DEEP_LIMITS)
            seen.add("read")
        except SpecError as e:
            message = str(e)
            if "too deeply to validate" in message:  # pydantic-core's own depth guard, placed at the deepest block
                assert message.endswith(": the spec nests too deeply to validate: pydantic stops at a fixed depth "
                                        "before the depth limit; a spec nests a few levels"), depth
                message = "validate"
            else:
                assert message in (_too_deep("the spec nests too deeply to check"),
                                   _too_deep("invalid JSON: nesting too deep to read")), depth
            seen.add(message)


# Text of no stated kind (standard input, other suffixes) that starts with '{' or '[', after any blank
# space, is read as JSON when it is JSON, so tab-indented JSON is read (YAML refuses tabs); the file keeps its name.
@pytest.mark.parametrize("text, data", [('\n{\n\t"a": 1\n}', {"a": 1}), ("[\n\t1\n]", [1])],
                         ids=["object-after-a-blank-line", "array"])
def test_text_that_looks_like_json_is_read_as_json(text, data):
    source = modelspec.parse_text(text, "x.spec", as_json=None)
    assert (source.data, source.name) == (data, "x.spec")
