"""DF201 (merge consecutive RUNs): what the first RUN may do to the programs
and the directory the second one uses: install a program the shell already
looked up on PATH (bash and dash remember where they found it), or remove
the working directory.  The rule itself is :mod:`.merge_consecutive_runs`."""

from __future__ import annotations

import re

from ...shell import Script
from ._merge_shell import in_child

# Package managers that install executables onto PATH, with the
# subcommands that do (None: any), and the programs they may replace even
# without naming them (themselves, when the package list is not literal).
_INSTALLERS: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {
    "pip": (frozenset({"install", "uninstall"}), frozenset({"pip", "pip3"})),
    "pipx": (
        frozenset({"install", "upgrade", "upgrade-all", "reinstall", "reinstall-all", "uninstall"}),
        frozenset(),
    ),
    "easy_install": (None, frozenset({"pip", "pip3", "easy_install"})),
    "gem": (frozenset({"install", "update", "uninstall"}), frozenset({"gem", "bundle", "bundler"})),
    "bundle": (frozenset({"install", "update"}), frozenset({"bundle", "bundler"})),
    "cargo": (frozenset({"install", "uninstall"}), frozenset({"cargo"})),
    "go": (frozenset({"install"}), frozenset()),
    "conda": (
        frozenset({"install", "update", "upgrade", "remove", "uninstall"}),
        frozenset({"conda", "python", "python3", "pip", "pip3"}),
    ),
    "composer": (frozenset({"global"}), frozenset({"composer"})),
}
_INSTALLERS["pip3"] = _INSTALLERS["pip"]
_INSTALLERS["mamba"] = _INSTALLERS["micromamba"] = _INSTALLERS["conda"]
# Node package managers install onto PATH only globally.
_NODE_PMS = frozenset({"npm", "yarn", "pnpm", "bun"})
# Tool managers that replace the tools they manage.
_TOOL_MANAGERS = {
    "corepack": frozenset({"yarn", "yarnpkg", "pnpm", "pnpx", "npm", "npx"}),
    "rustup": frozenset({"rustc", "cargo", "rustup", "rustfmt", "clippy-driver", "cargo-clippy"}),
    "nvm": frozenset({"node", "nodejs", "npm", "npx", "corepack"}),
    "n": frozenset({"node", "nodejs", "npm", "npx", "corepack"}),
    "poetry": frozenset({"poetry"}),
    "pyenv": None,
    "asdf": None,
    "sdk": None,
    "mise": None,
    "rbenv": None,
    "nodenv": None,
    "goenv": None,
}
_FILE_PLACERS = frozenset(
    {"cp", "mv", "ln", "install", "rsync", "curl", "wget", "update-alternatives", "alternatives"}
)
_ARCHIVERS = frozenset({"tar", "unzip", "bsdtar", "7z"})


def _hashable(script: Script, only_parent: bool) -> set[str]:
    """Programs the shell looks up on PATH (and so remembers)."""
    return {
        c.program
        for c in script.commands
        if c.name and "/" not in c.name and c.program and not (only_parent and in_child(c))
    }


def _names(cmd) -> set[str]:
    """Names an install command mentions: `pip==23` and `/usr/bin/pip` give
    `pip`."""
    out = set()
    for a in cmd.args:
        for word in re.split(r"[\s'\"]+", a.text):
            word = word.rstrip("/").rsplit("/", 1)[-1]
            word = re.split(r"[=<>!~\[@:;,]", word, maxsplit=1)[0]
            if word:
                out.add(word)
    return out


def _unknown_operands(cmd, skip: int) -> bool:
    """Packages not given literally: a variable, a requirements file, a
    local path (`.`, `-e .`)."""
    ops = cmd.operands()[skip:]
    if any(a.value is None for a in cmd.args):
        return True
    if cmd.has_option("-r", "--requirement", "-c", "--constraint", "-e", "--editable"):
        return True
    return any(
        v.value
        and (
            v.value.startswith((".", "/", "~"))
            or "://" not in v.value
            and v.value.endswith((".txt", ".whl", ".gz", ".zip"))
        )
        for v in ops
    )


def _may_replace(cmd, name: str) -> bool:
    """Could ``cmd`` put a new ``name`` on PATH (elsewhere than the one the
    shell found), or remove the one it found?"""
    prog = cmd.program or ""
    values = [v or "" for v in cmd.values]
    if prog.startswith("python") and values[:2] == ["-m", "pip"]:
        prog, values = "pip", values[2:]
    if prog in _INSTALLERS:
        subs, own = _INSTALLERS[prog]
        sub = next((v for v in values if not v.startswith("-")), "")
        if prog == "gem" and sub == "update" and "--system" in values:
            return name in own  # updates RubyGems itself
        if subs is not None and sub not in subs:
            return False
        return name in _names(cmd) or name in own and _unknown_operands(cmd, 1)
    if prog in _NODE_PMS:
        is_global = (
            cmd.has_option("-g", "--global", "--location")
            or "global" in values
            or prog == "pnpm"
            and "setup" in values
        )
        if not is_global:
            return False
        return name in _names(cmd) or name == prog or _unknown_operands(cmd, 1)
    if prog == "uv":
        sub = values[0] if values else ""
        if sub == "self":
            return name in ("uv", "uvx")
        if sub == "python" and "install" in values:
            return name.startswith("python")
        if sub in ("tool", "pip") and ("install" in values or "uninstall" in values):
            return (
                name in _names(cmd) or sub == "pip" and name in ("pip", "pip3") and _unknown_operands(cmd, 2)
            )
        return False
    if prog in _TOOL_MANAGERS:
        tools = _TOOL_MANAGERS[prog]
        return tools is None or name in tools or name in _names(cmd)
    if prog in _FILE_PLACERS:
        return (
            name in _names(cmd)
            or any("bin" in a.text for a in cmd.args)
            and any("*" in a.text for a in cmd.args)
        )
    if prog in _ARCHIVERS:
        return any("bin" in a.text for a in cmd.args) or name in _names(cmd)
    if prog == "make" and "install" in values:
        return name != "make"
    if prog in ("dpkg", "rpm", "apt-get", "apt", "apk", "yum", "dnf", "microdnf", "zypper"):
        return name in _names(cmd)
    return False


def stale_hash(first: Script, second: Script) -> str | None:
    """bash and dash remember where they found a program; the second RUN used
    to start with a fresh shell that looks it up again."""
    both = _hashable(first, only_parent=True) & _hashable(second, only_parent=False)
    for name in sorted(both):
        looked_up = min(
            c.index
            for c in first.commands
            if c.program == name and c.name and "/" not in c.name and not in_child(c)
        )
        for cmd in first.commands[looked_up:]:
            if _may_replace(cmd, name):
                return (
                    f"both run `{name}` and the first may install another `{name}` "
                    f"(`{cmd.program}`), which the merged shell would not look up again"
                )
    return None


def removes_workdir(script: Script, workdir: str | None) -> str | None:
    for c in script.commands:
        if c.program not in ("rm", "rmdir", "mv"):
            continue
        for a in c.operands():
            text = a.text.strip("'\"")
            if text in (".", "..") or text.startswith(("./", "../", "$PWD", "${PWD", "$(pwd", "`pwd")):
                return f"`{c.program}` may remove the working directory"
            if workdir and text.startswith("/"):
                parts = re.split(r"[$*?\[{]", text, maxsplit=1)
                prefix = parts[0]
                if len(parts) > 1:  # a pattern: any path starting with the prefix
                    hit = (workdir + "/").startswith(prefix)
                else:
                    prefix = prefix.rstrip("/")
                    hit = not prefix or workdir == prefix or workdir.startswith(prefix + "/")
                if hit:
                    return f"`{c.program}` may remove the working directory {workdir}"
    return None
