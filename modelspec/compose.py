"""From a spec file to the one document that is validated: bases, patches, inserts, ``--set``, modules.

The steps, in order (each keeps every value located where it was written):

1. ``extends``: the bases (one path or a list, relative to the file naming them)
   are resolved the same way, recursively, and merged left to right; the file
   itself is merged over them (:func:`.document.merge`: mappings key by key, a
   null removes a key, lists replace).
2. The file's own ``patch`` (block name -> fields to merge into that block, or
   null to remove it, at any depth) and then its ``insert`` (blocks to put
   ``before`` or ``after`` a named block) apply to the merged blocks.
3. ``--set PATH=VALUE`` overrides, in order.
4. ``modules`` are inlined (:mod:`.modules`).

A file that uses none of these is returned as it was read. Each file is read
once per process (while it is unchanged on disk), however many children extend it.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Callable, NamedTuple, NoReturn, Optional, Sequence, Union

from . import document
from .document import Value, Where, fail
from .errors import Problem, SpecError, SpecPath, UsageError, cut, format_path, named, visible_path
from .limits import DEFAULT, ReaderLimits
from .loader import os_reason, parse_text, read_source
from .source import EmptyDocument, Source

COMPOSING_KEYS = ("extends", "patch", "insert", "modules")  # consumed here; never reach the spec model

_FILES: dict[tuple[str, ReaderLimits], tuple[tuple[int, int], Value]] = {}  # (real path, limits) -> (stamp, doc)


def load_source(path: str, overrides: Sequence[str] = (), *, text: Optional[str | bytes] = None,
                as_json: Optional[bool] = None, limits: ReaderLimits = DEFAULT) -> Source:
    """The resolved document of the spec at ``path``, every value located where it was written.

    ``text``, when given, is used instead of the file's content (``path`` still names it and is where
    relative ``extends`` paths start; ``as_json`` says how to read it, by default from the suffix). Raises :class:`UsageError` when ``path`` cannot be read and a
    located :class:`SpecError` for everything else.
    """
    source = _parse(path, text, as_json, limits) if text is not None else read_source(path, limits)
    if not overrides and not (isinstance(source.data, dict) and any(k in source.data for k in COMPOSING_KEYS)):
        return source
    root = document.from_source(source)
    if root.is_map:
        given: set[Where] = set()  # where every value a patch, an insert or a --set wrote was written
        root = _resolve(root, _folder(path), [_real(path)] if path != "-" else [], limits, given)
        root = apply_overrides(root, overrides, given, limits)
        _check_given_names(root, given)
        from .modules import inline_modules

        root, uses = inline_modules(root)
    else:
        uses = {}
    return document.to_source(root, source.name, uses)


def module_library(path: str) -> Optional[list[str]]:
    """The modules a file of modules only defines (after its own bases), checked; None for any other file.

    Such a file is a base for specs to extend, not a model: ``validate`` says so rather than asking
    for a name and blocks. Raises a located :class:`SpecError` for a bad definition.
    """
    source = read_source(path)
    if not isinstance(source.data, dict):
        return None
    root = _resolve(document.from_source(source), _folder(path), [_real(path)] if path != "-" else [])
    if not root.is_map or "modules" not in root.data or set(root.data) - {"modules", "description", "$schema"}:
        return None
    from .modules import inline_modules

    inline_modules(root)  # checks every definition
    return list(root.data["modules"].data)


def _parse(path: str, text: str | bytes, as_json: Optional[bool], limits: ReaderLimits) -> Source:
    if as_json is None:
        suffix = Path(path).suffix.lower()
        as_json = True if suffix == ".json" else False if suffix in (".yaml", ".yml") else None
    return parse_text(text, path, as_json=as_json, limits=limits)


def _folder(path: str) -> Path:
    return Path.cwd() if path in ("-", "") or path.startswith("<") else Path(path).parent


def _real(path: str) -> str:
    return os.path.realpath(path)


# ------------------------------------------------------------------ extends


def _resolve(root: Value, folder: Path, stack: list[str], limits: ReaderLimits = DEFAULT,
             given: Optional[set[Where]] = None) -> Value:
    """The document ``root`` (of a file in ``folder``) with its bases merged under it and its patches applied.

    ``given`` collects where each value that a patch or an insert (of this file or a base) wrote was written.
    """
    given = set() if given is None else given
    extends = root.get("extends")
    merged = document.without(root, "extends", "patch", "insert")
    if extends is not None:
        result: Optional[Value] = None
        for at, base_path in _base_paths(extends):
            base = _read_base(folder, base_path, at, stack, limits, given)
            result = base if result is None else document.merge(result, base)
        merged = document.merge(result, merged) if result is not None else merged
    if root.get("patch") is not None:
        merged = _apply_patch(merged, root.get("patch"), root.key_where("patch"))
        given |= _wheres(root.get("patch"))
    if root.get("insert") is not None:
        merged = _apply_insert(merged, root.get("insert"))
        given |= _wheres(root.get("insert"))
    return merged


def _wheres(value: Value) -> set[Where]:
    """Where each value of the tree ``value`` was written."""
    found = {value.where}
    for item in value.data.values() if value.is_map else value.data if value.is_list else ():
        found |= _wheres(item)
    return found


def _base_paths(extends: Value) -> list[tuple[Where, str]]:
    items = extends.data if extends.is_list else [extends]
    if extends.is_list and not items:
        fail(extends.where, "an empty list; give a base file's path, or a list of them", ("extends",))
    paths = []
    for i, item in enumerate(items):
        at = ("extends", i) if extends.is_list else ("extends",)
        if not isinstance(item.data, str) or not item.data.strip():
            fail(item.where, "must be a path to a base spec file (relative to this file), or a list of them", at)
        paths.append((item.where, item.data))
    return paths


def _read_base(folder: Path, name: str, at: Where, stack: list[str], limits: ReaderLimits,
               given: set[Where]) -> Value:
    path = folder / name
    real = _real(str(path))
    if real in stack:
        chain = " -> ".join(Path(p).name for p in stack[stack.index(real):] + [real])
        fail(at, f"extends itself: {chain}; a base cannot extend the file that extends it", ("extends",))
    try:
        info = path.stat()
    except FileNotFoundError:
        fail(at, f"base file {visible_path(name)} not found (looked for {visible_path(str(path))})", ("extends",))
    except OSError as e:  # a name too long, a loop of links, a part of the path that is a file...
        fail(at, f"cannot read base file {visible_path(name)}: {os_reason(e, str(path))}", ("extends",))
    if stat.S_ISDIR(info.st_mode):
        fail(at, f"{visible_path(name)} is a directory, not a base spec file", ("extends",))
    stamp = (info.st_mtime_ns, info.st_size)
    cached = _FILES.get((real, limits))
    if cached is not None and cached[0] == stamp:
        tree = cached[1]
    else:
        try:
            source = read_source(str(path), limits)
        except UsageError as e:
            fail(at, f"cannot read base file {visible_path(name)}: {e.message}", ("extends",))
        except EmptyDocument:  # nothing to blame inside it: the extends that names it
            fail(at, f"base file {visible_path(name)} is empty", ("extends",))
        tree = document.from_source(source)
        _FILES[(real, limits)] = (stamp, tree)
    if not tree.is_map:
        fail(at, f"base file {visible_path(name)} is not a spec: a base is a mapping (name, input, blocks, "
             "modules...)", ("extends",))
    return _resolve(tree, path.parent, stack + [real], limits, given)


# ------------------------------------------------------------------ patch and insert


def _one_block(root: Value, name: str, where: Where, path: SpecPath, what: str) -> SpecPath:
    """The path of the one block named ``name`` in ``root``'s blocks, or a located error."""
    found = document.named_blocks(root)
    paths = found.get(name, [])
    if not paths:
        from .messages import closest

        match = closest(name, list(found))
        hint = f"; did you mean {match!r}?" if match else ""
        fail(where, f"{what} names no block: {named(name)}{hint}", path)
    if len(paths) > 1:
        fail(where, f"{what} {named(name)} is ambiguous: blocks at {', '.join(format_path(p) for p in paths)} "
             "have this name", path)
    return paths[0]


def _check_given_names(root: Value, given: set[Where]) -> None:
    """Refuse a block name that a patch, an insert or a ``--set`` gave (its value was written at a place in
    ``given``) when a block written in a file has it in the same scope, at the name that was given.

    The static pass reports the second of two blocks with one name, which may be the one that had it
    first: a patch renaming a block of a base into a name the base uses would be blamed on the base.
    Names are local to each copy of a repeated composite, so only blocks in one scope collide.
    """
    problems = []
    for name, paths in document.named_blocks(root).items():
        scopes: dict[SpecPath, list[SpecPath]] = {}
        for path in paths:
            scopes.setdefault(_scope(root, path), []).append(path)
        for group in scopes.values():
            new = [p for p in group if document.value_at(root, p + ("name",)).where in given]
            old = [p for p in group if p not in new]
            if new and old:
                file, line, column = document.value_at(root, new[0] + ("name",)).where
                problems.append(Problem(f"block name {named(name)} is already used by {format_path(old[0])}",
                                        new[0] + ("name",), file, line, column))
    if problems:
        raise SpecError(problems)


def _scope(root: Value, path: SpecPath) -> SpecPath:
    """The path of the innermost repeated block that holds the block at ``path`` (() for none): the scope of
    its name."""
    scope: SpecPath = ()
    for n in range(2, len(path)):
        node = document.value_at(root, path[:n])
        repeat = node.get("repeat") if node.is_map else None
        if repeat is not None and type(repeat.data) is int and repeat.data > 1:
            scope = path[:n]
    return scope


def _apply_patch(root: Value, patch: Value, key_at: Where) -> Value:
    """Merge each ``NAME: {fields}`` into the block named NAME; ``NAME: null`` removes it."""
    if not patch.is_map:
        fail(patch.where, "must map block names to the fields to change ({NAME: {field: value}}) or to null "
             "(remove the block)", ("patch",))
    for name, change in patch.data.items():
        at = patch.key_where(name)
        path = _one_block(root, name, at, ("patch", name), "patch")
        if change.data is None:
            root = document.replace_at(root, path, None)
            if not root.data["blocks"].data:
                fail(at, "removing this block leaves no blocks", ("patch", name))
            continue
        if not change.is_map:
            fail(change.where, "must be the fields to change ({field: value}), or null to remove the block",
                 ("patch", name))
        root = document.replace_at(root, path, document.merge(document.value_at(root, path), change))
    return root


def _apply_insert(root: Value, insert: Value) -> Value:
    """Put each entry's ``blocks`` right ``before`` or ``after`` the named block, in that block's list."""
    if not insert.is_list:
        fail(insert.where, "must be a list of {after: NAME, blocks: [...]} or {before: NAME, blocks: [...]}",
             ("insert",))
    for i, entry in enumerate(insert.data):
        at = ("insert", i)
        if not entry.is_map:
            fail(entry.where, "must be {after: NAME, blocks: [...]} or {before: NAME, blocks: [...]}", at)
        unknown = [k for k in entry.data if k not in ("after", "before", "blocks")]
        if unknown:
            from .messages import closest

            match = closest(unknown[0], ["after", "before", "blocks"])
            hint = f"; did you mean {match!r}?" if match else ""
            fail(entry.key_where(unknown[0]), f"unknown key {named(unknown[0])}{hint} (an insert takes after or "
                 "before, and blocks)", at + (unknown[0],))
        places = [k for k in ("after", "before") if k in entry.data]
        if len(places) != 1:
            where = entry.key_where(places[1]) if places else entry.where
            fail(where, "give exactly one of 'after: NAME' and 'before: NAME'", at)
        place = entry.data[places[0]]
        if not isinstance(place.data, str):
            fail(place.where, "must be the name of a block", at + (places[0],))
        blocks = entry.get("blocks")
        if blocks is None or not blocks.is_list or not blocks.data:
            fail(blocks.where if blocks is not None else entry.where, "must be a non-empty list of blocks to "
                 "insert", at + ("blocks",))
        path = _one_block(root, place.data, place.where, at + (places[0],), "insert")
        parent, index = path[:-1], path[-1] + (1 if places[0] == "after" else 0)
        items = document.value_at(root, parent)
        root = document.replace_at(root, parent, items.with_items(items.data[:index] + blocks.data
                                                                  + items.data[index:]))
    return root


# ------------------------------------------------------------------ --set

_SEGMENT = re.compile(r'\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(-?[0-9]+)\]|\[("(?:[^"\\]|\\.)*")\]')
_UNDECODABLE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as Python holds it (surrogateescape)
_RESOLVED_BEFORE = ("extends", "patch", "insert")  # applied before --set: nothing for it to change


class _Segment(NamedTuple):
    part: Union[str, int]  # a key, a block's name or a list position
    column: int  # 1-based, in the whole argument
    text: str  # as written


def apply_overrides(root: Value, overrides: Sequence[str], given: Optional[set[Where]] = None,
                    limits: ReaderLimits = DEFAULT) -> Value:
    """Apply ``PATH=VALUE`` strings in order; errors are located at ``<--set N>:1:COLUMN``.

    Every error is one located line (exit 1, as a spec error) naming the spec path that was set: a
    mistake in the path (its syntax, a position out of range, a name that names no block) at the part of
    the path that is wrong; one in the value (its YAML, or a value wrong for its field) at the value. A
    byte that is not UTF-8 is shown as ``\\xff``, a character that is not ASCII as ``\\uXXXX`` and named.
    ``given`` collects where each value set was written. The path and the value together nest no deeper
    than a file may (``limits.max_depth``).
    """
    for n, text in enumerate(overrides, start=1):
        root = _apply_override(root, text, f"<--set {n}>", set() if given is None else given, limits)
    return root


def _apply_override(root: Value, text: str, name: str, given: set[Where], limits: ReaderLimits) -> Value:
    path_text, equals, value_text = text.partition("=")
    _decodable(path_text, name, 1, ())
    if not equals:
        fail((name, 1, 1), f"write PATH=VALUE (e.g. blocks.conv1.filters=128), not {named(text)}")
    segments = _segments(path_text, name)
    if len(segments) > limits.max_depth:
        fail((name, 1, segments[limits.max_depth].column), f"the path nests deeper than {limits.max_depth} levels, "
             "as no spec does", _written(segments[:limits.max_depth]))
    if segments[0].part in _RESOLVED_BEFORE:
        fail((name, 1, 1), f"{segments[0].part!r} cannot be set: bases, patches and inserts are applied before "
             "--set; set the values they lead to instead", _written(segments))
    value_column = len(path_text) + 2

    def value(path: SpecPath) -> Value:
        """The value, read as YAML, located where it is in the argument; errors name ``path``."""
        _decodable(value_text, name, value_column, path)
        empty = "give a value after '=' (read as YAML: 128, [64, 64, 3], relu, null)"
        if not value_text.strip():
            fail((name, 1, value_column), empty, path)
        try:
            parsed = document.from_source(parse_text(value_text, name, limits=limits))
        except EmptyDocument:  # a comment, '---' or an anchor alone
            fail((name, 1, value_column), empty, path)
        except SpecError as e:  # a YAML mistake in the value: at its column in the whole argument
            raise SpecError([_shifted_problem(p, value_column - 1, path) for p in e.problems]) from None
        if len(path) + _depth(parsed) > limits.max_depth:
            fail((name, 1, value_column), f"the path and the value nest deeper than {limits.max_depth} levels, as "
                 "no spec does", path)
        moved = _shifted(parsed, value_column - 1)
        given.update(_wheres(moved))
        return moved

    return _set(root, segments, name, value)


def _depth(value: Value) -> int:
    """How deep ``value`` nests: 0 for a scalar, one more than its deepest item for a list or mapping."""
    items = value.data.values() if value.is_map else value.data if value.is_list else None
    return 0 if items is None else 1 + max((_depth(item) for item in items), default=0)


def _decodable(text: str, name: str, column: int, path: SpecPath) -> None:
    """Refuse ``text`` (written from ``column`` on) when it holds a byte that is not UTF-8."""
    bad = _UNDECODABLE.search(text)
    if bad is not None:
        byte = ord(bad.group()) - 0xDC00
        fail((name, 1, column + bad.start()), f"the argument is not UTF-8 text (byte \\x{byte:02x})", path)


def _segments(path_text: str, name: str) -> list[_Segment]:
    """``blocks.conv1.filters`` -> ("blocks", 1), ("conv1", 8), ("filters", 14) (with 1-based columns)."""
    segments, pos = [], 0
    while pos < len(path_text):
        match = _SEGMENT.match(path_text, pos)
        if match is None or (pos == 0 and path_text[0] == "."):
            _not_a_path(path_text, pos, name)
        word, index, quoted = match.groups()
        dot = 1 if path_text[match.start()] == "." else 0
        column = match.start() + 1 + dot
        written = path_text[match.start() + dot:match.end()]
        if index is not None:
            if len(index.lstrip("-")) > 18:  # past any list (and Python's int() refuses 4,300 digits)
                fail((name, 1, column), f"{cut(written)}: a list position of {len(index.lstrip('-')):,} digits "
                     "is past the end of any list")
            segments.append(_Segment(int(index), column, written))
        elif word is not None:
            segments.append(_Segment(word, column, written))
        else:
            segments.append(_Segment(_quoted_key(quoted, name, column), column, written))
        pos = match.end()
    if not segments:
        fail((name, 1, 1), "the path before '=' is empty (e.g. blocks.conv1.filters=128)")
    return segments


def _not_a_path(path_text: str, pos: int, name: str) -> NoReturn:
    """The error for ``path_text``, which is no spec path from ``pos`` on: at the first character that
    cannot be there (after a '.', the key's first)."""
    if path_text[pos] == "." and 0 < pos < len(path_text) - 1:
        pos += 1
    fail((name, 1, pos + 1), f"not a spec path at {named(path_text[pos:])}: write keys with dots and list "
         'positions in brackets, e.g. blocks.conv1.filters or blocks[2].filters (blocks["a.b"] for a key that '
         "is not a plain word)")


def _quoted_key(quoted: str, name: str, column: int) -> str:
    """A key written as a JSON string (``["a.b"]``), as error messages write such keys."""
    import json

    try:
        return json.loads(quoted, strict=False)
    except ValueError:
        fail((name, 1, column), f"not a spec path at {named(quoted)}: a key in brackets is a JSON string "
             '(blocks["a.b"])')


def _written(segments: Sequence[_Segment]) -> SpecPath:
    """The spec path as ``--set`` wrote it (a block by its name)."""
    return tuple(s.part for s in segments)


def _shifted_problem(problem: Problem, columns: int, path: SpecPath) -> Problem:
    """A problem of the value's text as one of the whole argument: line-1 columns moved by ``columns``, its
    spec path under ``path``, where the value goes."""
    from dataclasses import replace

    message = re.sub(r"line 1, column (\d+)", lambda m: f"line 1, column {int(m.group(1)) + columns}", problem.message)
    column = problem.column + columns if problem.line == 1 and problem.column else problem.column
    return replace(problem, message=message, column=column, path=tuple(path) + tuple(problem.path))


def _shifted(value: Value, columns: int) -> Value:
    """``value`` (parsed from the text after '=') with line-1 columns moved to where that text starts."""
    def move(where: Where) -> Where:
        file, line, column = where
        return (file, line, column + columns) if line == 1 else where

    if value.is_map:
        return Value({k: _shifted(v, columns) for k, v in value.data.items()}, move(value.where),
                     {k: move(w) for k, w in (value.keys or {}).items()})
    if value.is_list:
        return Value([_shifted(v, columns) for v in value.data], move(value.where))
    return Value(value.data, move(value.where))


def _set(root: Value, segments: list[_Segment], name: str, value: Callable[[SpecPath], Value]) -> Value:
    """``root`` with ``value(path)`` at the path ``segments`` lead to (missing mappings on the way created);
    an error in the path is at the segment that is wrong and names the whole path as written."""
    path: SpecPath = ()
    node = root
    written = _written(segments)
    for i, segment in enumerate(segments):
        part, at = segment.part, (name, 1, segment.column)
        last = i == len(segments) - 1
        if isinstance(part, str) and node.is_list and path[-1:] == ("blocks",):
            path = _one_block(root, part, at, written, "--set")  # a block by name, at any depth
            node = document.value_at(root, path)
        elif isinstance(part, int):
            if not node.is_list:
                fail(at, f"{segment.text}: {_shown(path)} is not a list", written)
            if not -len(node.data) <= part < len(node.data):
                fail(at, f"{segment.text}: {_shown(path)} has {len(node.data)} item(s)", written)
            path = path + (part % len(node.data),)
            node = node.data[path[-1]]
        else:
            if not node.is_map:
                fail(at, f"{named(part)}: {_shown(path)} is not a mapping", written)
            if last:
                return _put(root, path, part, value(path + (part,)), at)
            child = node.get(part)
            if child is None or child.data is None:
                root = _put(root, path, part, Value({}, at, {}), at)  # a new mapping on the way
                child = document.value_at(root, path + (part,))
            path, node = path + (part,), child
            continue
        if last:
            return document.replace_at(root, path, value(path))
    return root


def _put(root: Value, path: SpecPath, key: str, value: Value, at: Where) -> Value:
    mapping = document.value_at(root, path)
    return document.replace_at(root, path, mapping.with_items({**mapping.data, key: value},
                                                              {**(mapping.keys or {}), key: at}))


def _shown(path: SpecPath) -> str:
    return format_path(path)


def json_schema_properties(block_ref: str) -> dict:
    """The JSON Schema of the keys resolved here (``modules``: see :func:`.modules.json_schema`)."""
    from .fields import NAME_PATTERN

    name = {"type": "string", "pattern": NAME_PATTERN, "maxLength": 128, "description": "A block's name."}
    return {
        "extends": {
            "description": "Base spec file(s) this one builds on, relative to this file; a list merges left to "
            "right, then this file over them (mappings key by key, null removes a key, lists replace).",
            "anyOf": [{"type": "string", "minLength": 1}, {"type": "array", "minItems": 1,
                                                            "items": {"type": "string", "minLength": 1}}],
            "examples": ["../resnet50.yaml"],
        },
        "patch": {
            "description": "Changes to blocks of the bases, by block name at any depth: the fields to merge into "
            "that block, or null to remove it.",
            "type": "object",
            "additionalProperties": {"anyOf": [{"type": "object"}, {"type": "null"}]},
            "examples": [{"conv1": {"filters": 32}, "pool1": None}],
        },
        "insert": {
            "description": "Blocks to insert right before or after a named block (applied after 'patch').",
            "type": "array",
            "items": {
                "type": "object", "additionalProperties": False, "required": ["blocks"],
                "properties": {"after": name, "before": name,
                               "blocks": {"type": "array", "minItems": 1, "items": {"$ref": block_ref},
                                          "description": "The blocks to insert, in order."}},
                "oneOf": [{"required": ["after"]}, {"required": ["before"]}],
            },
            "examples": [[{"after": "conv1", "blocks": [{"type": "dropout", "rate": 0.1}]}]],
        },
    }
