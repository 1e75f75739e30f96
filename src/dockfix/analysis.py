"""Helpers several rules share: literal WORKDIR/COPY words, persistent maps
and chains for linear-time facts, per-instruction memos.  (Stages, WORKDIR,
USER, SHELL, ENV… in effect: :mod:`dockfix.model`.)"""

from __future__ import annotations

import re
from collections.abc import MutableMapping

from . import lexing
from .tree import Dockerfile, Instruction, Stage

_WINDOWS_ABS = re.compile(r"^([A-Za-z]:|\\\\|\\)")


def stage_parent(tree: Dockerfile, stage: Stage) -> Stage | None:
    """The earlier stage of this file that ``stage`` is built FROM, if any."""
    return tree.stage_parent(stage)


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


def is_windows_stage(tree: Dockerfile, stage: Stage) -> bool:
    """Heuristic: Windows base images and backtick-escaped files use Windows
    paths, where POSIX path rules do not apply."""
    if tree.escape == "`":
        return True
    base = (stage.base.value if stage.base else "").lower()
    return any(
        k in base for k in ("windows", "nanoserver", "servercore", "mcr.microsoft.com/dotnet/framework")
    )


class Env(MutableMapping):
    """A dict whose ``copy()`` costs O(1): a persistent hash trie shared
    between copies, each change copying only the path to its key.  The
    state before every instruction of a file (ENV values and such) can then
    be kept without copying the whole table per instruction, which made a
    file of many ENVs cost the square of its size."""

    __slots__ = ("_len", "_root")
    _BITS = 5
    _MASK = (1 << _BITS) - 1
    _DEPTH = 64 // _BITS  # below this a bucket holds every colliding key

    def __init__(self, items=()) -> None:
        self._root: list | dict | None = None
        self._len = 0
        for k, v in dict(items).items():
            self[k] = v

    def copy(self) -> Env:
        new = Env.__new__(Env)
        new._root, new._len = self._root, self._len
        return new

    def _bucket(self, key) -> dict | None:
        h, node = hash(key), self._root
        while isinstance(node, list):
            node = node[h & self._MASK]
            h >>= self._BITS
        return node

    def __getitem__(self, key):
        bucket = self._bucket(key)
        if bucket is None:
            raise KeyError(key)
        return bucket[key]

    def __contains__(self, key) -> bool:
        bucket = self._bucket(key)
        return bucket is not None and key in bucket

    def get(self, key, default=None):
        bucket = self._bucket(key)
        return default if bucket is None else bucket.get(key, default)

    def __setitem__(self, key, value) -> None:
        self._root, added = self._set(self._root, key, value, hash(key), 0)
        self._len += added

    def _set(self, node, key, value, h: int, depth: int):
        if node is None:
            return {key: value}, 1
        if isinstance(node, dict):
            if key in node or depth >= self._DEPTH or all(hash(k) == hash(key) for k in node):
                new = dict(node)
                added = key not in new
                new[key] = value
                return new, int(added)
            # split the bucket one level down
            inner: list = [None] * (self._MASK + 1)
            for k, v in node.items():
                inner, _ = self._set(inner, k, v, hash(k) >> (self._BITS * depth), depth)
            return self._set(inner, key, value, h, depth)
        i = h & self._MASK
        child, added = self._set(node[i], key, value, h >> self._BITS, depth + 1)
        node = list(node)
        node[i] = child
        return node, added

    def __delitem__(self, key) -> None:
        if key not in self:
            raise KeyError(key)
        self._root = self._del(self._root, key, hash(key))
        self._len -= 1

    def _del(self, node, key, h: int):
        if isinstance(node, dict):
            new = dict(node)
            del new[key]
            return new or None
        node = list(node)
        node[h & self._MASK] = self._del(node[h & self._MASK], key, h >> self._BITS)
        return node

    def __iter__(self):
        stack = [self._root]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                yield from list(node)
            elif node is not None:
                stack.extend(reversed(node))

    def __len__(self) -> int:
        return self._len

    def __repr__(self) -> str:
        return f"Env({dict(self.items())!r})"


class Chain:
    """The instructions before one, in order: a persistent list in which each
    chain shares the one it extends, so that a chain per instruction costs
    O(1), and questions about all earlier instructions (``any``, ``fold``)
    are answered once per instruction for the whole file, not once per
    asker.  Iterating it walks the whole chain."""

    __slots__ = ("_memo", "ins", "length", "prev")

    def __init__(self, prev: Chain | None = None, ins: Instruction | None = None) -> None:
        self.prev = prev
        self.ins = ins
        self.length: int = 0 if prev is None else prev.length + 1
        self._memo: dict | None = None

    def then(self, ins: Instruction) -> Chain:
        return Chain(self, ins)

    def __len__(self) -> int:
        return self.length

    def __bool__(self) -> bool:
        return self.length > 0

    def __iter__(self):
        out = []
        node: Chain | None = self
        while node is not None and node.prev is not None:
            out.append(node.ins)
            node = node.prev
        return reversed(out)

    def __add__(self, other) -> list[Instruction]:
        return list(self) + list(other)

    def __getitem__(self, i):
        return list(self)[i]

    def fold(self, key, step, init):
        """``step(…step(step(init, ins1), ins2)…, insN)``, memoized under
        ``key`` at every node (``key`` must name ``step`` and ``init``)."""
        todo = []
        node: Chain | None = self
        acc = init
        while node is not None and node.prev is not None:
            memo = node._memo
            if memo is not None and key in memo:
                acc = memo[key]
                break
            todo.append(node)
            node = node.prev
        for node in reversed(todo):
            acc = step(acc, node.ins)
            if node._memo is None:
                node._memo = {}
            node._memo[key] = acc
        return acc

    def any(self, key, pred) -> bool:
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
    "Env",
    "Instruction",
    "is_absolute",
    "is_windows_stage",
    "per_instruction",
    "stage_parent",
    "word_value",
]
