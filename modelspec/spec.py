"""The top-level spec model and ``defaults``, and validating a loaded document into it."""

import copy
import functools
from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from .blocks import AnyBlock, block_class_of, child_lists
from .errors import Problem, SpecError, SpecPath
from .expect import Expect
from .fields import Activation, BatchNorm, Initializer, InputShape, Name
from .source import Source


class InputSpec(BaseModel):
    """A model input, channels last."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built on first use

    shape: InputShape = Field(
        description="[height, width, channels] (height and width may be null: any size), or [features]."
    )


class Defaults(BaseModel):
    """Values for optional fields of every block that has them, unless the block sets its own."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # built on first use

    activation: Optional[Activation] = Field(None, description="Default Keras activation.")
    batch_norm: Optional[BatchNorm] = Field(None, description="Default batch-norm setting.")
    kernel_initializer: Optional[Initializer] = Field(None, description="Default Keras kernel initializer.")
    use_bias: Optional[bool] = Field(None, strict=True, description="Default for use_bias.")


class ModelSpec(BaseModel):
    """A model: its inputs, a graph of blocks, and its outputs (by default the last block's)."""

    # built on first use: a spec whose blocks are all of a few simple types is validated by a subclass
    # that knows only those (see _model_for), which builds in a third of the time at every start
    model_config = ConfigDict(extra="forbid", frozen=True, title="modelspec model file", defer_build=True)

    name: Name = Field(description="Model name: [A-Za-z_][A-Za-z0-9_.-]*.")
    description: Optional[str] = Field(None, strict=True, description="Free text about the model.")
    input: Optional[InputSpec] = Field(None, description="The model input (one input, named 'input'); "
                                       "for several, use 'inputs'.")
    inputs: Optional[dict[Name, InputSpec]] = Field(
        None, min_length=1, description="Several named model inputs, in order: {NAME: {shape: [...]}, ...}. "
        "Blocks refer to them by name; instead of 'input'.")
    outputs: Optional[list[Name]] = Field(
        None, min_length=1, description="The model outputs, in order: names of blocks. "
        "Default: the last top-level block.")
    defaults: Optional[Defaults] = Field(
        None, description="Values for optional fields (activation, batch_norm, kernel_initializer, use_bias) "
        "of every block that has them and does not set them itself.",
    )
    blocks: list[AnyBlock] = Field(min_length=1, description="The blocks, input to output.")
    expect: Optional[Expect] = Field(
        None, description="Figures the model must have (params, trainable_params, macs, output_shape(s), "
        "max_params, max_macs); validate and build fail, at the figure, when it does not.")
    training: Optional[Any] = Field(
        None, description="How to train the model: optimizer, schedule, loss, metrics, precision, epochs, "
        "batch_size (see modelspec.training; parse_spec validates it).")

    _source: Optional[Source] = PrivateAttr(None)

    def input_shapes(self) -> dict[str, tuple]:
        """Model input name -> shape, in order (a v1 ``input`` is named ``input``)."""
        if self.inputs is None:
            return {"input": tuple(self.input.shape)}
        return {name: tuple(spec.shape) for name, spec in self.inputs.items()}

    def input_path(self, name: str) -> SpecPath:
        """Where input ``name`` is written in the spec."""
        return ("input",) if self.inputs is None else ("inputs", name)

    @property
    def source(self) -> Optional[Source]:
        """Where this spec was read from, for locating later errors."""
        return self._source


_MODELS = {(): ModelSpec, ("input",): InputSpec, ("defaults",): Defaults, ("expect",): Expect}  # for did-you-mean


def parse_spec(source: Source) -> ModelSpec:
    """Validate a loaded document into a :class:`ModelSpec`, or raise a located :class:`SpecError`."""
    data = source.data
    if not isinstance(data, dict):
        from .messages import describe  # error wording is loaded only when an error is met

        raise SpecError(f"a spec must be a mapping with name, input and blocks, not {describe(data)}").located(source)
    early: list[SpecError] = []  # problems found before the whole model is validated, reported with its own
    if "$schema" in data and not isinstance(data["$schema"], str):
        from .messages import describe

        early.append(SpecError(f"must be a string (the schema's URL or path), not {describe(data['$schema'])}",
                               ("$schema",)).located(source))
    data = {k: v for k, v in data.items() if k != "$schema"}  # a spec file may name its schema
    if isinstance(data.get("defaults"), dict):
        written = dict(data["defaults"])
        try:
            Defaults.model_validate(written)
        except ValidationError as e:
            errors = e.errors(include_url=False)
            early.append(_spec_error(errors, written, ("defaults",), source))
            bad = {error["loc"][0] for error in errors if error["loc"]}  # the blocks get the valid ones
            written = {k: v for k, v in written.items() if k not in bad and k in Defaults.model_fields}
            data["defaults"] = written
        # the values as written (a batch_norm mapping keeps only its own keys, so a family block's own
        # epsilon survives `defaults: {batch_norm: {momentum: 0.9}}`), now known to be valid
        written = {k: v for k, v in written.items() if v is not None}
        data["blocks"] = _apply_defaults(data.get("blocks"), written)
    # 'input' and 'inputs' are each optional, but one of them is required: reported as a missing 'input'
    if "input" in data and "inputs" in data:
        raise SpecError(Problem("give either 'input' (one input) or 'inputs' (several named ones), not both",
                                ("inputs",), at_key=True)).located(source)
    no_input = [] if "input" in data or "inputs" in data else [_MISSING_INPUT]
    for key in ("input", "inputs"):
        if key in data and data[key] is None:  # optional, but null is not a way to leave it out
            early.append(SpecError(Problem("must be a mapping, not null", (key,))).located(source))
            data = {k: v for k, v in data.items() if k != key}
    if data.get("training") is not None:  # its models are built only for a spec that has the section
        from .training import parse_training

        try:
            data["training"] = parse_training(data["training"], source)
        except SpecError as e:  # reported with the rest of the spec's problems
            early.append(e)
            data["training"] = None
    try:
        spec = _model_for(data).model_validate(data)
    except ValidationError as e:
        errors = sorted(e.errors(include_url=False) + no_input, key=_field_order)
        raise _with(_spec_error(errors, data, (), source), early, source) from None
    if no_input:
        raise _with(_spec_error(no_input, data, (), source), early, source)
    if early:
        raise _with(early[0], early[1:], source)
    spec._source = source
    return spec


def _model_for(data: dict) -> type[ModelSpec]:
    """The model to validate ``data`` with: ModelSpec, or a ModelSpec whose blocks are only the types
    ``data`` uses, when they are all registered types that hold no other blocks (the same fields, the
    same errors: a type it does not know, or a composite, takes the whole union)."""
    blocks = data.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return ModelSpec
    tags = set()
    for block in blocks:
        cls = block_class_of(block)
        if cls is None or cls.nested:
            return ModelSpec
        tags.add(block["type"])
    return _specialised(frozenset(tags))


@functools.lru_cache(maxsize=32)
def _specialised(tags: frozenset) -> type[ModelSpec]:
    from typing import Annotated, Union

    from pydantic import create_model

    from .blocks import block_class

    classes = tuple(block_class(tag) for tag in sorted(tags))
    if len(classes) == 1:  # a discriminated union needs two members; one more changes no error
        classes += (block_class("flatten" if "flatten" not in tags else "dense"),)
    blocks = Annotated[Union[classes], Field(discriminator="type")]  # type: ignore[valid-type]
    field = ModelSpec.model_fields["blocks"]
    return create_model(ModelSpec.__name__, __base__=ModelSpec, __module__=__name__,
                        blocks=(list[blocks], Field(min_length=1, description=field.description)))


def _field_order(error: dict) -> int:
    """Errors in the order of the top-level fields they are about (so 'input' is named before 'blocks')."""
    fields = list(ModelSpec.model_fields)
    first = error["loc"][0] if error["loc"] else None
    return fields.index(first) if first in fields else len(fields)


_MISSING_INPUT = {"type": "missing", "loc": ("input",), "msg": "Field required", "input": None}


def _with(error: SpecError, others: list[SpecError], source: Source) -> SpecError:
    """``error``'s and ``others``' problems together, in source order."""
    if not others:
        return error
    return SpecError(error.problems + [p for other in others for p in other.problems]).located(source)


def _spec_error(errors: list[dict], data: Any, path: tuple, source: Source) -> SpecError:
    from .messages import spec_error  # loaded only for an invalid spec (it brings difflib)

    return spec_error(errors, data, path, source, models=_MODELS).located(source)


def _apply_defaults(blocks: Any, values: dict) -> Any:
    """Copy each default into every block (at any depth) whose type has that optional field and lacks it."""
    if not isinstance(blocks, list):
        return blocks
    return [_with_defaults(block, values) for block in blocks]


def _with_defaults(block: Any, values: dict) -> Any:
    cls = block_class_of(block)
    if cls is None:
        return block
    block = dict(block)
    for key, value in values.items():
        field = cls.model_fields.get(key)
        if field is not None and not field.is_required() and key not in block:
            block[key] = copy.deepcopy(value)
    for path, inner in list(child_lists(block)):
        filled = [_with_defaults(b, values) for b in inner]
        if len(path) == 1:
            block[path[0]] = filled
        else:
            key, i = path
            block[key] = list(block[key])
            block[key][i] = filled
    return block
