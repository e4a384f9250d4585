"""A spec document as a tree of located values, for merging documents without losing where things were written.

A :class:`Value` is one value of a document and the file, line and column it was
written at; a mapping also knows where each of its keys was written. Trees of
Values are never changed in place: every operation builds new nodes along the
path it changes and shares the rest, so a base file read once can be merged
into any number of children.
"""

from __future__ import annotations

from typing import Any, Iterator, NoReturn, Optional, Union

from .errors import SpecPath
from .source import Source
from .source import fail as source_fail

Where = tuple[str, int, int]  # file, line, column


class Value:
    """One value of a document: ``data`` is a scalar, a ``dict[str, Value]`` or a ``list[Value]``."""

    __slots__ = ("data", "where", "keys")

    def __init__(self, data: Any, where: Where, keys: Optional[dict[str, Where]] = None):
        self.data = data
        self.where = where
        self.keys = keys  # mappings only: where each key was written

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"Value({self.plain()!r} @ {self.where})"

    @property
    def is_map(self) -> bool:
        return isinstance(self.data, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.data, list)

    def get(self, key: str) -> Optional["Value"]:
        return self.data.get(key) if self.is_map else None

    def key_where(self, key: str) -> Where:
        return (self.keys or {}).get(key, self.where)

    def plain(self) -> Any:
        """The plain data (dicts, lists, scalars) this tree holds."""
        if self.is_map:
            return {k: v.plain() for k, v in self.data.items()}
        if self.is_list:
            return [v.plain() for v in self.data]
        return self.data

    def with_items(self, data: Union[dict, list], keys: Optional[dict[str, Where]] = None) -> "Value":
        """A copy of this mapping or list holding ``data`` instead (keys kept unless given)."""
        return Value(data, self.where, self.keys if keys is None else keys)


def fail(where: Where, message: str, path: SpecPath = ()) -> NoReturn:
    """Raise a SpecError at ``where`` (file, line, column), about spec ``path`` of that file."""
    source_fail(*where, message, path)


def from_source(source: Source) -> Value:
    """The document of a parsed file as a tree of Values."""
    def where(path: SpecPath) -> Where:
        return (source.name, *source.locate(path))

    def build(data: Any, path: SpecPath) -> Value:
        if isinstance(data, dict):
            keys = {k: (source.name, *source.keys.get(path + (k,), source.locate(path))) for k in data}
            return Value({k: build(v, path + (k,)) for k, v in data.items()}, where(path), keys)
        if isinstance(data, list):
            return Value([build(v, path + (i,)) for i, v in enumerate(data)], where(path))
        return Value(data, where(path))

    return build(source.data, ())


def to_source(value: Value, name: str, module_uses: Optional[dict[SpecPath, str]] = None) -> Source:
    """A :class:`Source` of the plain document, every value and key located where the tree says."""
    source = Source(name, None, module_uses=dict(module_uses or {}))

    def flatten(node: Value, path: SpecPath) -> Any:
        file, line, column = node.where
        source.values[path] = (line, column)
        if file != name:
            source.origins[path] = file
        if node.is_map:
            out = {}
            for k, v in node.data.items():
                file, line, column = node.key_where(k)
                source.keys[path + (k,)] = (line, column)
                if file != name:
                    source.key_origins[path + (k,)] = file
                out[k] = flatten(v, path + (k,))
            return out
        if node.is_list:
            return [flatten(v, path + (i,)) for i, v in enumerate(node.data)]
        return node.data

    source.data = flatten(value, ())
    return source


def merge(base: Value, child: Value) -> Value:
    """``child`` over ``base``: mappings merge key by key (a null removes the key), anything else replaces."""
    if not (base.is_map and child.is_map):
        return child
    data, keys = dict(base.data), dict(base.keys or {})
    for key, value in child.data.items():
        if value.data is None:
            data.pop(key, None)
            keys.pop(key, None)
        else:
            data[key] = merge(base.data[key], value) if key in base.data else value
            keys[key] = child.key_where(key)
    return Value(data, child.where, keys)


def without(value: Value, *names: str) -> Value:
    """A mapping without the keys ``names``."""
    return value.with_items({k: v for k, v in value.data.items() if k not in names})


def replace_at(root: Value, path: SpecPath, new: Optional[Value]) -> Value:
    """A copy of ``root`` with the value at ``path`` replaced by ``new`` (None: removed from its list or mapping)."""
    if not path:
        assert new is not None
        return new
    head, rest = path[0], path[1:]
    items = list(root.data) if root.is_list else dict(root.data)
    inner = replace_at(items[head], rest, new) if rest else new
    if inner is None:
        del items[head]
    else:
        items[head] = inner
    return root.with_items(items)


def value_at(root: Value, path: SpecPath) -> Value:
    for part in path:
        root = root.data[part]
    return root


def child_lists(block: Value) -> Iterator[tuple[SpecPath, Value]]:
    """The lists of blocks a composite block (as written) holds, with their paths under it:
    ``(("blocks",), list)``, ``(("branches", 0), list)``; nothing for any other value."""
    from .blocks import block_class

    kind = block.get("type")
    cls = block_class(kind.data) if kind is not None and isinstance(kind.data, str) else None
    for key, depth in (cls.nested if cls is not None else {}).items():
        inner = block.get(key)
        if inner is None or not inner.is_list:
            continue
        if depth == 1:
            yield (key,), inner
        else:
            for j, branch in enumerate(inner.data):
                if branch.is_list:
                    yield (key, j), branch


def block_lists(blocks: Value, path: SpecPath) -> Iterator[tuple[SpecPath, Value]]:
    """Every list of blocks in the tree of block list ``blocks`` (at ``path``), itself first, as written."""
    yield path, blocks
    for i, block in enumerate(blocks.data):
        for key, inner in child_lists(block):
            yield from block_lists(inner, path + (i,) + key)


def named_blocks(root: Value) -> dict[str, list[SpecPath]]:
    """Block name -> the paths of the blocks (at any depth) that have it, in document order."""
    blocks = root.get("blocks")
    found: dict[str, list[SpecPath]] = {}
    if blocks is None or not blocks.is_list:
        return found
    for path, items in block_lists(blocks, ("blocks",)):
        for i, block in enumerate(items.data):
            name = block.get("name") if block.is_map else None
            if name is not None and isinstance(name.data, str):
                found.setdefault(name.data, []).append(path + (i,))
    return found
