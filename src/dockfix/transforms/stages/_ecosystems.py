"""The ecosystems the stage rules know, in the order they are tried."""

from __future__ import annotations

from ._go import Go
from ._java import Java
from ._node import Node
from ._python import Python
from ._rust import Rust
from ._split import Ecosystem

ECOSYSTEMS: tuple[Ecosystem, ...] = (Python(), Node(), Go(), Rust(), Java())
