"""DF201 (merge consecutive RUNs): what the first RUN may do to the programs
and the directory the second one uses: install a program the shell already
looked up on PATH (bash and dash remember where they found it), or remove
the working directory.  The rule itself is :mod:`.merge_consecutive_runs`."""

from __future__ import annotations

import re

from ... import tools
from ...shell import Script
from ._merge_shell import in_child

# What package managers put on PATH is dockfix.tools' (``tools.on_path``);
# these programs have no grammar there: installers, with the programs they
# may replace even without naming them (themselves, when the package list is
# not literal), and the package tools that install any named program.
_OTHER_INSTALLERS: dict[str, frozenset[str]] = {
    "easy_install": frozenset({"pip", "pip3", "easy_install"}),
    **dict.fromkeys(
        ("conda", "mamba", "micromamba"), frozenset({"conda", "python", "python3", "pip", "pip3"})
    ),
}
_CONDA_SUBS = frozenset({"install", "update", "upgrade", "remove", "uninstall"})
_PACKAGE_FILES = frozenset({"dpkg", "rpm"})
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


def _unknown_operands(cmd, ops) -> bool:
    """Packages not given literally: a variable, a requirements file, a
    local path (`.`, `-e .`).  ``ops``: the words that name packages."""
    if any(a.value is None for a in cmd.args):
        return True
    if cmd.has_option("-r", "--requirement", "-c", "--constraint", "-e", "--editable"):
        return True
    return any(
        v
        and (v.startswith((".", "/", "~")) or "://" not in v and v.endswith((".txt", ".whl", ".gz", ".zip")))
        for v in ops
    )


def _replaces(on: tools.OnPath, p: tools.Parsed, cmd, name: str) -> bool:
    """May the install ``p`` (what it puts on PATH: ``on``) replace ``name``?"""
    if name in on.always or (on.prefixes and name.startswith(on.prefixes)):
        return True
    if on.named and name in _names(cmd):
        return True
    if not (on.anything or name in on.own):
        return False
    # its operands and the values of its options (`--target /opt`, `--prefix .`)
    return _unknown_operands(cmd, [*p.operand_values, *(o.value for o in p.options)])


def _may_replace(cmd, name: str, parsed: dict[int, tools.Parsed | None] | None = None) -> bool:
    """Could ``cmd`` put a new ``name`` on PATH (elsewhere than the one the
    shell found), or remove the one it found?  ``parsed``: the commands read
    so far (by ``id``), so that each is read once."""
    parsed = {} if parsed is None else parsed
    if id(cmd) not in parsed:  # `sudo pip install`, `python -m pip`, `corepack yarn`
        parsed[id(cmd)] = tools.parse(cmd, unwrap=True)
    p = parsed[id(cmd)]
    on = tools.on_path(p) if p is not None else None
    if on is not None and p is not None:
        return _replaces(on, p, cmd, name)
    prog = cmd.program or ""
    values = [v or "" for v in cmd.values]
    if prog in _OTHER_INSTALLERS:
        sub = next((v for v in values if not v.startswith("-")), "")
        if prog != "easy_install" and sub not in _CONDA_SUBS:
            return False
        ops = [a.value for a in cmd.operands()[1:]]
        return name in _names(cmd) or name in _OTHER_INSTALLERS[prog] and _unknown_operands(cmd, ops)
    if prog in _TOOL_MANAGERS:
        managed = _TOOL_MANAGERS[prog]
        return managed is None or name in managed or name in _names(cmd)
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
    if prog in _PACKAGE_FILES:
        return name in _names(cmd)
    return False


def stale_hash(first: Script, second: Script) -> str | None:
    """bash and dash remember where they found a program; the second RUN used
    to start with a fresh shell that looks it up again."""
    both = _hashable(first, only_parent=True) & _hashable(second, only_parent=False)
    parsed: dict[int, tools.Parsed | None] = {}
    for name in sorted(both):
        looked_up = min(
            c.index
            for c in first.commands
            if c.program == name and c.name and "/" not in c.name and not in_child(c)
        )
        for cmd in first.commands[looked_up:]:
            if _may_replace(cmd, name, parsed):
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
