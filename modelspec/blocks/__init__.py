"""Every block type, registered by ``type:`` tag, and the discriminated union that validates them.

To add a block: write its model (fields + ``expand``) in a module here, decorate
it with :func:`~modelspec.blocks.registry.register`, and import the module below.
"""

from typing import Annotated, Union

from pydantic import Field

from . import composite, densenet, inception, merge, mobile, residual, single, vgg  # noqa: F401  (they register)
from .base import Block, BlockBase, child_lists
from .registry import block_class, block_class_of, block_classes, block_types

AnyBlock = Annotated[Union[block_classes()], Field(discriminator="type")]  # type: ignore[valid-type]
"""Any registered block, told apart by its ``type``."""

# The composites' fields say "AnyBlock", which exists only now: give their module the name, so that
# pydantic resolves it when their validators are first built (as part of ModelSpec's), rather than
# rebuilding them here, which would build every block's validator twice more at import.
composite.AnyBlock = AnyBlock

__all__ = ["AnyBlock", "Block", "BlockBase", "child_lists", "block_class", "block_class_of", "block_classes", "block_types"]
