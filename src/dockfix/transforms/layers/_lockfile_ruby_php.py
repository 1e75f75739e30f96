"""DF220 (lockfile first): what bundler, composer installs read.  Shared helpers: :mod:`._lockfile`."""

from __future__ import annotations

import re

from ... import tools
from ...shell import Command
from ._lockfile import (
    Env,
    Install,
    _table,
    deps_project,
    forbid,
    need,
    optional,
    project_for,
    short,
)

# -- Ruby, PHP --------------------------------------------------------------------


def analyse_bundler(cmd: Command, env: Env) -> Install | None:
    table = tools.INSTALLS["bundle"]
    p = tools.parse(cmd, tool="bundle")
    if p is None or not p.is_sub(*table.subcommands):
        return None
    inst = Install("ruby", short(cmd, env.script), tool="bundle")
    if p.expands:
        return inst.fail("an argument is a variable")
    if p.has(*table.other_project, "--local", "--prefer-local"):
        return inst.fail("it reads or writes other files of the project")
    project = deps_project(inst, env)
    if project is None:
        return inst
    gemfile = (
        "Gemfile" if project.status("Gemfile") == "ok" or project.status("gems.rb") != "ok" else "gems.rb"
    )
    if not need(inst, project, gemfile):
        return inst
    optional(inst, project, "Gemfile.lock" if gemfile == "Gemfile" else "gems.locked")
    text = project.read(gemfile) or ""
    code = "\n".join(re.sub(r"#.*$", "", ln) for ln in text.splitlines())
    if re.search(r"^\s*gemspec\b", code, re.M):
        return inst.fail(f"{gemfile} uses `gemspec`, which reads the gem's sources")
    if re.search(r"\bpath\s*:|:path\s*=>|\bpath\s*\(", code):
        return inst.fail(f"{gemfile} installs gems from local paths, which need the sources")
    for dotfile in (".ruby-version", ".tool-versions"):
        if dotfile in code:
            if not need(inst, project, dotfile):
                return inst
            code = code.replace(dotfile, "")
    if re.search(
        r"\b(eval_gemfile|instance_eval|require_relative|load|File|Dir|IO)\b|\brequire\s*\(?\s*['\"]", code
    ):
        return inst.fail(f"{gemfile} reads other files of the sources")
    if project.has(".bundle"):
        return inst.fail(
            "the build context has a .bundle folder (bundler settings), which `COPY .` would copy over the settings used"
        )
    forbid(inst, project, "vendor/bundle", "vendor/cache", why="the gems bundler installs or caches there")
    return inst


def analyse_bundle_config(cmd: Command, env: Env) -> Install | None:
    """`bundle config` writes ./.bundle/config unless --global: part of the
    install as long as the context has no .bundle of its own."""
    p = tools.parse(cmd, tool="bundle")
    if p is None or not p.is_sub("config") or p.has("--global"):
        return None
    inst = Install("ruby", short(cmd, env.script), tool="bundle", aux=True)
    if env.probe:
        return inst
    project = project_for(env, inst)
    if project is None:
        return inst
    if project.has(".bundle"):
        inst.fail("the build context has a .bundle folder, which `COPY .` would copy over the settings")
    return inst


# plugins known to write only inside vendor/ (or nothing) during an install
_COMPOSER_SAFE_PLUGINS = {
    "php-http/discovery",
    "pestphp/pest-plugin",
    "composer/package-versions-deprecated",
    "dealerdirect/phpcodesniffer-composer-installer",
    "phpstan/extension-installer",
    "symfony/runtime",
    "ergebnis/composer-normalize",
    "bamarni/composer-bin-plugin",
    "infection/extension-installer",
}


def analyse_composer(cmd: Command, env: Env) -> Install | None:
    p = tools.parse(cmd, tool="composer")
    if p is None or p.via or not p.is_sub(*tools.INSTALLS["composer"].subcommands):
        return None
    inst = Install("php", short(cmd, env.script), tool="composer")
    if p.expands:
        return inst.fail("an argument is a variable")
    if p.has(*tools.INSTALLS["composer"].other_project):
        return inst.fail("it names another project folder")
    no_autoloader = p.has("--no-autoloader")
    no_scripts = p.has("--no-scripts")
    if env.probe:
        inst.project = not no_autoloader
    project = deps_project(inst, env, "composer.json")
    if project is None:
        return inst
    optional(inst, project, "composer.lock", "auth.json")
    data = project.json("composer.json")
    if not isinstance(data, dict):
        return inst.fail(f"{project.path('composer.json')} could not be read as JSON")
    scripts = _table(data, "scripts")
    if not no_scripts:
        events = [e for e in tools.composer.INSTALL_EVENTS if e in scripts]
        if events:
            inst.project = True
            return inst.fail(f"composer.json runs `{events[0]}` scripts, which may need the sources")
    repos = data.get("repositories")
    repo_list = repos.values() if isinstance(repos, dict) else repos if isinstance(repos, list) else []
    if any(isinstance(r, dict) and r.get("type") in ("path", "artifact") for r in repo_list):
        return inst.fail("composer.json has path or artifact repositories in the sources")
    extra = _table(data, "extra")
    if "installer-paths" in extra:
        return inst.fail("composer.json installs packages into folders of the project (installer-paths)")
    config = _table(data, "config")
    vendor_dir = (
        config.get("vendor-dir", "vendor") if isinstance(config.get("vendor-dir", "vendor"), str) else None
    )
    if vendor_dir is None:
        return inst.fail("composer.json sets an unusual vendor-dir")
    plugins = config.get("allow-plugins")
    if not p.has("--no-plugins"):
        allowed = []
        if plugins is True:
            allowed = ["*"]
        elif isinstance(plugins, dict):
            allowed = [k for k, v in plugins.items() if v is not False]
        unknown_plugins = [name for name in allowed if name not in _COMPOSER_SAFE_PLUGINS]
        if unknown_plugins:
            return inst.fail(
                f"composer.json allows the plugin {unknown_plugins[0]}, which may write into the project"
            )
    forbid(inst, project, vendor_dir, why="the packages composer installs")
    if no_autoloader:
        return inst
    # Does generating the autoloader read the sources?  A classmap, an
    # optimised or authoritative autoloader, or autoload-dump scripts do.
    autoload_tables = [data.get("autoload")]
    if not p.has("--no-dev"):
        autoload_tables.append(data.get("autoload-dev"))
    reads_sources = any(isinstance(t, dict) and "classmap" in t for t in autoload_tables)
    reads_sources = reads_sources or p.has(
        "--optimize-autoloader", "--classmap-authoritative", "--apcu-autoloader"
    )
    dump_scripts = not no_scripts and any(e in scripts for e in tools.composer.DUMP_EVENTS)
    if not reads_sources and not dump_scripts:
        return inst
    second = [cmd.name or "composer", "dump-autoload"]
    for opt in p.options:
        if opt.key not in tools.composer.DUMP_AUTOLOAD_FLAGS:
            return inst.fail(
                f"the autoloader needs the sources and `{opt.name}` has no `dump-autoload` counterpart"
            )
        mapped = tools.composer.DUMP_AUTOLOAD_FLAGS[opt.key]
        if mapped is None or mapped in second:
            continue
        second.append(f"{mapped}={opt.value}" if opt.value is not None and opt.takes_value else mapped)
    prefix = " ".join(cmd.assignments)
    inst.project = True
    inst.split_flag = "--no-autoloader"
    inst.split_at = p.sub_tokens[-1].end
    inst.second = (prefix + " " if prefix else "") + " ".join(second)
    return inst
