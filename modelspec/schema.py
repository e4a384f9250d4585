"""The JSON Schema editors and CI use, generated from the pydantic models.

Pydantic exports the block union as ``oneOf`` + ``discriminator``; ``jsonschema``
and editors then report a typo inside a ``vgg`` block against every other block
type too. Every place a block may stand (the top-level list, a ``sequence``'s
``blocks``, each branch of a ``parallel``) is pointed instead at one
definition, ``#/$defs/Block``: one ``if type == X then X's schema`` rule per
registered type, so an error inside a block is reported against that block's
own fields at any depth, and an unknown ``type`` gets the list of valid ones.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from .blocks import block_class, block_types
from .initializers import CLASSES as INITIALIZER_CLASSES
from .spec import ModelSpec

SCHEMA_ID = "https://modelspec.dev/schemas/modelspec.schema.json"
BLOCK_REF = "#/$defs/Block"
MODULE_FILE_BLOCK_REF = "#/$defs/BlockInModuleFile"
INITIALIZER_REF = "#/$defs/InitializerClass"


@lru_cache(maxsize=1)
def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a spec file."""
    schema = ModelSpec.model_json_schema()
    schema = _point_unions_at_block(schema)
    schema["$defs"]["Block"] = _dispatcher("type", "A block; its 'type' decides which other fields it takes.",
                                           {tag: block_class(tag).__name__ for tag in block_types()})
    schema["$defs"]["InitializerClass"] = _dispatcher(
        "class", "A Keras initializer class and its arguments; 'class' decides which arguments it takes.",
        {name: name for name in INITIALIZER_CLASSES})
    from .training import json_schema_defs  # the training section's models (spec.py keeps it loose)

    schema["$defs"].update(json_schema_defs())
    schema["properties"]["training"] = {"$ref": "#/$defs/Training",
                                        "description": schema["properties"]["training"]["description"]}
    _add_composing_keys(schema)
    schema["properties"] = {
        "$schema": {"type": "string", "description": "The schema this file follows (ignored by modelspec)."},
        **schema["properties"],
    }
    from .schema_docs import add_editor_help  # examples on every field, a snippet per block type

    add_editor_help(schema, {tag: block_class(tag).__name__ for tag in block_types()})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def _add_composing_keys(schema: dict) -> None:
    """``extends``, ``patch``, ``insert`` and ``modules``, which :mod:`.compose` resolves before the spec model.

    A file that extends another, or a file of modules only, need not be a whole model; any other file
    names its model, its blocks and one of 'input' and 'inputs' (as pydantic checks in parse_spec).
    In a file that has ``modules`` or ``extends``, blocks are checked against ``MODULE_FILE_BLOCK_REF``,
    where a type that is not a built-in one is taken for a module use (only ``validate`` knows the
    modules and checks a use's parameters); elsewhere an unknown type is an error, as before.
    """
    from .compose import json_schema_properties
    from .modules import json_schema as modules_schema

    defs, modules = schema["$defs"], modules_schema()
    schema["properties"].update(json_schema_properties(MODULE_FILE_BLOCK_REF))
    schema["properties"]["modules"] = modules["modules"]
    defs["ModuleUse"] = modules["ModuleUse"]
    names = {}
    for tag in block_types():  # composites hold blocks: their module-file copies hold module uses too
        name = block_class(tag).__name__
        if block_class(tag).nested:
            defs[name + "InModuleFile"] = _retarget(defs[name], BLOCK_REF, MODULE_FILE_BLOCK_REF)
            name += "InModuleFile"
        names[tag] = name
    loose = _dispatcher("type", "A block, or a use of a module; its 'type' decides which other fields it takes.",
                        names)
    builtins = loose["properties"]["type"]
    loose["properties"]["type"] = {"description": builtins["description"] + " A module's name, for a use of it.",
                                   "anyOf": [{"enum": builtins["enum"]}, modules["ModuleUse"]["properties"]["type"]]}
    loose["allOf"].append({"if": {"properties": {"type": {"not": {"enum": builtins["enum"]}}}},
                           "then": {"$ref": "#/$defs/ModuleUse"}})
    defs[MODULE_FILE_BLOCK_REF.rsplit("/", 1)[-1]] = loose
    blocks = schema["properties"]["blocks"]
    items = blocks.pop("items")
    schema["if"] = {"anyOf": [{"required": ["extends"]}, {"required": ["modules"]}]}
    schema["then"] = {"properties": {"blocks": {"items": {"$ref": MODULE_FILE_BLOCK_REF}}},
                      "not": {"required": ["input", "inputs"]}}
    schema["else"] = {"properties": {"blocks": {"items": items}}, "required": schema.pop("required"),
                      "oneOf": [{"required": ["input"]}, {"required": ["inputs"]}]}
    # a null 'input' or 'inputs' removes the base's (a merge); in a file without a base it is an error
    schema["allOf"] = [{"if": {"not": {"required": ["extends"]}},
                        "then": {"properties": {"input": {"type": "object"}, "inputs": {"type": "object"}}}}]


def _retarget(node: Any, old: str, new: str) -> Any:
    """A copy of ``node`` with every ``{"$ref": old}`` pointing at ``new``."""
    if isinstance(node, dict):
        return {k: (new if k == "$ref" and v == old else _retarget(v, old, new)) for k, v in node.items()}
    if isinstance(node, list):
        return [_retarget(v, old, new) for v in node]
    return node


def _is_block_union(node: dict) -> bool:
    return node.get("discriminator", {}).get("propertyName") == "type" and "oneOf" in node


_INITIALIZER_REFS = {f"#/$defs/{name}" for name in INITIALIZER_CLASSES}


def _is_initializer_union(node: dict) -> bool:
    refs = {choice.get("$ref") for choice in node.get("oneOf", [])}
    return _INITIALIZER_REFS <= refs


def _point_unions_at_block(node: Any) -> Any:
    """A copy of the schema with every discriminated block union replaced by a ``$ref`` to Block, and
    every initializer union by a name or a ``$ref`` to InitializerClass."""
    if isinstance(node, dict):
        if _is_block_union(node):
            return {"$ref": BLOCK_REF}
        if _is_initializer_union(node):
            names = next(choice for choice in node["oneOf"] if "enum" in choice)
            rest = {key: value for key, value in node.items() if key != "oneOf"}
            return {**rest, "anyOf": [names, {"$ref": INITIALIZER_REF}]}
        return {key: _point_unions_at_block(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_point_unions_at_block(value) for value in node]
    return node


def _dispatcher(key: str, description: str, classes: dict[str, str]) -> dict:
    """An object told apart by ``key``: one ``if key == X then X's schema`` rule per tag, so a mistake
    inside is reported against that variant's own fields."""
    return {
        "type": "object",
        "description": description,
        "required": [key],
        "properties": {key: {"enum": sorted(classes), "description": f"Which one this is ({key})."}},
        "allOf": [
            {"if": {"properties": {key: {"const": tag}}, "required": [key]}, "then": {"$ref": f"#/$defs/{name}"}}
            for tag, name in sorted(classes.items())
        ],
    }


def installed_schema() -> Path:
    """Where the package keeps its copy of the schema (generated by ``modelspec schema -o``; editors point at it)."""
    return Path(__file__).resolve().with_name("modelspec.schema.json")


def schema_text() -> str:
    """The schema as the file ``schemas/modelspec.schema.json`` holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
