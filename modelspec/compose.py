"""From a spec file to the one document that is validated: bases, patches, overrides, modules.

(Scaffold: overrides and ``extends`` land in the following commits.)
"""

from __future__ import annotations

from typing import Optional, Sequence

from .loader import parse_text, read_source
from .source import Source


def load_source(path: str, overrides: Sequence[str] = (), *, text: Optional[str | bytes] = None) -> Source:
    """The resolved document of the spec at ``path``, every value located where it was written."""
    if text is not None:
        suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
        return parse_text(text, path, as_json=True if suffix == "json" else False if suffix in ("yaml", "yml") else None)
    return read_source(path)
