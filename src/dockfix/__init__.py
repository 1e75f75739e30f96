"""dockfix: a codemod for Dockerfiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .parser import parse
from .tree import ParseError

__version__ = "0.1.0"
__all__ = ["parse", "fix", "ParseError", "Edit", "Fix", "Finding", "Safety", "__version__"]

if TYPE_CHECKING:
    from .engine import FixResult


def fix(text: str, path: str = "Dockerfile", select=None, unsafe: bool = False, **kw: Any) -> "FixResult":
    """Apply dockfix's rules to ``text``; see :func:`dockfix.engine.fix`."""
    from .engine import fix as _fix

    return _fix(text, path=path, select=select, unsafe=unsafe, **kw)


def __getattr__(name: str) -> Any:
    if name in ("Edit", "Fix", "Finding", "Safety"):
        from . import rules

        return getattr(rules, name)
    raise AttributeError(name)
