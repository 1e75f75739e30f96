"""DF220 (lockfile first): every install analyser, tried in turn."""

from __future__ import annotations

from collections.abc import Callable

from ...shell import Command
from ._lockfile import Env, Install
from ._lockfile_go_cargo import analyse_cargo, analyse_go
from ._lockfile_jvm import analyse_gradle, analyse_maven
from ._lockfile_node import analyse_node
from ._lockfile_python import analyse_pip, analyse_pipenv, analyse_pyproject_tools
from ._lockfile_ruby_php import analyse_bundle_config, analyse_bundler, analyse_composer

ANALYSERS: tuple[Callable[[Command, Env], Install | None], ...] = (
    analyse_pip,
    analyse_pyproject_tools,
    analyse_pipenv,
    analyse_node,
    analyse_go,
    analyse_cargo,
    analyse_maven,
    analyse_gradle,
    analyse_bundler,
    analyse_bundle_config,
    analyse_composer,
)


def analyse(cmd: Command, env: Env) -> Install | None:
    for fn in ANALYSERS:
        inst = fn(cmd, env)
        if inst is not None:
            return inst
    return None
