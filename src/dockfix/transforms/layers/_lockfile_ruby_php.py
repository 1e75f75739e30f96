"""DF220 (lockfile first): what bundler, composer installs read.

Commands are read with :mod:`dockfix.tools.bundler` and
:mod:`dockfix.tools.composer`; the manifests, lock files, install events and
``dump-autoload`` options are theirs.  Shared helpers: :mod:`._lockfile`, the
generic analyser: :mod:`._lockfile_recipe`.
"""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import Env, Install, Project, forbid, need, optional, project_for, short, sub_table
from ._lockfile_recipe import Recipe

# -- Ruby -----------------------------------------------------------------------


def _gemfile(project: Project) -> str:
    """The Gemfile the install reads (the first one present)."""
    manifests = tools.INSTALLS["bundle"].files.manifests
    return next((m for m in manifests if project.status(m) == "ok"), manifests[0])


def _gemfile_files(inst: Install, project: Project, p: tools.Parsed, spec: tools.Install) -> bool:
    """The Gemfile (or gems.rb) and the lock file beside it."""
    gemfile = _gemfile(project)
    if not need(inst, project, gemfile):
        return False
    optional(inst, project, tools.bundler.LOCK_OF[gemfile])
    return True


def _gemfile_check(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
    gemfile = _gemfile(project)
    text = project.read(gemfile) or ""
    code = "\n".join(re.sub(r"#.*$", "", ln) for ln in text.splitlines())
    if re.search(r"^\s*gemspec\b", code, re.M):
        inst.fail(f"{gemfile} uses `gemspec`, which reads the gem's sources")
        return
    if re.search(r"\bpath\s*:|:path\s*=>|\bpath\s*\(", code):
        inst.fail(f"{gemfile} installs gems from local paths, which need the sources")
        return
    for dotfile in (".ruby-version", ".tool-versions"):
        if dotfile in code:
            if not need(inst, project, dotfile):
                return
            code = code.replace(dotfile, "")
    if re.search(
        r"\b(eval_gemfile|instance_eval|require_relative|load|File|Dir|IO)\b|\brequire\s*\(?\s*['\"]", code
    ):
        inst.fail(f"{gemfile} reads other files of the sources")
        return
    if project.has(".bundle"):
        inst.fail(
            "the build context has a .bundle folder (bundler settings), which `COPY .` would copy over the settings used"
        )


BUNDLER = Recipe(
    "ruby",
    tools.INSTALLS["bundle"],
    "it reads or writes other files of the project",
    "the gems bundler installs or caches there",
    refuse=tools.bundler.OFFLINE,
    files=_gemfile_files,
    check=_gemfile_check,
)


def analyse_bundle_config(p: tools.Parsed, cmd: Command, env: Env) -> Install | None:
    """`bundle config` writes ./.bundle/config unless --global: part of the
    install as long as the context has no .bundle of its own."""
    if p.tool != "bundle" or not p.is_sub("config") or p.has("--global"):
        return None
    inst = Install("ruby", short(cmd, env.script), tool="bundle", aux=True)
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is not None and project.has(".bundle"):
        inst.fail("the build context has a .bundle folder, which `COPY .` would copy over the settings")
    return inst


# -- PHP --------------------------------------------------------------------------


def _composer_refusal(data: dict, p: tools.Parsed) -> str | None:
    """Why the install may need the sources or write into the project
    (install scripts set ``project`` too: see :func:`_composer_check`)."""
    repos = data.get("repositories")
    repo_list = repos.values() if isinstance(repos, dict) else repos if isinstance(repos, list) else []
    if any(isinstance(r, dict) and r.get("type") in ("path", "artifact") for r in repo_list):
        return "composer.json has path or artifact repositories in the sources"
    if "installer-paths" in sub_table(data, "extra"):
        return "composer.json installs packages into folders of the project (installer-paths)"
    config = sub_table(data, "config")
    if not isinstance(config.get("vendor-dir", "vendor"), str):
        return "composer.json sets an unusual vendor-dir"
    plugins = config.get("allow-plugins")
    if not p.has("--no-plugins"):
        allowed: list[str] = ["*"] if plugins is True else []
        if isinstance(plugins, dict):
            allowed = [k for k, v in plugins.items() if v is not False]
        unknown_plugins = [name for name in allowed if name not in tools.composer.SAFE_PLUGINS]
        if unknown_plugins:
            return f"composer.json allows the plugin {unknown_plugins[0]}, which may write into the project"
    return None


def _dump_autoload(inst: Install, data: dict, p: tools.Parsed, cmd: Command) -> None:
    """When generating the autoloader reads the sources (a classmap, an
    optimised or authoritative autoloader, autoload-dump scripts), install
    with ``--no-autoloader`` and run ``composer dump-autoload`` with the
    matching options after the full COPY."""
    autoload_tables = [data.get("autoload")]
    if not p.has("--no-dev"):
        autoload_tables.append(data.get("autoload-dev"))
    reads_sources = any(isinstance(t, dict) and "classmap" in t for t in autoload_tables)
    reads_sources = reads_sources or p.has(
        "--optimize-autoloader", "--classmap-authoritative", "--apcu-autoloader"
    )
    scripts = sub_table(data, "scripts")
    dump_scripts = not p.has("--no-scripts") and any(e in scripts for e in tools.composer.DUMP_EVENTS)
    if not reads_sources and not dump_scripts:
        return
    second = [cmd.name or "composer", "dump-autoload"]
    for opt in p.options:
        if opt.key not in tools.composer.DUMP_AUTOLOAD_FLAGS:
            inst.fail(f"the autoloader needs the sources and `{opt.name}` has no `dump-autoload` counterpart")
            return
        mapped = tools.composer.DUMP_AUTOLOAD_FLAGS[opt.key]
        if mapped is None or mapped in second:
            continue
        second.append(f"{mapped}={opt.value}" if opt.value is not None and opt.takes_value else mapped)
    prefix = " ".join(cmd.assignments)
    inst.project = True
    inst.split_flag = tools.INSTALLS["composer"].deps_only[0]
    inst.split_at = p.sub_tokens[-1].end
    inst.second = (prefix + " " if prefix else "") + " ".join(second)


def _composer_check(inst: Install, project: Project, p: tools.Parsed, cmd: Command, env: Env) -> None:
    data = project.json("composer.json")
    if not isinstance(data, dict):
        inst.fail(f"{project.path('composer.json')} could not be read as JSON")
        return
    scripts = sub_table(data, "scripts")
    events = [e for e in tools.composer.INSTALL_EVENTS if e in scripts]
    if events and not p.has("--no-scripts"):
        inst.project = True
        inst.fail(f"composer.json runs `{events[0]}` scripts, which may need the sources")
        return
    why = _composer_refusal(data, p)
    if why is not None:
        inst.fail(why)
        return
    forbid(
        inst,
        project,
        sub_table(data, "config").get("vendor-dir", "vendor"),
        why="the packages composer installs",
    )
    if not p.has(*tools.INSTALLS["composer"].deps_only):
        _dump_autoload(inst, data, p, cmd)


COMPOSER = Recipe(
    "php",
    tools.INSTALLS["composer"],
    "it names another project folder",
    None,  # the vendor folder is the one composer.json names
    matches=lambda p: not p.via and p.is_sub(*tools.INSTALLS["composer"].subcommands),
    check=_composer_check,
)
