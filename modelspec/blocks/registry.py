"""The one registry of block types: ``type:`` tag -> block model.

Everything that dispatches on a block's ``type`` (validation through the
discriminated union, error wording, ``defaults``, the JSON Schema, the
property test) asks this registry; nothing else keeps a list of types.
Registering a tag twice fails at import, naming both classes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional

if TYPE_CHECKING:  # pragma: no cover
    from .base import Block

_BLOCKS: dict[str, type["Block"]] = {}


def register(cls: type["Block"]) -> type["Block"]:
    """Class decorator: make ``cls`` the block of its ``type`` tag."""
    (tag,) = cls.model_fields["type"].annotation.__args__
    if tag in _BLOCKS:
        raise TypeError(f"block type {tag!r} is registered twice: by {_BLOCKS[tag].__qualname__} "
                        f"({_BLOCKS[tag].__module__}) and by {cls.__qualname__} ({cls.__module__})")
    _BLOCKS[tag] = cls
    return cls


def block_class(tag: Any) -> Optional[type["Block"]]:
    """The block model of a ``type`` tag, or None when ``tag`` names no block."""
    return _BLOCKS.get(tag) if isinstance(tag, str) else None


def block_class_of(data: Any) -> Optional[type["Block"]]:
    """The block model a spec mapping ``{type: ..., ...}`` asks for, or None."""
    return block_class(data.get("type")) if isinstance(data, dict) else None


def block_types() -> list[str]:
    """Every registered tag, sorted."""
    return sorted(_BLOCKS)


def block_classes() -> tuple[type["Block"], ...]:
    """Every registered block model, in registration order."""
    return tuple(_BLOCKS.values())
