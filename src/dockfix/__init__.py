"""dockfix: a codemod for Dockerfiles."""

from __future__ import annotations

TYPE_CHECKING = False  # not even typing is imported eagerly

__version__ = "0.1.0"
__all__ = ["parse", "fix", "ParseError", "Edit", "Fix", "Finding", "Safety", "__version__"]

# Nothing is imported eagerly: the command line imports this package first
# and installs its Ctrl-C handler only after that (an early Ctrl-C must not
# meet a half-imported parser and print a traceback).
if TYPE_CHECKING:
    from typing import Any

    from .engine import FixResult
    from .parser import parse
    from .tree import ParseError


def fix(text: str, path: str = "Dockerfile", select=None, unsafe: bool = False, **kw: Any) -> FixResult:
    """Apply dockfix's rules to ``text``; see :func:`dockfix.engine.fix`."""
    from .engine import fix as _fix

    return _fix(text, path=path, select=select, unsafe=unsafe, **kw)


def __getattr__(name: str) -> Any:
    if name == "parse":
        from .parser import parse

        return parse
    if name == "ParseError":
        from .tree import ParseError

        return ParseError
    if name in ("Edit", "Fix", "Finding", "Safety"):
        from . import rules

        return getattr(rules, name)
    raise AttributeError(name)
