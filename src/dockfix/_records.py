"""Equality that leaves some fields out, for msgspec records.

The records of dockfix are ``msgspec.Struct`` classes (creating one costs
microseconds where a dataclass compiles its methods at import).  msgspec
compares and hashes every field; a record that carries a back reference
(the instruction that set a variable, the flag a mount was read from, the
configuration's rule options) leaves it out with :func:`compare_without`,
which derives ``__eq__`` and ``__hash__`` from the class's own field list:
a field added later is compared without anyone having to remember it.
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import TypeVar

T = TypeVar("T", bound=type)


def compare_without(*names: str) -> Callable[[T], T]:
    """Class decorator: ``==`` and ``hash`` over every field but ``names``."""

    def wrap(cls: T) -> T:
        fields: tuple[str, ...] = cls.__struct_fields__  # type: ignore[attr-defined]
        unknown = [n for n in names if n not in fields]
        if unknown:
            raise TypeError(f"{cls.__name__} has no field {', '.join(unknown)}")
        kept = [f for f in fields if f not in names]
        get = attrgetter(*kept) if len(kept) > 1 else (lambda obj: (getattr(obj, kept[0]),))

        def __eq__(self: object, other: object) -> bool:
            if type(other) is not type(self):
                return NotImplemented
            return bool(get(self) == get(other))

        def __hash__(self: object) -> int:
            return hash(get(self))

        cls.__eq__ = __eq__  # type: ignore[assignment]
        # as a dataclass: hashable when frozen, not when its fields may change
        frozen = cls.__struct_config__.frozen  # type: ignore[attr-defined]
        cls.__hash__ = __hash__ if frozen else None  # type: ignore[assignment]
        return cls

    return wrap
