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
from typing import Optional, Sequence

from . import document
from .document import Value, Where, fail
from .errors import SpecError, SpecPath, UsageError, visible_path
from .limits import DEFAULT, ReaderLimits
from .loader import parse_text, read_source
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
        root = _resolve(root, _folder(path), [_real(path)] if path != "-" else [], limits)
        root = apply_overrides(root, overrides)
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


def _resolve(root: Value, folder: Path, stack: list[str], limits: ReaderLimits = DEFAULT) -> Value:
    """The document ``root`` (of a file in ``folder``) with its bases merged under it and its patches applied."""
    extends = root.get("extends")
    merged = document.without(root, "extends", "patch", "insert")
    if extends is not None:
        result: Optional[Value] = None
        for at, base_path in _base_paths(extends):
            base = _read_base(folder, base_path, at, stack, limits)
            result = base if result is None else document.merge(result, base)
        merged = document.merge(result, merged) if result is not None else merged
    if root.get("patch") is not None:
        merged = _apply_patch(merged, root.get("patch"), root.key_where("patch"))
    if root.get("insert") is not None:
        merged = _apply_insert(merged, root.get("insert"))
    return merged


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


def _read_base(folder: Path, name: str, at: Where, stack: list[str], limits: ReaderLimits) -> Value:
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
        fail(at, f"cannot read base file {visible_path(name)}: {e.strerror or e}", ("extends",))
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
    return _resolve(tree, path.parent, stack + [real], limits)


# ------------------------------------------------------------------ patch and insert


def _one_block(root: Value, name: str, where: Where, path: SpecPath, what: str) -> SpecPath:
    """The path of the one block named ``name`` in ``root``'s blocks, or a located error."""
    found = document.named_blocks(root)
    paths = found.get(name, [])
    if not paths:
        from .messages import closest

        match = closest(name, list(found))
        hint = f"; did you mean {match!r}?" if match else ""
        fail(where, f"{what} names no block: {name!r}{hint}", path)
    if len(paths) > 1:
        from .errors import format_path

        fail(where, f"{what} {name!r} is ambiguous: blocks at {', '.join(format_path(p) for p in paths)} have "
             "this name", path)
    return paths[0]


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
            fail(entry.key_where(unknown[0]), f"unknown key {unknown[0]!r}{hint} (an insert takes after or "
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

_SEGMENT = re.compile(r'\.?([A-Za-z_$][A-Za-z0-9_$-]*)|\[(-?[0-9]+)\]|\["((?:[^"\\]|\\.)*)"\]')


def apply_overrides(root: Value, overrides: Sequence[str]) -> Value:
    """Apply ``PATH=VALUE`` strings in order; errors are located at ``<--set N>:1:COLUMN``."""
    for n, text in enumerate(overrides, start=1):
        root = _apply_override(root, text, f"<--set {n}>")
    return root


def _apply_override(root: Value, text: str, name: str) -> Value:
    if "=" not in text:
        fail((name, 1, 1), f"write PATH=VALUE (e.g. blocks.conv1.filters=128), not {text!r}")
    path_text, value_text = text.split("=", 1)
    segments = _segments(path_text, name)
    value_column = len(path_text) + 2
    if not value_text.strip():
        fail((name, 1, value_column), "give a value after '=' (read as YAML: 128, [64, 64, 3], relu, null)")
    try:
        parsed = document.from_source(parse_text(value_text, name))
    except SpecError as e:  # a YAML mistake in the value: at its column in the whole argument
        raise SpecError([_shifted_problem(p, value_column - 1) for p in e.problems]) from None
    value = _shifted(parsed, value_column - 1)
    return _set(root, segments, value, name)


def _segments(path_text: str, name: str) -> list[tuple[str | int, int]]:
    """``blocks.conv1.filters`` -> [("blocks", 1), ("conv1", 8), ("filters", 14)] (with 1-based columns)."""
    segments, pos = [], 0
    while pos < len(path_text):
        match = _SEGMENT.match(path_text, pos)
        if match is None or (pos == 0 and path_text[0] == "."):
            fail((name, 1, pos + 1), f"not a spec path at {path_text[pos:]!r}: write keys with dots and list "
                 "positions in brackets, e.g. blocks.conv1.filters or blocks[2].filters")
        word, index, quoted = match.groups()
        column = match.start() + 1 + (1 if path_text[match.start()] == "." else 0)
        if index is not None:
            segments.append((int(index), column))
        else:
            segments.append((word if word is not None else quoted.replace('\\"', '"'), column))
        pos = match.end()
    if not segments:
        fail((name, 1, 1), "the path before '=' is empty (e.g. blocks.conv1.filters=128)")
    return segments


def _shifted_problem(problem, columns: int):
    from dataclasses import replace

    message = re.sub(r"line 1, column (\d+)", lambda m: f"line 1, column {int(m.group(1)) + columns}", problem.message)
    column = problem.column + columns if problem.line == 1 and problem.column else problem.column
    return replace(problem, message=message, column=column)


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


def _set(root: Value, segments: list[tuple[str | int, int]], value: Value, name: str) -> Value:
    path: SpecPath = ()
    node: Optional[Value] = root
    for i, (part, column) in enumerate(segments):
        at = (name, 1, column)
        last = i == len(segments) - 1
        if isinstance(part, str) and node is not None and node.is_list and path[-1:] == ("blocks",):
            found = _one_block(root, part, at, path + (part,), "--set")  # a block by name, at any depth
            path, node = found, document.value_at(root, found)
            if last:
                return document.replace_at(root, path, value)
            continue
        if isinstance(part, int):
            if node is None or not node.is_list:
                fail(at, f"[{part}]: {_shown(path)} is not a list")
            if not -len(node.data) <= part < len(node.data):
                fail(at, f"[{part}]: {_shown(path)} has {len(node.data)} item(s)")
            index = part % len(node.data)
            path, node = path + (index,), node.data[index]
            if last:
                return document.replace_at(root, path, value)
            continue
        if node is not None and not node.is_map:
            fail(at, f"{part!r}: {_shown(path)} is not a mapping")
        if last:
            return _put(root, path, part, value, at)
        child = node.get(part) if node is not None else None
        if child is None or child.data is None:
            root = _put(root, path, part, Value({}, at, {}), at)  # a new mapping on the way
            child = document.value_at(root, path + (part,))
        path, node = path + (part,), child
    return root


def _put(root: Value, path: SpecPath, key: str, value: Value, at: Where) -> Value:
    mapping = document.value_at(root, path)
    return document.replace_at(root, path, mapping.with_items({**mapping.data, key: value},
                                                              {**(mapping.keys or {}), key: at}))


def _shown(path: SpecPath) -> str:
    from .errors import format_path

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
