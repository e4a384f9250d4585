"""User-defined modules: parameterised groups of blocks, written as data, inlined before validation.

A module is declared under the top-level ``modules`` key::

    modules:
      fire:
        params: {squeeze: int, expand: {type: int, default: 64}}
        blocks: [...]        # any blocks; a whole value "$squeeze" is replaced by the parameter

and used as a block, ``{type: fire, name: fire2, squeeze: 16}``. Each use becomes a
``sequence`` block with the use's ``name``, ``repeat`` and ``input`` and the module's
blocks, every ``$p`` replaced by the use's value (or the default). Names given
inside a module are local to each use: the analysis treats the sequence as its
own scope, and its layers are prefixed with the use's name, as for the copies of
a repeated block (:attr:`Source.module_uses` tells it which sequences were uses).

Checked here, before the spec model sees the result: the definitions (parameter
types and defaults, every ``$p`` declared, no module shadowing a built-in type,
no module using itself, directly or through others) and each use (unknown,
missing and mistyped parameters, with did-you-mean).
"""

from __future__ import annotations

import re
from typing import Callable, Optional

from . import document
from .document import Value, fail
from .errors import SpecPath, named
from .source import non_ascii_note

USE_KEYS = ("type", "name", "repeat", "input")  # what a use takes besides the module's params
WORD_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"  # a module's or a parameter's name
_PARAM_NAME = _MODULE_NAME = re.compile(WORD_PATTERN[1:-1])


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_activation(v) -> bool:
    from .fields import ACTIVATIONS

    return isinstance(v, str) and v in ACTIVATIONS


PARAM_TYPES: dict[str, tuple[str, Callable[[object], bool]]] = {
    "int": ("an integer", _is_int),
    "float": ("a number", lambda v: _is_int(v) or isinstance(v, float)),
    "bool": ("true or false", lambda v: isinstance(v, bool)),
    "str": ("a string", lambda v: isinstance(v, str)),
    "size": ("an integer or an [h, w] pair of integers",
             lambda v: _is_int(v) or (isinstance(v, list) and len(v) == 2 and all(_is_int(x) for x in v))),
    "activation": ("a Keras activation name", _is_activation),
}


class Param:
    def __init__(self, name: str, kind: str, default: Optional[Value]):
        self.name, self.kind, self.default = name, kind, default


class Module:
    def __init__(self, name: str, params: dict[str, Param], blocks: Value, where):
        self.name, self.params, self.blocks, self.where = name, params, blocks, where


def inline_modules(root: Value) -> tuple[Value, dict[SpecPath, str]]:
    """``root`` without ``modules``, every use of one replaced by its blocks; and path -> module of each use."""
    modules = _definitions(root.get("modules"))
    root = document.without(root, "modules")
    uses: dict[SpecPath, str] = {}
    blocks = root.get("blocks")
    if blocks is not None and blocks.is_list and modules:
        root = root.with_items({**root.data, "blocks": _inline_list(blocks, ("blocks",), modules, uses, [])})
    return root, uses


# ------------------------------------------------------------------ definitions


def _definitions(node: Optional[Value]) -> dict[str, Module]:
    from .blocks import block_types

    if node is None:
        return {}
    if not node.is_map:
        fail(node.where, "must map module names to {params: {...}, blocks: [...]}", ("modules",))
    builtins = set(block_types())
    modules: dict[str, Module] = {}
    for name, body in node.data.items():
        at = ("modules", name)
        if name in builtins:
            fail(node.key_where(name), f"module {name!r} would shadow the built-in block type {name!r}; choose "
                 "another name", at)
        if not _MODULE_NAME.fullmatch(name):
            fail(node.key_where(name), f"module name {named(name)} must be a word: letters, digits and _", at)
        if not body.is_map:
            fail(body.where, "a module is {params: {NAME: TYPE, ...}, blocks: [...]}", at)
        _known_keys(body, ("params", "blocks", "description"), at, "a module takes params, blocks and description")
        blocks = body.get("blocks")
        if blocks is None or not blocks.is_list or not blocks.data:
            fail(blocks.where if blocks is not None else body.where, "a module needs 'blocks': a non-empty list "
                 "of blocks", at + ("blocks",))
        params = _params(body.get("params"), at + ("params",))
        _check_dollars(blocks, params, at + ("blocks",))
        _check_fields(blocks, at + ("blocks",))
        modules[name] = Module(name, params, blocks, node.key_where(name))
    _check_cycles(modules)
    return modules


def _known_keys(mapping: Value, known: tuple[str, ...], at: SpecPath, what: str) -> None:
    for key in mapping.data:
        if key not in known:
            from .messages import closest

            match = closest(key, list(known))
            hint = f"; did you mean {match!r}?" if match else ""
            fail(mapping.key_where(key), f"unknown key {named(key)}{hint} ({what})", at + (key,))


def _params(node: Optional[Value], at: SpecPath) -> dict[str, Param]:
    if node is None:
        return {}
    if not node.is_map:
        fail(node.where, "must map parameter names to a type (int, float, bool, str, size, activation) or to "
             "{type: TYPE, default: VALUE}", at)
    params = {}
    for name, spec in node.data.items():
        where = node.key_where(name)
        if not _PARAM_NAME.fullmatch(name):
            fail(where, f"parameter name {named(name)} must be a word: letters, digits and _", at + (name,))
        if name in USE_KEYS:
            fail(where, f"{name!r} is taken by every module use (type, name, repeat, input); name the parameter "
                 "otherwise", at + (name,))
        default = None
        if spec.is_map:
            _known_keys(spec, ("type", "default", "description"), at + (name,),
                        "a parameter takes type, default and description")
            kind_value = spec.get("type")
            if kind_value is None:
                fail(spec.where, "give the parameter's type: {type: int, default: ...}", at + (name,))
            default = spec.get("default")
        else:
            kind_value = spec
        kind = kind_value.data
        if kind not in PARAM_TYPES:
            from .messages import closest

            match = closest(str(kind), list(PARAM_TYPES)) if isinstance(kind, str) else None
            hint = f"; did you mean {match!r}?" if match else ""
            shown = named(kind) if isinstance(kind, str) else repr(kind)
            fail(kind_value.where, f"unknown parameter type {shown}{hint} (one of {', '.join(PARAM_TYPES)})",
                 at + (name,))
        if default is not None:
            _check_type(default, kind, at + (name, "default"), f"the default of {name!r}")
        params[name] = Param(name, kind, default)
    return params


def _check_type(value: Value, kind: str, at: SpecPath, what: str) -> None:
    description, ok = PARAM_TYPES[kind]
    if ok(value.plain()):
        return
    hint = ""
    if kind == "activation" and isinstance(value.data, str):
        from .fields import ACTIVATIONS
        from .messages import closest

        match = closest(value.data, list(ACTIVATIONS))
        hint = f"; did you mean {match!r}?" if match else ""
    # a string with a look-alike or invisible character: escaped and named
    got = f"a string {named(value.data)}" if isinstance(value.data, str) and non_ascii_note(value.data) else \
        _describe(value)
    fail(value.where, f"{what} must be {description} ({kind}), not {got}{hint}", at)


def _describe(value: Value) -> str:
    from .messages import describe

    return describe(value.plain())


def _dollar_name(text: str) -> Optional[str]:
    """The parameter a string stands for (``"$squeeze"`` -> ``squeeze``); None for ``$$...`` and other text."""
    if not text.startswith("$") or text.startswith("$$"):
        return None
    return text[1:]


def _check_dollars(node: Value, params: dict[str, Param], at: SpecPath) -> None:
    """Every ``$p`` in a module's blocks names a declared parameter."""
    if node.is_map:
        for key, value in node.data.items():
            _check_dollars(value, params, at + (key,))
    elif node.is_list:
        for i, value in enumerate(node.data):
            _check_dollars(value, params, at + (i,))
    elif isinstance(node.data, str):
        name = _dollar_name(node.data)
        if name is None or name in params:
            return
        from .messages import closest

        match = closest(name, list(params))
        hint = f"; did you mean '${match}'?" if match else ""
        declared = ", ".join(params) or "none"
        if not _PARAM_NAME.fullmatch(name):
            fail(node.where, f"{named(node.data)} is not a parameter ('$' and a parameter's name); write '$$' for a "
                 "literal '$'", at)
        fail(node.where, f"'${name}' is not a parameter of this module{hint} (declared: {declared}); declare it "
             "under params", at)


def _check_fields(blocks: Value, at: SpecPath) -> None:
    """Every key of a built-in block in a module's blocks is one of its fields, used or not: the values
    wait for a use (they may be parameters), a misspelt key need not."""
    from .blocks import block_class
    from .messages import closest

    for i, block in enumerate(blocks.data):
        kind = block.get("type")
        cls = block_class(kind.data) if kind is not None and isinstance(kind.data, str) else None
        if cls is None:
            continue  # a module use (checked at each use), or a type the spec model will report
        fields = {f.alias or name for name, f in cls.model_fields.items()}
        for key in block.data:
            if key not in fields:
                match = closest(key, sorted(fields))
                hint = f"; did you mean {match!r}?" if match else ""
                fail(block.key_where(key), f"unknown field {named(key)} of {kind.data}{hint}", at + (i, key))
        for key, inner in document.child_lists(block):
            _check_fields(inner, at + (i,) + key)


def _used_modules(node: Value, modules: dict[str, Module], at: SpecPath):
    """(module name, where, path) of every use of a module inside ``node``."""
    if node.is_map:
        kind = node.get("type")
        if kind is not None and isinstance(kind.data, str) and kind.data in modules:
            yield kind.data, kind.where, at + ("type",)
        for key, value in node.data.items():
            yield from _used_modules(value, modules, at + (key,))
    elif node.is_list:
        for i, value in enumerate(node.data):
            yield from _used_modules(value, modules, at + (i,))


def _check_cycles(modules: dict[str, Module]) -> None:
    done: set[str] = set()

    def visit(name: str, chain: list[str]) -> None:
        if name in done:
            return
        for used, where, path in _used_modules(modules[name].blocks, modules, ("modules", name, "blocks")):
            if used in chain + [name]:
                loop = " -> ".join(chain[chain.index(used):] + [name, used] if used in chain else [name, used])
                fail(where, f"module {name!r} uses {used!r}, which leads back to it ({loop}); a module may use "
                     "other modules, not itself", path)
            visit(used, chain + [name])
        done.add(name)

    for name in modules:
        visit(name, [])


# ------------------------------------------------------------------ uses


def _inline_list(blocks: Value, path: SpecPath, modules: dict[str, Module], uses: dict[SpecPath, str],
                 stack: list[str]) -> Value:
    from .blocks import block_class

    items = []
    for i, block in enumerate(blocks.data):
        at = path + (i,)
        kind = block.get("type") if block.is_map else None
        if kind is not None and isinstance(kind.data, str) and kind.data in modules:
            items.append(_inline_use(block, at, modules[kind.data], modules, uses, stack))
            continue
        if kind is not None and isinstance(kind.data, str) and block_class(kind.data) is None and modules:
            _unknown_type(kind, at, modules)
        for key, inner in list(document.child_lists(block)):
            block = document.replace_at(block, key, _inline_list(inner, at + key, modules, uses, stack))
        items.append(block)
    return blocks.with_items(items)


def _unknown_type(kind: Value, at: SpecPath, modules: dict[str, Module]) -> None:
    from .blocks import block_types
    from .messages import closest

    match = closest(kind.data, list(modules) + list(block_types()))
    if match in modules:  # a misspelt module; a misspelt built-in is the spec model's to report
        fail(kind.where, f"unknown block type {named(kind.data)}; did you mean the module {match!r}?", at + ("type",))


def _inline_use(use: Value, path: SpecPath, module: Module, modules: dict[str, Module],
                uses: dict[SpecPath, str], stack: list[str]) -> Value:
    """The ``sequence`` a use of ``module`` at ``path`` becomes."""
    for key in use.data:
        if key not in USE_KEYS and key not in module.params:
            from .messages import closest

            candidates = list(module.params) + ["name", "repeat", "input"]
            match = closest(key, candidates)
            hint = f"; did you mean {match!r}?" if match else ""
            takes = ", ".join(module.params) or "no parameters"
            fail(use.key_where(key), f"module {module.name!r} has no parameter {named(key)}{hint} (it takes {takes}; "
                 "and name, repeat, input)", path + (key,))
    bindings: dict[str, Value] = {}
    missing = []
    for name, param in module.params.items():
        value = use.get(name)
        if value is None:
            if param.default is None:
                missing.append(f"{name!r} ({param.kind})")
                continue
            value = param.default
        else:
            _check_type(value, param.kind, path + (name,), f"parameter {name!r} of module {module.name!r}")
        bindings[name] = value
    if missing:
        fail(use.get("type").where, f"module {module.name!r} needs parameter{'s' if len(missing) > 1 else ''} "
             f"{', '.join(missing)}", path)
    body = _substitute(module.blocks, bindings)
    body = _inline_list(body, path + ("blocks",), modules, uses, stack + [module.name])
    uses[path] = module.name
    kind = use.get("type")
    data = {"type": Value("sequence", kind.where)}
    keys = {"type": use.key_where("type")}
    for key in ("name", "repeat", "input"):
        if key in use.data:
            data[key], keys[key] = use.data[key], use.key_where(key)
    data["blocks"], keys["blocks"] = body, module.where
    return Value(data, use.where, keys)


def _substitute(node: Value, bindings: dict[str, Value]) -> Value:
    if node.is_map:
        return node.with_items({k: _substitute(v, bindings) for k, v in node.data.items()})
    if node.is_list:
        return node.with_items([_substitute(v, bindings) for v in node.data])
    if isinstance(node.data, str) and node.data.startswith("$"):
        if node.data.startswith("$$"):
            return Value(node.data[1:], node.where)
        return bindings[node.data[1:]]
    return node


def json_schema() -> dict:
    """The JSON Schema of ``modules`` and of a module use (what an editor can check without the file's modules)."""
    from .fields import NAME_PATTERN

    word = {"type": "string", "pattern": WORD_PATTERN, "maxLength": 128}
    name = {"type": "string", "pattern": NAME_PATTERN, "maxLength": 128}
    kind = {"enum": list(PARAM_TYPES), "description": "The parameter's type."}
    param = {"anyOf": [kind, {"type": "object", "additionalProperties": False, "required": ["type"],
                              "properties": {"type": kind, "default": {"description": "Its value when a use "
                                                                       "does not give one."},
                                             "description": {"type": "string"}}}]}
    module = {
        "type": "object", "additionalProperties": False, "required": ["blocks"],
        "description": "A module: typed parameters, and the blocks a use of it becomes ($p is a parameter's value).",
        "properties": {
            "description": {"type": "string", "description": "Free text about the module."},
            "params": {"type": "object", "description": "Parameter name -> type, or {type, default}.",
                       "propertyNames": word, "additionalProperties": param,
                       "examples": [{"squeeze": "int", "expand": {"type": "int", "default": 64}}]},
            "blocks": {"type": "array", "minItems": 1, "description": "The module's blocks, in order; a whole "
                       "value '$p' is parameter p ('$$' writes a literal '$').",
                       "items": {"type": "object", "required": ["type"]}},
        },
    }
    use = {
        "type": "object", "required": ["type"],
        "description": "A use of a module defined under 'modules' (here or in a base): its parameters, and name, "
        "repeat, input. Only validate checks the parameters.",
        "properties": {"type": {**word, "description": "The module's name."},
                       "name": {**name, "description": "The use's name: a handle, and the prefix of its layers."},
                       "repeat": {"type": "integer", "minimum": 1, "description": "How many copies, chained."},
                       "input": {**name, "description": "Take this earlier block's output."}},
    }
    return {"modules": {"type": "object", "description": "Parameterised blocks of this file, used as "
                        "{type: MODULE, ...}.", "propertyNames": word, "additionalProperties": module},
            "ModuleUse": use}
