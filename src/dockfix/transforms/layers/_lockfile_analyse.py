"""DF220 (lockfile first): the analysers of installs, by tool.

A command is read once with ``tools.parse``; the analysers of its tool
(:class:`._lockfile_recipe.Recipe` objects, and the special readers of pip's
requirements files, cargo and ``bundle config``) are tried in turn.
"""

from __future__ import annotations

from ... import tools
from ...shell import Command
from ._lockfile import Env, Install
from ._lockfile_go_cargo import GO, analyse_cargo
from ._lockfile_jvm import RECIPES as JVM
from ._lockfile_node import RECIPES as NODE
from ._lockfile_python import RECIPES as PYTHON
from ._lockfile_python import analyse_pip
from ._lockfile_recipe import Analyser
from ._lockfile_ruby_php import BUNDLER, COMPOSER, analyse_bundle_config


def _by_tool() -> dict[str, tuple[Analyser, ...]]:
    table: dict[str, list[Analyser]] = {"pip": [analyse_pip], "uv": [analyse_pip], "cargo": [analyse_cargo]}
    for recipe in (*PYTHON, *NODE, GO, *JVM, BUNDLER, COMPOSER):
        table.setdefault(recipe.spec.tool, []).append(recipe)
    table["bundle"].append(analyse_bundle_config)
    return {tool: tuple(found) for tool, found in table.items()}


ANALYSERS = _by_tool()


def analyse(cmd: Command, env: Env) -> Install | None:
    p = tools.parse(cmd)
    if p is None:
        return None
    for fn in ANALYSERS.get(p.tool, ()):
        inst = fn(p, cmd, env)
        if inst is not None:
            return inst
    return None
