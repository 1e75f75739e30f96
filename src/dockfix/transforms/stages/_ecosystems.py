"""The ecosystems the stage rules know, in the order they are tried.

The official images each one builds on are listed here, in a module that
imports nothing heavy: the stage rules check the final stage's image
against :data:`IMAGES` before they import the ecosystem modules (a file on
``debian`` or ``alpine`` never loads them)."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...model import StageInfo
    from ...rules import Context
    from ._split import Ecosystem

#: ecosystem name -> the official images its builds run on
IMAGES: dict[str, tuple[str, ...]] = {
    "python": ("python",),
    "node": ("node",),
    "go": ("golang",),
    "rust": ("rust",),
    "java": ("eclipse-temurin", "openjdk", "maven", "gradle", "amazoncorretto"),
}
#: every image of :data:`IMAGES`
ALL_IMAGES = frozenset(name for names in IMAGES.values() for name in names)


@lru_cache(maxsize=1)
def ecosystems() -> tuple[Ecosystem, ...]:
    """The ecosystems, in the order they are tried (imported on first use)."""
    from ._go import Go
    from ._java import Java
    from ._node import Node
    from ._python import Python
    from ._rust import Rust

    return (Python(), Node(), Go(), Rust(), Java())


def final_stage_on(ctx: Context, images: frozenset[str] | tuple[str, ...]) -> StageInfo | None:
    """The final stage when it is built on one of the official ``images``
    (not on another stage of the file, not on Windows), else None."""
    stage = ctx.model.final_stage
    if stage is None or stage.parent is not None or stage.ref is None or stage.windows:
        return None
    ref = stage.ref
    if not ref.official or not isinstance(ref.name, str) or ref.name not in images:
        return None
    return stage
