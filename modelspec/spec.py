"""The top-level spec model, ``defaults``, and pydantic errors turned into located problems."""

from __future__ import annotations

import copy
import difflib
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .blocks import BLOCK_TYPES, AnyBlock
from .errors import Problem, SpecError, SpecPath
from .fields import Activation, BatchNorm, BatchNormConfig, Initializer, Name, OptionalSize, PositiveInt
from .loader import Source


class InputSpec(BaseModel):
    """The model input, channels last."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shape: tuple[OptionalSize, OptionalSize, PositiveInt] = Field(
        description="[height, width, channels]; height and width may be null (any size)."
    )


class Defaults(BaseModel):
    """Values for optional fields of every block that has them, unless the block sets its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    activation: Optional[Activation] = Field(None, description="Default Keras activation.")
    batch_norm: Optional[BatchNorm] = Field(None, description="Default batch-norm setting.")
    kernel_initializer: Optional[Initializer] = Field(None, description="Default Keras kernel initializer.")
    use_bias: Optional[bool] = Field(None, strict=True, description="Default for use_bias.")


class ModelSpec(BaseModel):
    """A model: an input and a list of blocks; the last block's output is the model output."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="modelspec model file")

    name: Name = Field(description="Model name: [A-Za-z_][A-Za-z0-9_.-]*.")
    description: Optional[str] = Field(None, strict=True, description="Free text about the model.")
    input: InputSpec = Field(description="The model input.")
    defaults: Optional[Defaults] = Field(
        None, description="Values for optional fields (activation, batch_norm, kernel_initializer, use_bias) "
        "of every block that has them and does not set them itself.",
    )
    blocks: list[AnyBlock] = Field(min_length=1, description="The blocks, input to output.")

    _source: Optional[Source] = PrivateAttr(None)

    @property
    def source(self) -> Optional[Source]:
        """Where this spec was read from, for locating later errors."""
        return self._source


def parse_spec(source: Source) -> ModelSpec:
    """Validate a loaded document into a :class:`ModelSpec`, or raise a located :class:`SpecError`."""
    data = source.data
    if not isinstance(data, dict):
        raise SpecError(f"a spec must be a mapping with name, input and blocks, not {describe(data)}").located(source)
    data = {k: v for k, v in data.items() if k != "$schema"}  # a JSON file may name its schema
    if isinstance(data.get("defaults"), dict):
        try:
            defaults = Defaults.model_validate(data["defaults"])
        except ValidationError as e:
            raise _spec_error(e, data, ("defaults",)).located(source) from None
        data["blocks"] = _apply_defaults(data.get("blocks"), defaults)
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as e:
        raise _spec_error(e, data).located(source) from None
    spec._source = source
    return spec


def _apply_defaults(blocks: Any, defaults: Defaults) -> Any:
    """Copy each default into every block whose type has that optional field and lacks it."""
    if not isinstance(blocks, list):
        return blocks
    values = defaults.model_dump(exclude_none=True)
    result = []
    for block in blocks:
        cls = BLOCK_TYPES.get(block.get("type")) if isinstance(block, dict) else None
        if cls is not None:
            block = dict(block)
            for key, value in values.items():
                field = cls.model_fields.get(key)
                if field is not None and not field.is_required() and key not in block:
                    block[key] = copy.deepcopy(value)
        result.append(block)
    return result


# ----------------------------------------------------------------- pydantic errors


def _spec_error(error: ValidationError, data: Any, prefix: SpecPath = ()) -> SpecError:
    problems: dict[SpecPath, Problem] = {}
    for item in error.errors(include_url=False):
        path, value, parent = _data_path(data, prefix, item["loc"])
        problem = _problem(item, path, value, parent)
        problems.setdefault(problem.path, problem)  # union branches may repeat a place
    return SpecError(list(problems.values()))


def _data_path(data: Any, prefix: SpecPath, loc: tuple) -> tuple[SpecPath, Any, Any]:
    """Follow pydantic's ``loc`` through the data, dropping union tags it inserts.

    Returns the spec path as far as it exists in the data, the value found
    there, and its parent value.
    """
    path: list = list(prefix)
    node, parent = data, None
    tag_skipped = False
    for part in loc:
        at_block = len(path) == 2 and path[0] == "blocks" and isinstance(node, dict)
        if at_block and not tag_skipped and part == node.get("type") and part in BLOCK_TYPES:
            tag_skipped = True  # pydantic puts the block's tag right after its index
            continue
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node, parent = node[part], node
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node, parent = node[part], node
        elif part in ("int", "pair", "bool", "config"):
            continue  # the tag of a size or batch-norm union
        else:
            path.append(part)
            return tuple(path), _MISSING, node
        path.append(part)
    return tuple(path), node, parent


_MISSING = object()


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


def _problem(item: dict, path: SpecPath, value: Any, parent: Any) -> Problem:
    kind, ctx = item["type"], item.get("ctx") or {}
    name = path[-1] if path else None
    if kind == "missing":
        return Problem(f"missing required field {name!r}", path[:-1])
    if kind == "extra_forbidden":
        known = _known_fields(path[:-1], parent)
        return Problem(f"unknown field {name!r}{_did_you_mean(str(name), known)}", path, at_key=True)
    if kind == "union_tag_invalid":
        tags = sorted(BLOCK_TYPES)
        return Problem(f"unknown block type {ctx.get('tag')!r}{_did_you_mean(str(ctx.get('tag')), tags)} "
                       f"(known types: {', '.join(tags)})", path + ("type",))
    if kind == "union_tag_not_found":
        return Problem(f"a block needs a 'type' (one of: {', '.join(sorted(BLOCK_TYPES))})", path)
    if kind == "literal_error":
        expected = [e.strip().strip("'") for e in ctx.get("expected", "").replace(" or ", ", ").split(",")]
        allowed = ", ".join(expected) if len(expected) <= 6 else f"one of {len(expected)} Keras names"
        return Problem(f"{describe(value)} is not accepted{_did_you_mean(str(value), expected)} "
                       f"(allowed: {allowed})", path)
    if kind in _TYPE_WORDS:
        return Problem(f"must be {_TYPE_WORDS[kind]}, not {describe(value)}", path)
    bounds = {
        "greater_than": "must be greater than {gt}", "greater_than_equal": "must be at least {ge}",
        "less_than": "must be less than {lt}", "less_than_equal": "must be at most {le}",
        "too_short": "must have at least {min_length} item(s)", "too_long": "must have at most {max_length} items",
        "string_pattern_mismatch": "must match {pattern}", "string_too_long": "must have at most {max_length} characters",
        "finite_number": "must be a finite number",
    }
    if kind in bounds:
        message = bounds[kind].format(**ctx)
        if kind in ("too_short", "too_long") and isinstance(value, list):
            message += f" (it has {len(value)})"
        return Problem(message, path)
    if kind in ("size_type", "batch_norm_type"):
        return Problem(f"{item['msg']}, not {describe(value)}", path)
    if kind == "value_error":
        return Problem(str(ctx.get("error", item["msg"])), path)
    return Problem(item["msg"][:1].lower() + item["msg"][1:], path)


def _known_fields(path: SpecPath, parent: Any) -> list[str]:
    """Field names valid at ``path`` (a mapping in the spec), for did-you-mean."""
    models: dict[SpecPath, type[BaseModel]] = {(): ModelSpec, ("input",): InputSpec, ("defaults",): Defaults}
    if path in models:
        fields = list(models[path].model_fields)
        return fields + ["$schema"] if path == () else fields
    if path and path[-1] == "batch_norm":
        return list(BatchNormConfig.model_fields)
    if len(path) == 2 and path[0] == "blocks" and isinstance(parent, dict):
        cls = BLOCK_TYPES.get(parent.get("type"))
        if cls is not None:
            return list(cls.model_fields)
    return []


def _did_you_mean(word: str, candidates: list[str]) -> str:
    match = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""
