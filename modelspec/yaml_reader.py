"""The YAML reader: PyYAML's pure-Python scanner, parser and composer, never its constructors.

Scalars are resolved by the YAML 1.2 core schema (only ``true``/``false`` are
booleans, ``1e-4`` is a number, ``010``/``0o10`` are refused as ambiguous); only
the core tags are accepted; aliases are expanded with a count, so an alias bomb
stops at the reader limits' ``max_values``; anchors, aliases and ``<<`` merges work.
"""

from __future__ import annotations

import re
from typing import Any, NoReturn, Optional

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from .limits import DEFAULT, ReaderLimits
from .errors import SpecPath
from .source import Problems, Source, check_string, fail, fail_empty, note_key, number_problem, shown

_PLAIN = "!modelspec/plain"  # tag given to untagged plain scalars, resolved below
_CORE = "tag:yaml.org,2002:"
_INT = re.compile(r"[-+]?[0-9]+|0x[0-9a-fA-F]+")
_OCTAL = re.compile(r"[-+]?0[0-9]+|0o[0-7]+")  # YAML 1.1 octal / YAML 1.2 octal: read differently
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


class _Stop(Exception):
    """A limit or rule broken while composing, with the mark to blame."""

    def __init__(self, message: str, mark):
        super().__init__(message)
        self.message, self.mark = message, mark


class _Resolver(BaseResolver):
    """Leaves plain scalars unresolved, so the YAML 1.2 core rules below decide."""

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            return _PLAIN if implicit[0] else _CORE + "str"
        return super().resolve(kind, value, implicit)


class _Composer(Composer):
    """PyYAML's composer with limits, and a record of where aliases and anchors were written.

    ``path`` is the spec path of the node being composed (for syntax errors);
    ``alias_marks`` maps (id(parent node), slot) to the alias written there, a
    slot being a sequence index or id(key node); ``anchor_names`` maps id(node)
    to the anchor it was given.
    """

    def __init__(self, limits: ReaderLimits = DEFAULT):
        super().__init__()
        self.limits = limits
        self.depth = 0
        self.count = 0
        self.path: list = []
        self.alias_marks: dict[tuple[int, int], tuple[str, Any]] = {}
        self.anchor_names: dict[int, str] = {}

    def compose_document(self):
        self.get_event()  # document start
        node = self.compose_node(None, None)
        self.get_event()  # document end
        self.anchors = {}
        return node

    def compose_node(self, parent, index):
        # the node's place in the path first, so that a syntax error met reading it names it;
        # a value under a non-string key ({[1, 2]: ...}, refused later) is placed at its mapping
        part = index if isinstance(index, int) else index.value if isinstance(index, ScalarNode) else None
        if part is not None:
            self.path.append(part)
        event = self.peek_event()
        self.count += 1
        too_many = self.limits.too_many(self.count, self.depth + 1)
        if too_many:
            raise _Stop(too_many, event.start_mark)
        if isinstance(event, AliasEvent) and parent is not None:
            if index is None:  # an alias used as a mapping key: slot ("key", the pair's position)
                slot = ("key", len(parent.value))
            else:
                slot = index if isinstance(index, int) else id(index)
            self.alias_marks[(id(parent), slot)] = (event.anchor, event.start_mark)
        self.depth += 1
        node = super().compose_node(parent, index)
        self.depth -= 1
        if part is not None:
            self.path.pop()
        if event.anchor is not None and not isinstance(event, AliasEvent):
            self.anchor_names[id(node)] = event.anchor
        return node

    def compose_scalar_node(self, anchor):
        # the non-specific tag '!' makes a scalar a string (YAML 1.2, 6.9.1): `filters: ! 8` is "8"
        non_specific = self.peek_event().tag == "!"
        node = super().compose_scalar_node(anchor)
        if non_specific:
            node.tag = _CORE + "str"
        return node


class _Scanner(Scanner):
    """PyYAML's scanner, refusing deep flow nesting as it reads it.

    While a '[' or '{' may still start a key, the scanner reads up to 1,024
    characters ahead and re-checks every open level at each token: tens of
    thousands of '[' would cost seconds before the composer's depth check.
    """

    def fetch_flow_collection_start(self, TokenClass):
        too_many = self.limits.too_many(0, self.flow_level + 1)
        if too_many:
            raise _Stop(too_many, self.get_mark())
        super().fetch_flow_collection_start(TokenClass)


class _YamlLoader(Reader, _Scanner, Parser, _Composer, _Resolver):
    def __init__(self, stream, limits: ReaderLimits):
        Reader.__init__(self, stream)
        _Scanner.__init__(self)
        Parser.__init__(self)
        _Composer.__init__(self, limits)
        _Resolver.__init__(self)


def read_yaml(text: str, name: str, source: Source, limits: ReaderLimits = DEFAULT) -> Any:
    loader = _YamlLoader(text, limits)
    try:
        node = loader.get_single_node()
        version = loader.yaml_version
    except _Stop as e:
        fail(name, e.mark.line + 1, e.mark.column + 1, f"invalid YAML: {e.message}", tuple(loader.path))
    except yaml.MarkedYAMLError as e:
        line, column, message = _yaml_syntax_problem(e, _lf(text))
        # the path of the node being composed: the innermost one, or (as the scanner
        # reads ahead of the composer) one that contains it
        fail(name, line, column, f"invalid YAML: {message}", tuple(loader.path))
    except yaml.YAMLError as e:  # reader errors carry no mark; the text was checked before
        fail(name, 1, 1, f"invalid YAML: {e}")
    finally:
        loader.dispose()
    if version is not None and version != (1, 2):
        lf = _lf(text)
        directive = re.search(r"^%YAML", lf, re.M)
        line = lf.count("\n", 0, directive.start()) + 1 if directive else 1
        fail(name, line, 1, f"invalid YAML: modelspec reads YAML 1.2 (yes/no are strings, 010 is refused); "
              f"remove the '%YAML {version[0]}.{version[1]}' directive")
    if node is None or (isinstance(node, ScalarNode) and node.tag == _PLAIN and node.value == ""):
        # nothing at all, or an empty document (`---` then `...`): the file is empty, at its start
        fail_empty(name, "the spec file holds no document (only comments or blank space)")
    tree = _YamlTree(name, source, loader.alias_marks, loader.anchor_names, limits)
    data = tree.convert(node, (), 1)
    tree.problems.raise_found()
    return data


def _lf(text: str) -> str:
    """``text`` with every line break that is a lone CR written as LF, the same length (so PyYAML's marks
    still index it): the rewording below finds a mark's line by its LF, and PyYAML reads CR as a line break."""
    return re.sub(r"\r(?!\n)", "\n", text)


_LONG_KEY = re.compile(r"[^\s,\[\]{}:#]{1025,}(?=\s*:)")


def _long_key(text: str, marks: list) -> Optional[tuple[int, int, int]]:
    """(line, column, length) of a key longer than PyYAML's 1,024-character limit for keys, on the line of
    one of ``marks``: past that limit PyYAML no longer sees a key and reports a confusing problem."""
    for mark in marks:
        start = text.rfind("\n", 0, mark.index) + 1
        end = text.find("\n", mark.index)
        match = _LONG_KEY.search(text, start, end if end >= 0 else len(text))
        if match:
            return mark.line + 1, match.start() - start + 1, len(match.group())
    return None


def _line_indent(text: str, mark) -> int:
    """Column (0-based) of the first non-blank character of ``mark``'s line."""
    start = text.rfind("\n", 0, mark.index) + 1
    end = text.find("\n", start)
    line = text[start : end if end >= 0 else len(text)]
    return len(line) - len(line.lstrip(" "))


def _yaml_syntax_problem(e: yaml.MarkedYAMLError, text: str) -> tuple[int, int, str]:
    """(line, column, message) for a PyYAML error, at the place a person would look."""
    problem, context = e.problem or "", e.context or ""
    mark, opened = e.problem_mark or e.context_mark, e.context_mark
    long_key = _long_key(text, [m for m in (mark, opened) if m is not None])
    if long_key is not None:
        line, column, length = long_key
        return (line, column, f"a key of {length:,} characters: YAML reads a key of at most 1,024 "
                "characters before its ':' (a spec's keys are short names)")
    if "expected a single document" in context:
        return mark.line + 1, mark.column + 1, "a spec file holds one YAML document; found a second one"
    if problem.startswith("expected ',' or") and opened is not None:
        bracket = "{" if "mapping" in context else "["
        closer = "}" if bracket == "{" else "]"
        found = problem.split("but got ")[-1]
        # The collection was left open when what follows is back at (or left of) the
        # indentation of the line that opened it, or the file ends: blame the opener.
        if found == "'<stream end>'" or (
            mark.line > opened.line and _line_indent(text, mark) <= _line_indent(text, opened)
        ):
            return (opened.line + 1, opened.column + 1,
                    f"this '{bracket}' is never closed (expected ',' or '{closer}' before line "
                    f"{mark.line + 1}, column {mark.column + 1})")
        return mark.line + 1, mark.column + 1, f"expected ',' or '{closer}' here, but found {found} (a missing comma?)"
    if problem.startswith("expected <block end>, but found") or problem.startswith("expected ',' or"):
        before = text[text.rfind("\n", 0, mark.index) + 1 : mark.index].rstrip(" ")
        if before.endswith(("'", '"')) and mark.index > 0:
            return (mark.line + 1, mark.column + 1,
                    "text after the closing quote of a quoted value (a quote inside '...' is written '', "
                    "inside \"...\" as \\\")")
    if problem.startswith("expected <block end>, but found"):
        found = problem.split("but found ")[-1]
        if found in ("']'", "'}'"):
            return mark.line + 1, mark.column + 1, f"unexpected {found}: no bracket is open here"
        hint = ""
        if re.match(r"-[^\s-]", text[mark.index : mark.index + 2]):
            hint = " ('-' starts a list item only when a space follows it)"
        return (mark.line + 1, mark.column + 1,
                f"bad indentation: this line does not line up with the lines of the block it is in{hint}")
    if problem == "mapping values are not allowed here":
        start = text.rfind("\n", 0, mark.index) + 1
        before = text[start : mark.index]
        if ": " not in before and before.strip() and " " not in before.strip():
            # 'key:' on a line indented deeper than the line above: YAML reads it as a
            # continuation of the value above, then stumbles on the ':'.
            return (mark.line + 1, len(before) - len(before.lstrip()) + 1,
                    "bad indentation: this key is indented deeper than the keys of its mapping "
                    "(or the line above it lacks a ':')")
        return (mark.line + 1, mark.column + 1,
                "': ' cannot appear inside an unquoted value; put the value in quotes")
    if problem == "could not find expected ':'" and opened is not None:
        return opened.line + 1, opened.column + 1, "expected 'key: value' here, but this line has no ':'"
    if problem.startswith("found character '\\t'"):
        return mark.line + 1, mark.column + 1, "a tab character: YAML indents and separates with spaces only"
    if problem.startswith("found character") and "cannot start any token" in problem:
        char = problem.split("'")[1] if "'" in problem else "this character"
        return (mark.line + 1, mark.column + 1,
                f"'{char}' cannot start an unquoted value; put the value in quotes")
    if problem.startswith("found unknown escape character"):
        escape = text[mark.index - 1 : mark.index + 1] if mark.index else "\\"
        return (mark.line + 1, max(mark.column, 1),
                f"unknown escape {escape!r} in a double-quoted string (write \\\\ for a backslash)")
    if problem == "found unexpected end of stream" and "quoted scalar" in context and opened is not None:
        return opened.line + 1, opened.column + 1, "this quoted string is never closed"
    if problem.startswith("found undefined alias"):
        anchor = problem.split("'")[1] if "'" in problem else "?"
        return (mark.line + 1, mark.column + 1,
                f"alias *{anchor} is not defined (an anchor &{anchor} must be written before it is used)")
    if context.startswith("found duplicate anchor") and opened is not None:
        anchor = context.split("'")[1] if "'" in context else "?"
        return (mark.line + 1, mark.column + 1,
                f"anchor &{anchor} is defined twice (first at line {opened.line + 1}, column {opened.column + 1})")
    if problem.startswith("expected '<document start>'"):
        return mark.line + 1, mark.column + 1, "unexpected content after the end of the document"
    return mark.line + 1, mark.column + 1, problem or context or "invalid YAML"


def _ambiguous_octal(value: str) -> str:
    """Why ``010`` or ``0o10`` is refused: YAML 1.1 and 1.2 read it differently."""
    sign = "-" if value.startswith("-") else ""
    digits = value.lstrip("+-")
    if digits.startswith("0o"):
        return (f"ambiguous number {value!r}: YAML 1.2 reads it as octal, YAML 1.1 as a string; "
                f"write {sign}{int(digits[2:], 8)} in decimal")
    octal = f" (or {sign}{int(digits, 8)} if octal was meant)" if set(digits) <= set("01234567") else ""
    return (f"ambiguous number {value!r}: YAML 1.1 reads a leading zero as octal; "
            f"write {sign}{int(digits, 10)} without it{octal}")


class _YamlTree:
    """Turns a composed YAML node tree into plain data, recording positions.

    Aliases are expanded here, counting every value and level as written out,
    so a document that grows too large or too deep through aliases is refused
    at the alias that makes it so.
    """

    def __init__(self, name: str, source: Source, alias_marks: dict, anchor_names: dict[int, str],
                 limits: ReaderLimits):
        self.limits = limits
        self.source = source
        self.alias_marks = alias_marks
        self.anchor_names = anchor_names
        self.count = 0
        self.active: set[int] = set()  # id(node) of the collections being converted
        self.aliases: list[tuple[str, Any, SpecPath]] = []  # aliases being expanded, outermost first
        self.problems = Problems(name)

    def note(self, node, message: str, path: SpecPath) -> None:
        """A problem with one value (a number, a tag, a string): noted, and reading goes on."""
        self.note_at(node.start_mark, message, path)

    def note_at(self, mark, message: str, path: SpecPath) -> None:
        self.problems.note(mark.line + 1, mark.column + 1, message, path)

    def where(self, mark) -> tuple[int, int]:
        """The (line, column) recorded for a value at ``mark``: inside an alias's expansion,
        the alias itself, so that a problem with a reused block points at its reuse."""
        if self.aliases:
            mark = self.aliases[0][1]
        return mark.line + 1, mark.column + 1

    def fail_at(self, mark, message: str, path: SpecPath) -> NoReturn:
        """Stop reading (a limit, an alias that contains itself), with the problems noted before."""
        self.problems.stop(mark.line + 1, mark.column + 1, message, path)

    def convert(self, node, path: SpecPath, depth: int, alias: Optional[tuple[str, Any]] = None) -> Any:
        """``node`` as plain data; ``alias`` is the (anchor, mark) of the alias that led here."""
        if alias is not None:
            anchor, mark = alias
            if id(node) in self.active:
                at = node.start_mark
                self.fail_at(mark, f"alias *{anchor} refers to the collection that contains it (&{anchor} at "
                             f"line {at.line + 1}, column {at.column + 1}); an alias cannot contain itself", path)
            self.aliases.append((anchor, mark, path))
            try:
                return self._convert(node, path, depth, mark)
            finally:
                self.aliases.pop()
        return self._convert(node, path, depth, node.start_mark)

    def _convert(self, node, path: SpecPath, depth: int, mark) -> Any:
        self.count += 1
        if self.limits.too_many(self.count, depth):
            what = (f"expand to more than {self.limits.max_values:,} values" if self.count > self.limits.max_values
                    else f"nest deeper than {self.limits.max_depth} levels")
            if self.aliases:
                anchor, at, at_path = self.aliases[0]
                self.fail_at(at, f"alias *{anchor} makes the document {what}; "
                             "a spec is far smaller (aliases repeated inside aliases?)", at_path)
            # the composer has refused a document that is too large or deep as written, so only an alias gets
            # here; kept as a defence, which no input reaches (so not mutated: docs/mutation.md)
            self.fail_at(node.start_mark, f"the document would {what}", path)  # pragma: no mutate
        self.source.values[path] = self.where(mark)
        if id(node) in self.anchor_names:
            self.source.anchors[path] = self.anchor_names[id(node)]
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                self.check_tag(node, "seq", path)
                return [
                    self.convert(child, path + (i,), depth + 1, self.alias_marks.get((id(node), i)))
                    for i, child in enumerate(node.value)
                ]
            self.check_tag(node, "map", path)
            return self.mapping(node, path, depth, mark)
        finally:
            self.active.remove(id(node))

    def check_tag(self, node, kind: str, path: SpecPath) -> None:
        if node.tag != _CORE + kind:
            self.note(node, f"YAML tag {_short_tag(node.tag)} is not allowed: a spec is plain data", path)

    def mapping(self, node: MappingNode, path: SpecPath, depth: int, mark) -> dict:
        result: dict[str, Any] = {}
        pairs = []
        merge_at = None
        for i, (key_node, value_node) in enumerate(node.value):
            # where the key was written: an alias used as a key (`*k : 16`) is placed at the alias
            key_alias = self.alias_marks.get((id(node), ("key", i)))
            key_mark = key_alias[1] if key_alias else key_node.start_mark
            if isinstance(key_node, ScalarNode) and key_node.tag == _PLAIN and key_node.value == "<<":
                if merge_at is not None:  # a second '<<' would silently replace the first
                    self.note_at(key_mark, f"duplicate key '<<' (first written at line {merge_at.line + 1}, column "
                                 f"{merge_at.column + 1}); merge several mappings with one '<<: [*a, *b]'", path)
                    continue
                merge_at = key_mark
                # '<<: *base' fills in the keys not written here
                self.merge(result, value_node, path, depth, self.alias_marks.get((id(node), id(key_node))))
            else:
                pairs.append((key_node, value_node, key_mark))
        self.source.values[path] = self.where(mark)
        written: set[str] = set()
        for key_node, value_node, key_mark in pairs:
            noted = len(self.problems.found)
            key = self.scalar(key_node, path) if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                what = shown(key_node.value) if isinstance(key_node, ScalarNode) else "a collection"
                if len(self.problems.found) == noted:  # not when the key itself was a problem (a bad number, a tag)
                    self.note_at(key_mark, f"mapping keys must be strings; {what} is not "
                                 "(quote it if it is meant as a name)", path)
                continue
            self.problems.add(note_key(self.source, path, key, self.where(key_mark), written))
            written.add(key)
            alias = self.alias_marks.get((id(node), id(key_node)))
            result[key] = self.convert(value_node, path + (key,), depth + 1, alias)
        return result

    def merge(self, result: dict, value_node, path: SpecPath, depth: int, alias) -> None:
        """Apply a YAML merge key; of several merged mappings the first wins."""
        if isinstance(value_node, SequenceNode) and alias is None:
            sources = [(src, self.alias_marks.get((id(value_node), i))) for i, src in enumerate(value_node.value)]
        else:
            sources = [(value_node, alias)]
        position = self.source.values[path]
        for src, src_alias in reversed(sources):
            if not isinstance(src, MappingNode):
                where = src_alias[1] if src_alias else src.start_mark
                self.note_at(where, "a merge key ('<<') takes a mapping or a list of mappings", path)
                continue
            merged = self.convert(src, path, depth, src_alias)
            result.update(merged)
        self.source.values[path] = position

    def scalar(self, node: ScalarNode, path: SpecPath) -> Any:
        value, tag = node.value, node.tag
        if tag == _CORE + "str":
            self.check_string(node, value, path)
            return value
        if tag == _PLAIN:
            return self.plain(node, value, path)
        kinds = {"int": int, "float": float, "bool": bool, "null": type(None)}
        kind = tag[len(_CORE):] if tag.startswith(_CORE) else None
        if kind in kinds:
            noted = len(self.problems.found)
            result = self.plain(node, value, path)
            if kind == "float" and type(result) is int:
                result = float(result)
            if type(result) is not kinds[kind] and len(self.problems.found) == noted:
                self.note(node, f"{shown(value)} is not a valid !!{kind}", path)
            return result
        self.note(node, f"YAML tag {_short_tag(tag)} is not allowed: a spec is plain data", path)
        return None

    def check_string(self, node: ScalarNode, value: str, path: SpecPath) -> None:
        problem = check_string(value)
        if problem:
            self.note(node, problem, path)

    def plain(self, node: ScalarNode, value: str, path: SpecPath) -> Any:
        """Resolve an untagged plain scalar by the YAML 1.2 core schema."""
        if value in ("", "~", "null", "Null", "NULL"):
            return None
        if value in ("true", "True", "TRUE"):
            return True
        if value in ("false", "False", "FALSE"):
            return False
        if _INT.fullmatch(value) or _OCTAL.fullmatch(value):
            if len(value) > self.limits.max_int_digits:
                self.note(node, f"integer with {len(value):,} digits is too large", path)
                return None
            if _OCTAL.fullmatch(value):
                self.note(node, _ambiguous_octal(value), path)
                return None
            return int(value, 0)
        if _FLOAT.fullmatch(value):
            if len(value) > self.limits.max_int_digits:
                self.note(node, f"number with {len(value):,} characters is too long", path)
                return None
            number = float(value)
            problem = number_problem(value, number)
            if problem:
                self.note(node, problem, path)
                return None
            return number
        if _SPECIAL_FLOAT.fullmatch(value):
            self.note(node, f"{shown(value)} is not allowed: sizes and rates must be finite numbers", path)
            return None
        self.check_string(node, value, path)
        return value
