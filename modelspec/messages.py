"""Pydantic's validation errors turned into located, actionable problems.

Each pydantic error becomes one :class:`Problem` at the spec path of the
offending value (union tags that pydantic inserts into ``loc`` are dropped),
worded for a person editing the file: what was expected, what was found, and a
did-you-mean for misspelt keys, block types and Keras names.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from typing import Any, NamedTuple, Optional

from pydantic import BaseModel

from .blocks import block_class, block_class_of, block_types
from .errors import Problem, SpecError, SpecPath
from .fields import INT32_MAX, NAME_PATTERN, BatchNormConfig
from .initializers import CLASSES as INITIALIZER_CLASSES
from .initializers import INITIALIZERS
from .initializers import UNION_TAGS as INITIALIZER_TAGS
from .source import Source, non_ascii_note, visible

Models = dict[SpecPath, type[BaseModel]]


def spec_error(errors: list[dict], data: Any, prefix: SpecPath = (), source: Optional[Source] = None,
               *, models: Models) -> SpecError:
    """Pydantic's errors (``ValidationError.errors()``) on ``data`` (found at ``prefix`` in the spec) as
    problems, one per place.

    ``models`` names the model validating each fixed mapping of the spec (the
    root, ``input``, ...), for did-you-mean; blocks are looked up by their type.

    A missing required field whose name an unknown key nearby resembles is one
    mistake, a typo, and is reported once: as the unknown key, with its did-you-mean.
    """
    problems: dict[tuple[SpecPath, bool], Problem] = {}
    missing: dict[SpecPath, None] = {}  # paths of missing required fields, in order
    unknown: dict[SpecPath, list[tuple[SpecPath, bool]]] = {}  # mapping path -> its unknown keys' problems
    suggested: set[SpecPath] = set()  # paths of fields that an unknown key's did-you-mean names
    lengths: dict[SpecPath, tuple[SpecPath, bool]] = {}  # tuples of the wrong length
    for item in errors:
        path, value, parent = _data_path(data, prefix, item["loc"])
        if item["type"] == "missing" and path and isinstance(path[-1], str):
            missing[path] = None  # reported once per mapping, below
            continue
        problem = _problem(item, path, value, parent, source, models)
        key = (problem.path, problem.at_key)
        if key in problems:
            continue  # union branches may repeat a place
        problems[key] = problem
        if item["type"] == "missing" or (item["type"] == "too_long" and (item.get("ctx") or {}).get(
                "field_type") == "Tuple"):
            lengths[problem.path] = key
        elif item["type"] == "extra_forbidden":
            unknown.setdefault(path[:-1], []).append(key)
            match = closest(str(path[-1]), _known_fields(path[:-1], parent, models))
            if match:
                suggested.add(path[:-1] + (match,))
    for path in suggested & missing.keys():
        del missing[path]
    for mapping, keys in unknown.items():
        absent = [path for path in missing if path[:-1] == mapping]
        if len(keys) == 1 and len(absent) == 1 and "did you mean" not in problems[keys[0]].message:
            del missing[absent[0]]
            old = problems[keys[0]]
            problems[keys[0]] = replace(old, message=f"{old.message}; did you mean {absent[0][-1]!r}? "
                                        "(it is required and missing)")
    by_mapping: dict[SpecPath, list[str]] = {}
    for path in missing:
        by_mapping.setdefault(path[:-1], []).append(repr(path[-1]))
    for mapping, names in by_mapping.items():
        fields = "field " + names[0] if len(names) == 1 else "fields " + ", ".join(names)
        problems.setdefault((mapping, False), Problem(f"missing required {fields}", mapping))
    for path, key in lengths.items():
        if any(len(p) > len(path) and p[: len(path)] == path for p, _ in problems):
            problems.pop(key)  # '[32 32 3]': the item's problem says it better than the count
    return SpecError(list(problems.values()))


def _data_path(data: Any, prefix: SpecPath, loc: tuple) -> tuple[SpecPath, Any, Any]:
    """Follow pydantic's ``loc`` through ``data`` (the value at ``prefix``), dropping union tags.

    Returns the spec path as far as it exists in the data, the value found
    there, and its parent value.
    """
    path: list = list(prefix)
    node, parent = data, None
    tag_skipped = False  # whether the current block's tag has been passed
    for part in loc:
        if not tag_skipped and block_class_of(node) is not None and part == node.get("type"):
            tag_skipped = True  # pydantic puts a block's tag right after the block, at any depth
            continue
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node, parent, tag_skipped = node[part], node, False
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node, parent, tag_skipped = node[part], node, False
        elif part in _UNION_TAGS:
            continue  # the tag of a size, padding, batch-norm or input-shape union
        else:
            path.append(part)
            return tuple(path), _MISSING, node
        path.append(part)
    return tuple(path), node, parent


_MISSING = object()
_UNION_TAGS = ("int", "pair", "pairs", "bool", "config", "map", "features", "number", "list", *INITIALIZER_TAGS)  # see fields.py


def describe(value: Any) -> str:
    """How a received value is named in messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"an integer ({value})"
    if isinstance(value, float):
        return f"a float ({value!r})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        hint = ""
        if value.lower() in ("yes", "no", "on", "off", "y", "n"):
            hint = "; YAML 1.2 reads only true/false as booleans"
        return f"a string ({shown!r}{hint})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_TYPE_WORDS = {
    "int_type": "an integer", "int_parsing": "an integer", "int_from_float": "an integer",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "string_type": "a string", "float_type": "a number", "float_parsing": "a number",
    "list_type": "a list", "tuple_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
    "model_attributes_type": "a mapping",
}


def _items(path: SpecPath) -> str:
    """How the items of a fixed-length list at ``path`` are named: an input shape or a size pair."""
    is_input = path[:1] == ("input",) or (path[:1] == ("inputs",) and len(path) == 3)
    return "[height, width, channels]" if is_input and path[-1:] == ("shape",) else "[height, width]"

# What other tools call the block types (lower case, no '_' or '-'), for did-you-mean.
_OTHER_NAMES = {
    "fc": "dense", "linear": "dense", "fullyconnected": "dense", "conv2d": "conv", "convolution": "conv",
    "convolution2d": "conv", "maxpool": "max_pool", "maxpool2d": "max_pool", "maxpooling2d": "max_pool",
    "avgpool": "avg_pool", "avgpool2d": "avg_pool", "averagepooling2d": "avg_pool", "bn": "batch_norm",
    "batchnorm": "batch_norm", "batchnorm2d": "batch_norm", "batchnormalization": "batch_norm",
    "gap": "global_avg_pool", "globalaveragepooling2d": "global_avg_pool", "adaptiveavgpool2d": "global_avg_pool",
    "globalmaxpooling2d": "global_max_pool", "zeropadding2d": "zero_padding", "pad": "zero_padding",
    "resnet": "residual", "resblock": "residual", "basicblock": "residual", "identityblock": "residual",
    "googlenet": "inception", "relu": "activation", "softmax": "activation", "vgg16": "vgg",
}


class _Error(NamedTuple):
    """One pydantic error, with the spec path, value and parent it was traced to."""

    kind: str  # pydantic's error type: "missing", "extra_forbidden", "greater_than", ...
    ctx: dict
    msg: str
    path: SpecPath
    value: Any
    parent: Any
    source: Optional[Source]
    models: Models

    @property
    def name(self) -> Any:
        """The last part of the path: the field name or item index."""
        return self.path[-1] if self.path else None


def _problem(item: dict, path: SpecPath, value: Any, parent: Any, source: Optional[Source],
             models: Models) -> Problem:
    """The problem a pydantic error describes, worded by the handler of its error type."""
    error = _Error(item["type"], item.get("ctx") or {}, item["msg"], path, value, parent, source, models)
    return _HANDLERS.get(error.kind, _pydantic_wording)(error)


def _missing(e: _Error) -> Problem:
    if isinstance(e.name, int) and isinstance(e.parent, list):
        # a tuple (input shape, [height, width] pair) with too few items
        what = _items(tuple(e.path[:-1]))
        return Problem(f"must be {what}: {what.count(',') + 1} items, not {len(e.parent)}", e.path[:-1])
    return Problem(f"missing required field {e.name!r}", e.path[:-1])


def _unknown_field(e: _Error) -> Problem:
    known = _known_fields(e.path[:-1], e.parent, e.models)
    hint = _did_you_mean(str(e.name), known)
    if not hint and _initializer_class(e.parent) is not None:
        arguments = [k for k in known if k != "class"]
        hint = f" ({e.parent['class']} takes {', '.join(arguments)})" if arguments else f" ({e.parent['class']} takes no arguments)"
    if not hint and e.source is not None and tuple(e.path) in e.source.anchors:
        hint = ("; to reuse a block, put the anchor on its first use in 'blocks' (- &name {...}) "
                "and write *name where it repeats (or see 'repeat' and 'defaults')")
    name = str(e.name)
    if non_ascii_note(name):  # a look-alike or invisible character: show it, and say what it is
        return Problem(f"unknown field {visible(name)}{non_ascii_note(name)}{hint}", e.path, at_key=True)
    length = f" (a key of {len(name):,} characters)" if len(name) > 40 else ""
    return Problem(f"unknown field {_quoted(e.name)}{length}{hint}", e.path, at_key=True)


def _unknown_block_type(e: _Error) -> Problem:
    tags = block_types()
    tag = e.value.get("type") if isinstance(e.value, dict) else e.ctx.get("tag")
    if not isinstance(tag, str):
        return Problem(f"a block's type must be a string naming the block, not {describe(tag)} "
                       f"(known types: {', '.join(tags)})", e.path + ("type",))
    other_name = _OTHER_NAMES.get(re.sub(r"[\s_-]", "", tag.lower()))
    hint = f"; did you mean {other_name!r}?" if other_name else _did_you_mean(tag, tags)
    return Problem(f"unknown block type {_quoted(tag)}{hint} (known types: {', '.join(tags)})", e.path + ("type",))


def _block_without_type(e: _Error) -> Problem:
    named = [k for k in e.value if block_class(k) is not None] if isinstance(e.value, dict) else []
    if named:
        return Problem(f"a block needs a 'type'; for a {named[0]} block write 'type: {named[0]}' and put "
                       f"its fields beside it, not under '{named[0]}:'", e.path)
    return Problem(f"a block needs a 'type' (one of: {', '.join(block_types())})", e.path)


def _unknown_name(e: _Error) -> Problem:
    """A value outside a fixed set: padding, activation, initializer."""
    expected = [x.strip().strip("'") for x in e.ctx.get("expected", "").replace(" or ", ", ").split(",")]
    what = {"kernel_initializer": "initializer", "gate": "activation"}.get(str(e.name), str(e.name).replace("_", " "))
    allowed = f"one of: {', '.join(expected)}"
    if isinstance(e.value, str):
        return Problem(f"unknown {what} {_quoted(e.value)}{_did_you_mean(e.value, expected)} ({allowed})", e.path)
    return Problem(f"must be the name of a{'n' if what[:1] in 'aeiou' else ''} {what} ({allowed}), "
                   f"not {describe(e.value)}", e.path)


def _wrong_type(e: _Error) -> Problem:
    value = e.value
    if e.kind == "string_type" and isinstance(value, (bool, int, float)):
        return Problem(f"must be a string, not {describe(value)}; quote it if it is meant as text", e.path)
    if e.kind == "int_from_float" or (e.kind == "int_type" and type(value) is float and value.is_integer()):
        return Problem(f"must be an integer, not {describe(value)}; write {int(value)}", e.path)
    hint = ""
    if _TYPE_WORDS[e.kind] == "a mapping" and isinstance(value, str) and re.search(r"\w:\S", value):
        hint = " (YAML needs a space after the ':' of 'key: value')"
    elif isinstance(value, str) and re.fullmatch(r"-?[0-9.]+(\s+-?[0-9.]+)+", value.strip()):
        hint = " (separate the items with commas)"
    return Problem(f"must be {_TYPE_WORDS[e.kind]}, not {describe(value)}{hint}", e.path)


_BOUNDS = {
    "greater_than": "must be greater than {gt}", "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}", "less_than_equal": "must be at most {le}",
    "too_short": "must have at least {min_length} item(s)", "too_long": "must have at most {max_length} items",
    "string_pattern_mismatch": "must match {pattern}", "string_too_long": "must have at most {max_length} characters",
    "finite_number": "must be a finite number",
}


def _out_of_bounds(e: _Error) -> Problem:
    message = _BOUNDS[e.kind].format(**e.ctx)
    if e.kind == "too_long" and e.ctx.get("field_type") == "Tuple" and isinstance(e.value, list):
        what = _items(tuple(e.path))
        message = f"must be {what}: {what.count(',') + 1} items, not {len(e.value)}"
    elif e.kind in ("too_short", "too_long") and isinstance(e.value, list):
        message += f" (it has {len(e.value)})"
    elif e.kind == "less_than_equal" and e.ctx.get("le") == INT32_MAX:
        message = (f"must be at most {INT32_MAX:,}: TensorFlow takes sizes and counts as 32-bit integers, "
                   f"not {e.value:,}" if isinstance(e.value, int) else message)
    elif e.kind == "string_pattern_mismatch" and e.ctx.get("pattern") == NAME_PATTERN:
        message = (f"{_quoted(e.value)} is not a valid name: start with a letter or '_', then use letters, "
                   "digits, '_', '.' and '-' only")
    return Problem(message, e.path)


def _not_a_size_or_batch_norm(e: _Error) -> Problem:
    """The custom errors of the size, batch-norm and input-shape unions (see fields.py)."""
    integral = type(e.value) is float and e.value.is_integer() and e.kind == "size_type"
    hint = f"; write {int(e.value)}" if integral else ""
    return Problem(f"{e.msg}, not {describe(e.value)}{hint}", e.path)


def _not_an_initializer(e: _Error) -> Problem:
    """A kernel_initializer that is neither a known name nor a mapping naming a known class."""
    classes = sorted(INITIALIZER_CLASSES)
    if isinstance(e.value, dict):
        name = e.value.get("class")
        if name is None:
            return Problem(f"an initializer mapping needs 'class': one of {', '.join(classes)}", e.path)
        if not isinstance(name, str):
            return Problem(f"'class' must be the name of an initializer class ({', '.join(classes)}), not "
                           f"{describe(name)}", e.path + ("class",))
        return Problem(f"unknown initializer class {_quoted(name)}{_did_you_mean(name, classes)} "
                       f"(one of: {', '.join(classes)})", e.path + ("class",))
    return Problem(f"must be an initializer name ({', '.join(INITIALIZERS)}) or a mapping {{class: NAME, ...}} "
                   f"naming one of {', '.join(classes)}, not {describe(e.value)}", e.path)


def _value_error(e: _Error) -> Problem:
    return Problem(str(e.ctx.get("error", e.msg)), e.path)


def _too_deep(e: _Error) -> Problem:
    """pydantic-core's guard against runaway recursion: the data the readers give has no cycles (an alias that
    contains itself is refused), so it means nesting deeper than pydantic follows (with raised reader limits)."""
    return Problem("the spec nests too deeply to validate: pydantic stops at a fixed depth before the depth "
                   "limit; a spec nests a few levels", e.path)


def _pydantic_wording(e: _Error) -> Problem:
    """Any other error: pydantic's own message."""
    return Problem(e.msg[:1].lower() + e.msg[1:], e.path)


_HANDLERS = {
    "missing": _missing,
    "extra_forbidden": _unknown_field,
    "union_tag_invalid": _unknown_block_type,
    "union_tag_not_found": _block_without_type,
    "literal_error": _unknown_name,
    **dict.fromkeys(_TYPE_WORDS, _wrong_type),
    **dict.fromkeys(_BOUNDS, _out_of_bounds),
    "size_type": _not_a_size_or_batch_norm,
    "batch_norm_type": _not_a_size_or_batch_norm,
    "shape_type": _not_a_size_or_batch_norm,
    "initializer_type": _not_an_initializer,
    "value_error": _value_error,
    "recursion_loop": _too_deep,
}


def _initializer_class(data: Any):
    """The initializer class a ``{class: NAME, ...}`` mapping names, or None."""
    name = data.get("class") if isinstance(data, dict) else None
    return INITIALIZER_CLASSES.get(name) if isinstance(name, str) else None


def _known_fields(path: SpecPath, parent: Any, models: Models) -> list[str]:
    """Field names valid at ``path`` (a mapping in the spec), for did-you-mean."""
    if path in models:
        fields = list(models[path].model_fields)
        return fields + ["$schema"] if path == () else fields
    if path and path[-1] == "batch_norm" and block_class_of(parent) is None:
        return list(BatchNormConfig.model_fields)
    if len(path) == 2 and path[0] == "inputs":
        return list(models[("input",)].model_fields)
    if _initializer_class(parent) is not None:
        fields = _initializer_class(parent).model_fields.items()
        return [field.alias or name for name, field in fields]
    cls = block_class_of(parent)
    return list(cls.model_fields) if cls is not None else []


def _quoted(value: Any) -> str:
    """A value of the file as quoted in a message, cut short; one with a character that is not printable
    ASCII (a look-alike Cyrillic 'е', an invisible U+200B) has it written as an escape, and named."""
    text = str(value)
    cut = text if len(text) <= 40 else text[:37] + "..."
    if all(" " <= c <= "~" for c in text):
        return repr(cut)
    return visible(cut) + non_ascii_note(text)


def closest(word: str, candidates: list[str]) -> Optional[str]:
    """The candidate ``word`` most likely misspells (case aside), if any is close."""
    lowered = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def _did_you_mean(word: str, candidates: list[str]) -> str:
    match = closest(word, candidates)
    return f"; did you mean {match!r}?" if match else ""
