"""The top-level spec model and ``defaults``, and validating a loaded document into it."""

import copy
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .blocks import BLOCK_TYPES, AnyBlock
from .errors import SpecError
from .fields import Activation, BatchNorm, Initializer, Name, OptionalSize, PositiveInt
from .source import Source


class InputSpec(BaseModel):
    """The model input, channels last."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built on first use

    shape: tuple[OptionalSize, OptionalSize, PositiveInt] = Field(
        description="[height, width, channels]; height and width may be null (any size)."
    )


class Defaults(BaseModel):
    """Values for optional fields of every block that has them, unless the block sets its own."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built on first use

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


_MODELS = {(): ModelSpec, ("input",): InputSpec, ("defaults",): Defaults}  # for did-you-mean


def parse_spec(source: Source) -> ModelSpec:
    """Validate a loaded document into a :class:`ModelSpec`, or raise a located :class:`SpecError`."""
    data = source.data
    if not isinstance(data, dict):
        from .messages import describe  # error wording is loaded only when an error is met

        raise SpecError(f"a spec must be a mapping with name, input and blocks, not {describe(data)}").located(source)
    if "$schema" in data and not isinstance(data["$schema"], str):
        from .messages import describe

        raise SpecError(f"must be a string (the schema's URL or path), not {describe(data['$schema'])}",
                        ("$schema",)).located(source)
    data = {k: v for k, v in data.items() if k != "$schema"}  # a spec file may name its schema
    if isinstance(data.get("defaults"), dict):
        try:
            defaults = Defaults.model_validate(data["defaults"])
        except ValidationError as e:
            raise _spec_error(e, data["defaults"], ("defaults",), source) from None
        data["blocks"] = _apply_defaults(data.get("blocks"), defaults)
    try:
        spec = ModelSpec.model_validate(data)
    except ValidationError as e:
        raise _spec_error(e, data, (), source) from None
    spec._source = source
    return spec


def _spec_error(e: ValidationError, data: Any, path: tuple, source: Source) -> SpecError:
    from .messages import spec_error  # loaded only for an invalid spec (it brings difflib)

    return spec_error(e, data, path, source, models=_MODELS).located(source)


def _apply_defaults(blocks: Any, defaults: Defaults) -> Any:
    """Copy each default into every block whose type has that optional field and lacks it."""
    if not isinstance(blocks, list):
        return blocks
    values = defaults.model_dump(exclude_none=True)
    result = []
    for block in blocks:
        tag = block.get("type") if isinstance(block, dict) else None
        cls = BLOCK_TYPES.get(tag) if isinstance(tag, str) else None
        if cls is not None:
            block = dict(block)
            for key, value in values.items():
                field = cls.model_fields.get(key)
                if field is not None and not field.is_required() and key not in block:
                    block[key] = copy.deepcopy(value)
        result.append(block)
    return result
