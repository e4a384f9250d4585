"""What an editor asks about one spec buffer, answered without TensorFlow and without any LSP library.

:class:`Analysis` checks a buffer with the whole check (:func:`modelspec.analysis.check`:
syntax, fields, shapes, references, budgets, ``extends``, modules, ``expect``) and
answers, from that and from the buffer's own parse:

* :meth:`~Analysis.diagnostics`: every problem with a 0-based range (start and end
  of the offending token);
* :meth:`~Analysis.hover`: on a field's key, its documentation; elsewhere in a
  block, the block's output shape, parameters and MACs from the static pass;
* :meth:`~Analysis.completion`: block types after ``type:``, a field's fixed
  values after its key, else the fields the enclosing block (or mapping) does
  not set yet, with docs and defaults;
* :meth:`~Analysis.definition`: where a reference (``input: enc3``, ``inputs``,
  ``outputs``), a module use (``type: fire``) or an ``extends`` path points;
* :meth:`~Analysis.inlay_hints`: each block's output shape at the end of its first line.

Positions here are 0-based (line, character), as in LSP; :mod:`modelspec.lsp`
turns these plain values into protocol objects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator, Optional

from .errors import Problem, SpecError, SpecPath, UsageError, format_path
from .graph import Budget

Position = tuple[int, int]  # 0-based line, character
Range = tuple[Position, Position]


@dataclass(frozen=True)
class Item:
    """A completion item: what to insert, its kind (``field`` or ``type``), a one-line detail and docs."""

    label: str
    kind: str
    detail: str
    documentation: str
    insert: str


@dataclass(frozen=True)
class Target:
    """Where a definition is: a file and a range in it."""

    path: str
    range: Range


@dataclass(frozen=True)
class Diagnostic:
    range: Range
    message: str  # "SPEC.PATH: message", as the command line says it
    elsewhere: Optional[Target] = None  # where a problem in another file (a base) really is


@dataclass(frozen=True)
class BlockFacts:
    """What the static pass says about one block of the buffer (all its copies, nested layers included)."""

    path: SpecPath
    type: str
    layers: int
    output_shape: tuple
    params: int
    macs: Optional[int]
    copies: int


def shape_text(shape) -> str:
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


class Analysis:
    """One version of one buffer: checked once, on creation; the rest is worked out when asked."""

    def __init__(self, path: str, text: str, budget: Budget = Budget()):
        from .analysis import check

        self.path, self.text, self.budget = path, text, budget
        self.lines = text.splitlines() or [""]
        self.problems: list[Problem] = []
        self.spec = self.graph = None
        try:
            self.spec, self.graph = check(path, budget, text=text)
        except SpecError as e:
            self.problems = e.problems
        except UsageError as e:  # a base file (extends) that cannot be read
            line, column = self._locate(("extends",)) or (1, 1)
            self.problems = [Problem(f"{e.path}: {e.message}", ("extends",), path, line, column)]
        except Exception as e:  # a modelspec bug: say so in the editor rather than go quiet
            self.problems = [Problem(f"modelspec: internal error (please report it): {type(e).__name__}: {e}",
                                     (), path, 1, 1)]

    # ------------------------------------------------------------------ the buffer's own parse

    @cached_property
    def source(self):
        """This buffer parsed (not resolved): where each of its values and keys is; None if it does not parse."""
        from .loader import parse_text

        try:
            return parse_text(self.text, self.path, as_json=self.path.endswith(".json"))
        except SpecError:
            return None

    # ------------------------------------------------------------------ diagnostics

    def diagnostics(self) -> list[Diagnostic]:
        out = []
        for p in self.problems:
            message = f"{format_path(p.path)}: {p.message}"
            elsewhere = None
            if p.file not in (None, self.path) and not _same_file(p.file, self.path):
                # a problem in a base file: shown at this file's `extends`, saying where it is
                message = f"{p.file}:{p.line}:{p.column}: {message}"
                line, column = self._locate(("extends",)) or (1, 1)
                if p.line is not None and not p.file.startswith("<"):
                    start = (p.line - 1, (p.column or 1) - 1)
                    elsewhere = Target(p.file, (start, (start[0], start[1] + 1)))
            else:
                line, column = p.line or 1, p.column or 1
            out.append(Diagnostic(self.token_range(line - 1, column - 1), message, elsewhere))
        return out

    def _locate(self, path: SpecPath) -> Optional[tuple[int, int]]:
        source = self.source
        return source.values.get(tuple(path)) if source is not None else None

    def token_range(self, line: int, character: int) -> Range:
        """The range of the token starting at (line, character): a quoted string, a key or a plain value."""
        text = self.lines[line] if 0 <= line < len(self.lines) else ""
        character = min(max(character, 0), len(text))
        end = _token_end(text, character)
        if end == character:  # nothing there (a missing key at the end of a line): the rest of the line
            end = max(len(text), character + 1)
        return (line, character), (line, end)

    # ------------------------------------------------------------------ blocks in the buffer

    @cached_property
    def blocks(self) -> dict[SpecPath, tuple[int, int, str]]:
        """Every block mapping of the buffer: path -> (first line, last line, type), 0-based lines."""
        source = self.source
        if source is None:
            return {}
        out = {}
        for path, value in _mappings(source.data, ()):
            kind = value.get("type")
            in_blocks = path[:1] in (("blocks",), ("modules",)) and isinstance(path[-1], int)
            if not isinstance(kind, str) or not in_blocks:
                continue
            where = source.values.get(path)
            if where is None:
                continue
            last = max((line for p, (line, _) in source.values.items() if p[:len(path)] == path), default=where[0])
            out[path] = (where[0] - 1, last - 1, kind)
        return out

    def block_at(self, line: int) -> Optional[SpecPath]:
        """The innermost block whose lines hold ``line``."""
        best = None
        for path, (first, last, _) in self.blocks.items():
            if first <= line <= last and (best is None or len(path) > len(best)):
                best = path
        return best

    @cached_property
    def facts(self) -> dict[SpecPath, BlockFacts]:
        """The static pass's figures for every block path of the checked spec (empty when it failed)."""
        if self.graph is None:
            return {}
        totals: dict[SpecPath, list] = {}
        for index, node in enumerate(self.graph.nodes):
            path = node.path
            for n in range(2, len(path) + 1):
                prefix = path[:n]
                if not isinstance(prefix[-1], int):
                    continue
                entry = totals.setdefault(prefix, [0, 0, 0, None, 0])  # layers, params, macs, last, none-macs
                entry[0] += 1
                entry[1] += node.params
                if node.macs is None:
                    entry[4] += 1
                else:
                    entry[2] += node.macs
                entry[3] = index
        out = {}
        data = self.spec.source.data if self.spec is not None and self.spec.source is not None else None
        for path, (layers, params, macs, last, unknown) in totals.items():
            block = _get(data, path)
            if not isinstance(block, dict) or "type" not in block:
                continue
            repeat = block.get("repeat", 1)
            out[path] = BlockFacts(path, str(block["type"]), layers, self.graph.nodes[last].output_shape,
                                   params, None if unknown else macs, repeat if isinstance(repeat, int) else 1)
        return out

    # ------------------------------------------------------------------ hover

    def hover(self, line: int, character: int) -> Optional[tuple[str, Range]]:
        """Markdown for the position, and the range it describes; None when there is nothing to say."""
        key = self._key_at(line, character)
        if key is not None:
            path, span = key
            doc = field_doc(self.source.data, path)
            if doc and path[-1] == "type" and path[:-1] in self.blocks:  # the block's type: its figures too
                return f"{self._block_text(path[:-1])}\n\n---\n\n{doc}", span
            if doc:
                return doc, span
        block = self.block_at(line)
        if block is None:
            return None
        span = ((line, 0), (line, len(self.lines[line]) if line < len(self.lines) else 0))
        return self._block_text(block), span

    def _block_text(self, block: SpecPath) -> str:
        """Markdown for a block of the buffer: its name and type, and the static pass's figures for it."""
        facts = self.facts.get(block)
        kind = self.blocks[block][2]
        if facts is None:
            return f"**{_block_name(self.source.data, block)}** · `{kind}`\n\n(no figures: the spec has errors)"
        if kind != facts.type:  # a module use, inlined as a sequence
            facts = replace(facts, type=f"{kind}` (module)`")
        return block_markdown(_block_name(self.source.data, block), facts)

    def _key_at(self, line: int, character: int) -> Optional[tuple[SpecPath, Range]]:
        source = self.source
        if source is None:
            return None
        for path, (l, c) in source.keys.items():
            if l - 1 == line:
                start = c - 1
                end = start + len(str(path[-1])) + (2 if self.lines[line][start:start + 1] in "\"'" else 0)
                if start <= character <= end:
                    return path, ((line, start), (line, end))
        return None

    # ------------------------------------------------------------------ inlay hints

    def inlay_hints(self, first: int = 0, last: Optional[int] = None) -> list[tuple[Position, str]]:
        """``→ (h, w, c)`` at the end of each block's first line, for blocks starting in [first, last]."""
        hints = []
        taken = set()
        for path, facts in sorted(self.facts.items(), key=lambda kv: len(kv[0]), reverse=True):
            span = self.blocks.get(path)
            if span is None:
                continue
            line = span[0]
            if line in taken or line < first or last is not None and line > last:
                continue
            taken.add(line)
            text = self.lines[line] if line < len(self.lines) else ""
            hints.append(((line, len(text)), f" → {shape_text(facts.output_shape)}"))
        return sorted(hints)

    # ------------------------------------------------------------------ completion

    def completion(self, line: int, character: int) -> list[Item]:
        from .blocks import block_types

        text = self.lines[line] if line < len(self.lines) else ""
        before = text[:character]
        if re.fullmatch(r"\s*(-\s+)?type:\s*[\w-]*", before) or re.search(r"[{,]\s*type:\s*[\w-]*$", before):
            return [type_item(tag) for tag in block_types()] + self._module_items()
        value = re.fullmatch(r"\s*(?:-\s+)?([A-Za-z_][\w-]*):\s*([\w-]*)", before)
        if value:
            return self._value_items(line, value.group(1), before)
        if not re.fullmatch(r"\s*(-\s+)?[\w-]*", before):
            return []
        mapping = self._mapping_at(line, before)
        if mapping is None:
            return []
        path, data = mapping
        model = model_of(self.source_with_cursor(line, before).data, path) if data is not None else None
        if model is None:
            return []
        present = set(data) if isinstance(data, dict) else set()
        present.discard("__cursor__")
        return [field_item(name, info) for name, info in model.model_fields.items() if name not in present]

    def _value_items(self, line: int, key: str, before: str) -> list[Item]:
        """The values a field takes from a fixed set (an activation, a padding, an initializer's name,
        true/false), for the field ``key`` of the mapping at the cursor."""
        indent = re.match(r"\s*(-\s+)?", before).group()
        mapping = self._mapping_at(line, indent)
        if mapping is None:
            return []
        path, data = mapping
        model = model_of(self.source_with_cursor(line, indent).data, path)
        info = model.model_fields.get(key) if model is not None else None
        if info is None:
            return []
        doc = info.description or ""
        return [Item(str(v).lower() if isinstance(v, bool) else str(v), "value", key, doc,
                     str(v).lower() if isinstance(v, bool) else str(v)) for v in _choices(info.annotation)]

    def _module_items(self) -> list[Item]:
        source = self.source
        modules = source.data.get("modules") if source is not None and isinstance(source.data, dict) else None
        if not isinstance(modules, dict):
            return []
        return [Item(name, "type", "module", f"The module `{name}` defined in this file.", name) for name in modules]

    def source_with_cursor(self, line: int, before: str):
        """The buffer parsed with the cursor's line replaced by a placeholder key (or the parse itself)."""
        return self._cursor_parse(line, before)[0]

    def _cursor_parse(self, line: int, before: str):
        from .loader import parse_text

        indent = re.match(r"\s*(-\s+)?", before).group()
        lines = list(self.lines)
        while len(lines) <= line:
            lines.append("")
        lines[line] = indent + "__cursor__: 0"
        try:
            return parse_text("\n".join(lines) + "\n", self.path, as_json=False), lines
        except SpecError:
            return None, lines

    def _mapping_at(self, line: int, before: str) -> Optional[tuple[SpecPath, Any]]:
        """The mapping a key typed at the cursor would belong to: its path and data."""
        source, _ = self._cursor_parse(line, before)
        if source is None:
            return None
        for path, (l, _) in source.keys.items():
            if l - 1 == line and path[-1] == "__cursor__":
                parent = path[:-1]
                return parent, _get(source.data, parent)
        return None

    # ------------------------------------------------------------------ definition

    def definition(self, line: int, character: int) -> Optional[Target]:
        source = self.source
        if source is None:
            return None
        found = self._value_at(line, character)
        if found is None:
            return None
        path, value = found
        if not path or not isinstance(source.data, dict):
            return None
        if path[:1] == ("extends",) and isinstance(value, str):
            target = (Path(self.path).parent / value).resolve()
            return Target(str(target), ((0, 0), (0, 0))) if target.is_file() else None
        if not isinstance(value, str):
            return None
        if path[-1] == "type" and isinstance(source.data.get("modules"), dict) and value in source.data["modules"]:
            where = source.keys.get(("modules", value))
            return self._target(where) if where else None
        is_reference = path[-1] == "input" or len(path) >= 2 and path[-2] in ("inputs", "outputs")
        if not is_reference:
            return None
        return self._name_definition(value)

    def _name_definition(self, ref: str) -> Optional[Target]:
        source = self.source
        candidates = [ref]
        match = re.fullmatch(r"(.+)_(\d+)", ref)
        if match:  # a copy of a repeated block: NAME_k is defined by NAME
            candidates.append(match.group(1))
        for name in candidates:
            for path in self.blocks:
                block = _get(source.data, path)
                if isinstance(block, dict) and block.get("name") == name:
                    return self._target(source.values.get(path + ("name",)))
            if isinstance(source.data.get("inputs"), dict) and name in source.data["inputs"]:
                return self._target(source.keys.get(("inputs", name)))
            if name == "input" and "input" in source.data:
                return self._target(source.keys.get(("input",)))
        match = re.fullmatch(r"block(\d+)", ref)  # an unnamed top-level block's default handle
        blocks = source.data.get("blocks")
        if match and isinstance(blocks, list) and 0 < int(match.group(1)) <= len(blocks):
            where = source.values.get(("blocks", int(match.group(1)) - 1))
            return self._target(where)
        return None

    def _target(self, where: Optional[tuple[int, int]]) -> Optional[Target]:
        if where is None:
            return None
        line, column = where[0] - 1, where[1] - 1
        return Target(self.path, self.token_range(line, column))

    def _value_at(self, line: int, character: int) -> Optional[tuple[SpecPath, Any]]:
        source = self.source
        best = None
        for path, (l, c) in source.values.items():
            if l - 1 != line or c - 1 > character:
                continue
            value = _get(source.data, path)
            if isinstance(value, (dict, list)):
                continue
            (_, start), (_, end) = self.token_range(l - 1, c - 1)
            if start <= character <= end and (best is None or start > best[2]):
                best = (path, value, start)
        return (best[0], best[1]) if best else None


# ---------------------------------------------------------------------- the registry's documentation

def model_of(data: Any, path: SpecPath):
    """The pydantic model of the mapping at ``path`` of a spec document, or None."""
    from .blocks import block_class
    from .spec import Defaults, InputSpec, ModelSpec

    if path == ():
        return ModelSpec
    if path in (("input",), ("defaults",)):
        return {("input",): InputSpec, ("defaults",): Defaults}[path]
    if len(path) == 2 and path[0] == "inputs":
        return InputSpec
    value = _get(data, path)
    if isinstance(value, dict):
        return block_class(value.get("type"))
    return None


def field_doc(data: Any, path: SpecPath) -> Optional[str]:
    model = model_of(data, path[:-1])
    if model is None or path[-1] not in model.model_fields:
        return None
    info = model.model_fields[path[-1]]
    if path[-1] == "type" and isinstance(_get(data, path), str):
        doc = (model.__doc__ or "").strip()
        return f"**type: {_get(data, path)}** — {info.description}\n\n{doc}"
    return f"**{path[-1]}**{_default_text(info)}\n\n{info.description or ''}"


def _choices(annotation) -> list:
    """The fixed values an annotation allows: Literal members and, for bool, true and false."""
    import typing

    if annotation is bool:
        return [True, False]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return [v for v in typing.get_args(annotation) if v is not None]
    out = []
    if origin is not None:
        for arg in typing.get_args(annotation)[:1] if origin is typing.Annotated else typing.get_args(annotation):
            out += [v for v in _choices(arg) if v not in out]
    return out


def _default_text(info) -> str:
    if info.is_required():
        return " (required)"
    if info.default is None:
        return ""
    return f" (default `{json.dumps(info.default)}`)"


def field_item(name: str, info) -> Item:
    return Item(name, "field", ("required" if info.is_required() else _default_text(info).strip(" ()")),
                info.description or "", f"{name}: ")


def type_item(tag: str) -> Item:
    from .blocks import block_class

    cls = block_class(tag)
    summary = cls.model_fields["type"].description or ""
    return Item(tag, "type", summary, f"{summary}\n\n{(cls.__doc__ or '').strip()}", tag)


def block_markdown(name: str, facts: BlockFacts) -> str:
    copies = f" ×{facts.copies}" if facts.copies > 1 else ""
    macs = "unknown" if facts.macs is None else f"{facts.macs:,}"
    return (f"**{name}** · `{facts.type}`{copies}\n\n"
            f"output shape `{shape_text(facts.output_shape)}`  \n"
            f"params {facts.params:,} · MACs {macs} · {facts.layers} layer{'s' if facts.layers != 1 else ''}")


def _block_name(data: Any, path: SpecPath) -> str:
    block = _get(data, path)
    if isinstance(block, dict) and isinstance(block.get("name"), str):
        return block["name"]
    if len(path) == 2 and path[0] == "blocks":
        return f"block{path[1] + 1}"
    return format_path(path)


# ---------------------------------------------------------------------- small helpers

def _get(data: Any, path: SpecPath) -> Any:
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _mappings(data: Any, path: SpecPath) -> Iterator[tuple[SpecPath, dict]]:
    if isinstance(data, dict):
        yield path, data
        for key, value in data.items():
            yield from _mappings(value, path + (key,))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _mappings(value, path + (i,))


def _token_end(text: str, start: int) -> int:
    if start >= len(text):
        return start
    if text[start] in "\"'":
        close = text.find(text[start], start + 1)
        return len(text) if close < 0 else close + 1
    if text[start] in "[{":
        return start + 1
    end = start
    while end < len(text):
        char = text[end]
        if char in ",]}" or char == ":" and text[end + 1:end + 2] in ("", " ") or char == "#" and text[end - 1] == " ":
            break
        end += 1
    return len(text[start:end].rstrip()) + start if end > start else start


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return a == b


__all__ = ["Analysis", "BlockFacts", "Diagnostic", "Item", "Target"]
