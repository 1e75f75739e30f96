"""Helpers several rules share: literal WORKDIR/COPY words, persistent
chains for linear-time facts, per-instruction memos.  (Stages, WORKDIR,
USER, SHELL, ENV… in effect: :mod:`dockfix.model`.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from . import lexing
from .tree import Dockerfile, Instruction

T = TypeVar("T")
_WINDOWS_ABS = re.compile(r"^([A-Za-z]:|\\\\|\\)")


def word_value(raw: str) -> str | None:
    """A WORKDIR/COPY word with quotes and escapes processed, or None when it
    contains variables or is not a single word."""
    if "$" in raw:
        return None
    words = lexing.shell_words(raw, raw=False)
    if not words or len(words) != 1:
        return None
    return words[0][0]


def is_absolute(path: str) -> bool:
    return path.startswith("/") or bool(_WINDOWS_ABS.match(path))


class Chain:
    """The instructions before one, in order: a persistent list in which each
    chain shares the one it extends, so that a chain per instruction costs
    O(1), and questions about all earlier instructions (``any``, ``fold``)
    are answered once per instruction for the whole file, not once per
    asker."""

    __slots__ = ("_memo", "ins", "prev")

    def __init__(self, prev: Chain | None = None, ins: Instruction | None = None) -> None:
        self.prev = prev
        self.ins = ins
        self._memo: dict[object, Any] | None = None

    def then(self, ins: Instruction) -> Chain:
        return Chain(self, ins)

    def fold(self, key: object, step: Callable[[T, Instruction], T], init: T) -> T:
        """``step(…step(step(init, ins1), ins2)…, insN)``, memoized under
        ``key`` at every node (``key`` must name ``step`` and ``init``)."""
        todo: list[Chain] = []
        node: Chain | None = self
        acc = init
        while node is not None and node.prev is not None:
            memo = node._memo
            if memo is not None and key in memo:
                acc = memo[key]
                break
            todo.append(node)
            node = node.prev
        for done in reversed(todo):
            assert done.ins is not None
            acc = step(acc, done.ins)
            if done._memo is None:
                done._memo = {}
            done._memo[key] = acc
        return acc

    def any(self, key: object, pred: Callable[[Instruction], object]) -> bool:
        """Does ``pred`` hold for an instruction of the chain?"""
        return self.fold(("any", key), lambda acc, ins: acc or bool(pred(ins)), False)


def per_instruction(tree: Dockerfile, key: object, fn):
    """``fn(ins)`` worked out once per instruction of ``tree`` (under
    ``key``, which must name ``fn``): for facts of one instruction that
    many askers need (every command of a RUN, every later RUN)."""
    cache = tree.memo.setdefault(("per_instruction", key), {})

    def memoized(ins):
        k = id(ins)
        if k not in cache:  # type: ignore[operator]
            cache[k] = fn(ins)  # type: ignore[index]
        return cache[k]  # type: ignore[index]

    return memoized


__all__ = [
    "Chain",
    "is_absolute",
    "per_instruction",
    "word_value",
]
