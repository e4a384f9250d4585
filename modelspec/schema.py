"""The JSON Schema editors and CI use, generated from the pydantic models.

Pydantic exports the block union as ``oneOf`` + ``discriminator``; ``jsonschema``
and editors then report a typo inside a ``vgg`` block against every other block
type too. The block list is reshaped into one ``if type == X then X's schema``
rule per type, so an error inside a block is reported against that block's own
fields, and an unknown ``type`` gets the list of valid ones.
"""

from __future__ import annotations

import json
from functools import lru_cache

from .blocks import BLOCK_TYPES
from .spec import ModelSpec

SCHEMA_ID = "https://modelspec.dev/schemas/modelspec.schema.json"


@lru_cache(maxsize=1)
def json_schema() -> dict:
    """The JSON Schema (draft 2020-12) of a spec file."""
    schema = ModelSpec.model_json_schema()
    refs = {tag: f"#/$defs/{cls.__name__}" for tag, cls in BLOCK_TYPES.items()}
    schema["properties"]["blocks"]["items"] = {
        "type": "object",
        "description": "A block; its 'type' decides which other fields it takes.",
        "required": ["type"],
        "properties": {"type": {"enum": sorted(BLOCK_TYPES), "description": "Which block this is."}},
        "allOf": [
            {"if": {"properties": {"type": {"const": tag}}, "required": ["type"]}, "then": {"$ref": ref}}
            for tag, ref in sorted(refs.items())
        ],
    }
    schema["properties"] = {
        "$schema": {"type": "string", "description": "The schema this file follows (ignored by modelspec)."},
        **schema["properties"],
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    """The schema as the file ``schemas/modelspec.schema.json`` holds it."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
