"""Helpers shared by the apt / apt-get and apk rules (DF101–DF106).

Not a rule module (the name starts with ``_``).  Everything here works on
the shell layer (:mod:`dockfix.shell`): commands, their subcommands and
options, where a command's failure goes, BuildKit cache mounts, and a
careful "remove this command and the operator that joins it" edit.
"""

from __future__ import annotations

import json
import posixpath
import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from ... import shell
from ...analysis import stage_parent
from ...rules import Edit
from ...shell import Arg, Command, Script, script_of
from ...tree import Dockerfile, Instruction, Stage

APT_LISTS = "/var/lib/apt/lists"
APK_CACHE = "/var/cache/apk"

# -- RUN instructions -----------------------------------------------------


_SCRIPTS: weakref.WeakKeyDictionary[Instruction, Script | None] = weakref.WeakKeyDictionary()


def script_for(ins: Instruction) -> Script | None:
    """``shell.script_of`` once per instruction (the rules of this family
    look at the same RUNs many times in one pass)."""
    try:
        return _SCRIPTS[ins]
    except KeyError:
        script = _SCRIPTS[ins] = script_of(ins)
        return script


@dataclass
class Run:
    """A RUN (or the RUN an ONBUILD wraps); its script is parsed on demand."""

    stage: Stage | None
    ins: Instruction  # the RUN itself (``outer.inner`` for ONBUILD RUN)
    outer: Instruction  # the top-level instruction (ONBUILD or the RUN)

    @property
    def onbuild(self) -> bool:
        return self.outer is not self.ins

    def mentions(self, *words: str) -> bool:
        """Does the RUN's text contain any of ``words``?  A cheap test before
        parsing the shell."""
        text = self.ins._text[self.outer.start : self.outer.end]
        return any(w in text for w in words)

    @property
    def script(self) -> Script | None:
        return script_for(self.ins)

    @property
    def usable(self) -> bool:
        script = self.script
        return script is not None and not script.has_error


def runs_of(instructions) -> Iterator[tuple[Instruction, Instruction]]:
    """(run, outer) for each RUN and ONBUILD RUN among ``instructions``."""
    for ins in instructions:
        target = ins.inner if ins.inner is not None else ins
        if target.keyword == "RUN":
            yield target, ins


def stage_runs(tree: Dockerfile, stage: Stage, *words: str) -> list[Run]:
    """The RUNs of a stage; only those whose text contains one of ``words``
    when given.  (Listed once per tree: the caller must not change the list.)"""
    key = ("_apt_apk.stage_runs", stage.index, words)
    if stage.index < len(tree.stages) and tree.stages[stage.index] is stage and key in tree.memo:
        return tree.memo[key]  # type: ignore[return-value]
    out = []
    for ins, outer in runs_of(stage.instructions):
        run = Run(stage, ins, outer)
        if not words or run.mentions(*words):
            out.append(run)
    if stage.index < len(tree.stages) and tree.stages[stage.index] is stage:
        tree.memo[key] = out
    return out


def run_position(tree: Dockerfile, stage: Stage, ins: Instruction | None, *words: str) -> int:
    """Index in ``stage_runs(tree, stage, *words)`` of the run just after
    the one of ``ins`` (0 for None, the length when ``ins`` is not there)."""
    runs = stage_runs(tree, stage, *words)
    if ins is None:
        return 0
    key = ("_apt_apk.run_position", stage.index, words)
    pos = tree.memo.get(key)
    if pos is None or pos[0] is not runs:  # type: ignore[index]
        pos = tree.memo[key] = (runs, {id(r.ins): k for k, r in enumerate(runs)})
    k = pos[1].get(id(ins))  # type: ignore[index]
    return len(runs) if k is None else k + 1


def all_runs(tree: Dockerfile, *words: str) -> Iterator[Run]:
    """Every RUN of the file (stages in order, then instructions), ONBUILD
    RUNs included; RUNs before the first FROM cannot exist."""
    for stage in tree.stages:
        yield from stage_runs(tree, stage, *words)


# -- cache mounts ---------------------------------------------------------


def _mount_fields(value: str) -> dict[str, str] | None:
    """``type=cache,target=/x`` → {"type": "cache", "target": "/x"} (BuildKit
    reads the value as one CSV record; quotes are allowed)."""
    import csv

    try:
        rows = list(csv.reader([value]))
    except csv.Error:
        return None
    if len(rows) != 1:
        return None
    fields: dict[str, str] = {}
    for item in rows[0]:
        key, sep, val = item.partition("=")
        key = key.strip().lower()
        fields[key] = val.strip() if sep else "true"
    return fields


def cache_mount_targets(ins: Instruction) -> list[str]:
    """Normalised targets of the ``--mount=type=cache`` flags of a RUN
    (targets that use variables are left out: unknown)."""
    out = []
    for flag in ins.flags:
        if flag.name != "mount" or flag.value is None:
            continue
        fields = _mount_fields(flag.value)
        if not fields or fields.get("type", "bind") != "cache":
            continue
        target = fields.get("target") or fields.get("dst") or fields.get("destination")
        if not target or "$" in target:
            continue
        out.append(_norm(target))
    return out


def _norm(path: str) -> str:
    path = path.strip().strip("'\"")
    if not path.startswith("/"):
        path = "/" + path
    n = posixpath.normpath(path)
    return "/" if n == "//" else n


def covers(target: str, path: str) -> bool:
    """Does a mount at ``target`` hold ``path``?"""
    target, path = _norm(target), _norm(path)
    return target == "/" or path == target or path.startswith(target + "/")


def cache_covers(ins: Instruction, *paths: str) -> bool:
    """Does a cache mount of this RUN hold any of ``paths``?"""
    return any(covers(t, p) for t in cache_mount_targets(ins) for p in paths)


# -- apt / apt-get ----------------------------------------------------------

APT = ("apt-get", "apt")
# Options of apt-get / apt / apt-cache that take the next word as value.
_APT_VALUE_SHORT = {"-o", "-c", "-t", "-a", "-P"}
_APT_VALUE_LONG = {
    "--option",
    "--config-file",
    "--target-release",
    "--default-release",
    "--host-architecture",
    "--build-profiles",
}
# Subcommands that read the package lists (they fail or pick other
# versions without them).
APT_NEEDS_LISTS = frozenset(
    {
        "install",
        "reinstall",
        "upgrade",
        "dist-upgrade",
        "full-upgrade",
        "dselect-upgrade",
        "build-dep",
        "source",
        "download",
        "satisfy",
        "changelog",
        "show",
        "search",
        "list",
        "policy",
        "depends",
        "rdepends",
        "madison",
        "showpkg",
        "showsrc",
    }
)
# Subcommands that stop for a yes/no question without -y.
APT_PROMPTS = frozenset(
    {
        "install",
        "reinstall",
        "upgrade",
        "dist-upgrade",
        "full-upgrade",
        "dselect-upgrade",
        "remove",
        "purge",
        "autoremove",
        "auto-remove",
        "build-dep",
        "satisfy",
    }
)


@dataclass
class AptOption:
    arg: Arg
    value_arg: Arg | None  # the separate value of `-o X`, `-t stable`


def apt_parse(cmd: Command) -> tuple[list[AptOption], Arg | None, int | None]:
    """(options, subcommand, index of the subcommand in ``cmd.args``).

    The subcommand is the first word that is not an option or an option's
    value; None when a word before it expands (``apt-get $CMD x``)."""
    opts: list[AptOption] = []
    args = cmd.args
    i = 0
    while i < len(args):
        a = args[i]
        v = a.value
        if v is None:
            return opts, None, None
        if v.startswith("-") and v not in ("-", "--"):
            value_arg = None
            if (v in _APT_VALUE_SHORT or v in _APT_VALUE_LONG) and i + 1 < len(args):
                value_arg = args[i + 1]
                i += 1
            opts.append(AptOption(a, value_arg))
            i += 1
            continue
        return opts, a, i
    return opts, None, None


def apt_all_options(cmd: Command) -> list[AptOption]:
    """Every option of the command, before and after the subcommand."""
    opts: list[AptOption] = []
    args = cmd.args
    i = 0
    while i < len(args):
        a = args[i]
        v = a.value
        if v is not None and v.startswith("-") and v not in ("-", "--"):
            value_arg = None
            if (v in _APT_VALUE_SHORT or v in _APT_VALUE_LONG) and i + 1 < len(args):
                value_arg = args[i + 1]
                i += 1
            opts.append(AptOption(a, value_arg))
        i += 1
    return opts


def apt_config_values(cmd: Command) -> dict[str, str]:
    """``-o Key=Value`` settings given on the command line (keys lower-cased)."""
    out: dict[str, str] = {}
    for o in apt_all_options(cmd):
        v = o.arg.value or ""
        if v in ("-o", "--option"):
            text = o.value_arg.value if o.value_arg is not None else None
        elif v.startswith("--option="):
            text = v[len("--option=") :]
        elif v.startswith("-o") and not v.startswith("--"):
            text = v[2:]
        else:
            continue
        if text and "=" in text:
            key, _, val = text.partition("=")
            out[key.strip().lower()] = val.strip()
    return out


_TRUE = {"1", "true", "yes", "on", "enable"}
_FALSE = {"0", "false", "no", "off", "disable"}


def apt_subcommand(cmd: Command) -> str | None:
    if cmd.program not in APT and cmd.program != "apt-cache":
        return None
    _, sub, _ = apt_parse(cmd)
    return sub.value if sub is not None else None


def apt_assumes_yes(cmd: Command) -> bool:
    """-y / --yes / --assume-yes, -qq (quiet level 2 implies -y), or
    ``-o APT::Get::Assume-Yes=true``."""
    quiet = 0
    for o in apt_all_options(cmd):
        v = o.arg.value or ""
        if v.startswith("--"):
            name, _, val = v.partition("=")
            if name in ("--yes", "--assume-yes") and (not val or val.lower() in _TRUE):
                return True
            if name == "--quiet":
                quiet = max(quiet, int(val)) if val.isdigit() else quiet + 1
            continue
        body = v[1:]
        if "=" in body:  # -q=2
            name, _, val = body.partition("=")
            if name == "q" and val.isdigit():
                quiet = max(quiet, int(val))
            continue
        if v in _APT_VALUE_SHORT or body[:1] in "octaP":
            continue  # an option with a value (attached or not)
        if "y" in body:
            return True
        quiet += body.count("q")
    if quiet >= 2:
        return True
    return apt_config_values(cmd).get("apt::get::assume-yes", "").lower() in _TRUE


def apt_option(cmd: Command, *names: str) -> bool:
    """A long apt option given (``--name`` or ``--name=value``)."""
    for o in apt_all_options(cmd):
        v = o.arg.value or ""
        for n in names:
            if v == n or v.startswith(n + "="):
                return True
    return False


def insert_point_after_options(cmd: Command, sub_index: int) -> int:
    """Script offset after the subcommand and the literal options that
    follow it right away (``install -y -o X=Y|``): where a new option reads
    naturally.  Stops at the first operand or expansion."""
    args = cmd.args
    end = args[sub_index].end
    i = sub_index + 1
    while i < len(args):
        v = args[i].value
        if v is None or not v.startswith("-") or v in ("-", "--"):
            break
        if (v in _APT_VALUE_SHORT or v in _APT_VALUE_LONG) and i + 1 < len(args):
            i += 1
        end = args[i].end
        i += 1
    return end


def is_lists_cleanup(cmd: Command) -> bool:
    """``rm`` of the apt package lists (`rm -rf /var/lib/apt/lists/*` and
    spellings of it)."""
    if cmd.program != "rm":
        return False
    for a in cmd.operands():
        v = a.value
        if v is None:
            continue
        p = v.rstrip("*").rstrip("/") or "/"
        if p in ("/var/lib/apt", "/var/lib/apt/lists") or v.startswith(APT_LISTS + "/"):
            return True
    return False


# -- apk --------------------------------------------------------------------

# apk options that take the next word as value.
_APK_VALUE = {
    "-X",
    "--repository",
    "-p",
    "--root",
    "--arch",
    "--cache-dir",
    "--repositories-file",
    "--keys-dir",
    "-t",
    "--virtual",
    "--cache-max-age",
    "--timeout",
    "--wait",
}


def apk_subcommand(cmd: Command) -> tuple[Arg | None, int | None]:
    """The apk applet (`add`, `update`, ...) and its index in ``cmd.args``."""
    if cmd.program != "apk":
        return None, None
    args = cmd.args
    i = 0
    while i < len(args):
        v = args[i].value
        if v is None:
            return None, None
        if v.startswith("-") and v not in ("-", "--"):
            if v in _APK_VALUE:
                i += 1
            i += 1
            continue
        return args[i], i
    return None, None


def apk_no_cache(cmd: Command) -> bool:
    return cmd.has_option("--no-cache")


# -- where a command's failure goes -----------------------------------------


def node_of(script: Script, cmd: Command):
    """The tree-sitter ``command`` node of ``cmd``."""
    if script._byte_to_char is None:
        sb, eb = cmd.start, cmd.end
    else:
        sb = len(script.text[: cmd.start].encode("utf-8"))
        eb = len(script.text[: cmd.end].encode("utf-8"))
    node = script.tree.root_node.descendant_for_byte_range(sb, eb)
    while node is not None and not (node.type == "command" and node.start_byte == sb and node.end_byte == eb):
        node = node.parent
    return node


def _is_set_errexit(script: Script, node) -> bool | None:
    """True for `set -e…` / `set -o errexit`, False for `set +e`, else None."""
    if node.type != "command":
        return None
    words = [script.node_text(c) for c in node.children]
    if not words or words[0] != "set":
        return None
    result = None
    args = words[1:]
    for i, w in enumerate(args):
        if w.startswith("-") and not w.startswith("--") and "e" in w[1:] and w[1:] != "o":
            result = True
        elif w.startswith("+") and "e" in w[1:]:
            result = False
        elif w in ("-o", "+o") and i + 1 < len(args) and args[i + 1] == "errexit":
            result = w == "-o"
    return result


def shell_errexit(tree: Dockerfile, ins: Instruction) -> bool:
    """Does the SHELL in effect for ``ins`` run with ``-e`` (e.g.
    ``SHELL ["/bin/bash", "-euo", "pipefail", "-c"]``)?"""
    shells = _json_shells(tree)
    if id(ins) in shells:
        shell = shells[id(ins)]
        if shell is None:
            return False
        return _shell_e(shell)
    stage = tree.stage_of(ins)
    if stage is None:
        for st in tree.stages:
            if any(o.inner is ins for o in st.instructions):
                stage = st
    seen: set[int] = set()
    first = True
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        shell = None
        for other in stage.instructions:
            if first and (other is ins or other.inner is ins):
                break
            if other.keyword == "SHELL" and other.json:
                shell = other
        if shell is not None:
            try:
                argv = json.loads(shell.rest.value) if shell.rest is not None else []
            except (ValueError, TypeError):
                return False
            flags = [w for w in argv[1:] if isinstance(w, str)]
            if "errexit" in flags:
                return True
            return any(w.startswith("-") and not w.startswith("--") and "e" in w[1:] for w in flags)
        first = False
        stage = stage_parent(tree, stage)
    return False


def _shell_e(shell: Instruction) -> bool:
    try:
        argv = json.loads(shell.rest.value) if shell.rest is not None else []
    except (ValueError, TypeError):
        return False
    flags = [w for w in argv[1:] if isinstance(w, str)]
    if "errexit" in flags:
        return True
    return any(w.startswith("-") and not w.startswith("--") and "e" in w[1:] for w in flags)


def _json_shells(tree: Dockerfile) -> dict[int, Instruction | None]:
    """The exec-form SHELL in effect at each instruction (and ONBUILD's
    inner one), by id: the last one before it in its stage, else the last
    one of the nearest stage it builds on that has one (one pass per tree)."""
    memo = tree.memo.get("_apt_apk.json_shells")
    if memo is None:
        memo = {}
        final: dict[int, Instruction | None] = {}
        for st in tree.stages:
            parent = stage_parent(tree, st)
            inherited = final.get(parent.index) if parent is not None else None
            current = None
            for other in st.instructions:
                for i in (other, other.inner):
                    if i is not None and id(i) not in memo:
                        memo[id(i)] = current or inherited
                if other.keyword == "SHELL" and other.json:
                    current = other
            final[st.index] = current or inherited
        tree.memo["_apt_apk.json_shells"] = memo
    return memo  # type: ignore[return-value]


def errexit_at(script: Script, top, shell_e: bool = False) -> bool:
    """Is `set -e` in effect when the top-level statement ``top`` runs?"""
    on = shell_e
    for child in script.tree.root_node.children:
        if child.id == top.id:
            break
        r = _is_set_errexit(script, child)
        if r is not None:
            on = r
    return on


def failure_stops_build(script: Script, cmd: Command, shell_e: bool = False) -> bool:
    """Does a failure of ``cmd`` make the RUN fail?  False when the script
    goes on regardless (`cmd || true`, `cmd; next` without `set -e`, the
    left side of a pipe, a condition) or when it cannot be told (inside a
    loop, a condition or a function)."""
    node = node_of(script, cmd)
    if node is None:
        return False
    and_left = False  # the failure comes out of the left side of `&&`
    cur = node
    while True:
        parent = cur.parent
        if parent is None:
            return False
        kids = [k for k in parent.children if k.type != "comment"]
        t = parent.type
        if t == "redirected_statement":
            cur = parent
            continue
        if t == "list":
            i = next(k for k, s in enumerate(kids) if s.id == cur.id)
            if i + 1 < len(kids):  # left operand
                if kids[i + 1].type == "||":
                    return False
                and_left = True
            cur = parent
            continue
        if t == "pipeline":
            if kids[-1].id != cur.id:
                return False
            cur = parent
            continue
        if t == "program":
            stmts = [k for k in kids if k.type not in (";", "&", "\n")]
            if stmts and stmts[-1].id == cur.id:
                # the last statement: its status is the RUN's, unless it is
                # sent to the background
                i = next(k for k, s in enumerate(kids) if s.id == cur.id)
                return not (i + 1 < len(kids) and kids[i + 1].type == "&")
            return errexit_at(script, cur, shell_e) and not and_left
        return False  # loops, conditions, subshells, functions: not analysed


# -- removing a command -------------------------------------------------------


def _has_comment_line(text: str) -> bool:
    lines = text.split("\n")
    return any(line.lstrip(" \t").startswith("#") for line in lines[1:])


def remove_command(script: Script, cmd: Command, src: str) -> Edit | None:
    """An edit that removes ``cmd`` and the operator joining it to its
    neighbour, keeping the layout of what is left:

    * ``cmd && next`` → ``next`` (the command, the ``&&`` and the space or
      line break up to the next command go);
    * ``prev && cmd`` (last of its chain) → ``prev``;
    * ``cmd; next`` / a statement on its own line → the statement and its
      separator.

    None when it cannot be done cleanly: the command is alone, joined by
    ``||`` or a pipe, inside a compound command, or a comment line sits in
    the range that would go (it would be lost).
    """
    node = node_of(script, cmd)
    if node is None:
        return None
    target = node
    if target.parent is not None and target.parent.type == "redirected_statement":
        target = target.parent
    parent = target.parent
    if parent is None:
        return None
    c = script._c
    kids = [k for k in parent.children if k.type != "comment"]
    i = next(k for k, s in enumerate(kids) if s.id == target.id)
    start = end = None  # script offsets of the range to delete
    keep_start_after = False  # start is "just after" a char (source_end)
    if parent.type == "list":
        if i == 0 and len(kids) == 3 and kids[1].type == "&&":
            # `cmd && next`: delete up to where the next command starts
            nxt = kids[2]
            while nxt.type in ("list", "redirected_statement", "pipeline") and nxt.children:
                nxt = nxt.children[0]
            start, end = c(target.start_byte), c(nxt.start_byte)
        elif i == 2 and kids[1].type == "&&":
            # `prev && cmd`: delete from the end of prev
            start, end = c(kids[0].end_byte), c(target.end_byte)
            keep_start_after = True
            outer = parent.parent
            if (
                outer is not None
                and outer.type == "redirected_statement"
                and outer.children[0].id == parent.id
            ):
                # tree-sitter hangs `a && cmd > f` as `(a && cmd) > f`; the
                # redirect is cmd's
                end = c(outer.end_byte)
        else:
            return None
    elif parent.type == "program":
        stmts = [k for k in kids if k.type not in (";", "\n")]
        if len(stmts) < 2 or any(k.type == "&" for k in kids):
            return None
        j = next(k for k, s in enumerate(stmts) if s.id == target.id)
        if j + 1 < len(stmts):
            start, end = c(target.start_byte), c(stmts[j + 1].start_byte)
        else:
            start, end = c(stmts[j - 1].end_byte), c(target.end_byte)
            keep_start_after = True
    else:
        return None
    a = script.source_end(start) if keep_start_after else script.source(start)
    b = script.source_end(end) if keep_start_after else script.source(end)
    if a > b or _has_comment_line(src[a:b]):
        return None
    return Edit(a, b, "")


# -- appending a command ----------------------------------------------------


def append_edit(
    ins: Instruction, script: Script, command: str, tree: Dockerfile, shell_e: bool = False
) -> Edit | None:
    """``shell.append_command`` with two guards: None when the script ends
    in a way after which an appended command would not run as the last
    step (``exit``/``exec``, a background ``&``); and in a heredoc script
    without ``set -e`` the command goes after the last statement with
    ``&&`` (a new line would hide a failure of that statement: a heredoc
    script's status is its last command's)."""
    from ...shell import append_command, last_node_end

    root = script.tree.root_node
    kids = [k for k in root.children if k.type not in ("comment", "\n")]
    if not kids or kids[-1].type == "&":
        return None
    end = last_node_end(script)
    if any(c.program in ("exit", "exec") and not c.ancestors and c.end == end for c in script.commands):
        return None
    stmts = [k for k in kids if k.type not in (";", "&")]
    if not stmts or _contains(stmts[-1], ("heredoc_redirect", "heredoc_body")):
        return None
    heredoc = any(h.body_start <= script.source(0) <= h.body_end for h in ins.heredocs)
    if heredoc and not errexit_at(script, stmts[-1], shell_e):
        at = script.source_end(last_node_end(script))
        return Edit(at, at, f" && {command}")
    return append_command(ins, script, command, tree.newline, tree.escape)


# -- stages and base images ---------------------------------------------------


def shipped_stages(tree: Dockerfile) -> set[int]:
    """Indexes of the stages whose files end up in an image as hadolint
    DL3009 sees it: the last stage, and every stage another stage is built
    FROM."""
    out = set()
    if tree.stages:
        out.add(tree.stages[-1].index)
    for st in tree.stages:
        parent = stage_parent(tree, st)
        if parent is not None:
            out.add(parent.index)
    return out


def descendants(tree: Dockerfile, stage: Stage) -> list[Stage]:
    """Stages built FROM ``stage`` (directly)."""
    children = tree.memo.get("_apt_apk.children")
    if children is None:
        children = tree.memo["_apt_apk.children"] = {}
        for st in tree.stages:
            parent = stage_parent(tree, st)
            if parent is not None:
                children.setdefault(id(parent), []).append(st)  # type: ignore[attr-defined]
    return list(children.get(id(stage), []))  # type: ignore[attr-defined]


def _arg_defaults(tree: Dockerfile) -> dict[str, str]:
    out: dict[str, str] = {}
    for ins in tree.preamble:
        if ins.keyword != "ARG":
            continue
        for a in ins.args:
            name, sep, val = a.value.partition("=")
            if sep:
                out[name] = val.strip("'\"")
    return out


_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::?[-+][^}]*)?\}?")

APK_DISTROS = ("alpine", "wolfi", "chainguard", "apko")
NON_APK_DISTROS = (
    "debian",
    "ubuntu",
    "bookworm",
    "bullseye",
    "buster",
    "stretch",
    "trixie",
    "jammy",
    "focal",
    "noble",
    "bionic",
    "xenial",
    "centos",
    "fedora",
    "rockylinux",
    "almalinux",
    "redhat",
    "ubi8",
    "ubi9",
    "amazonlinux",
    "oraclelinux",
    "opensuse",
    "archlinux",
    "-slim",
    "distroless",
    "busybox",
    "servercore",
    "nanoserver",
)


def base_image(tree: Dockerfile, stage: Stage) -> str | None:
    """The external image a stage builds on (through stages of this file),
    with global ARG defaults substituted; None for scratch or unknown."""
    from ._pkgcache import root_stage

    st: Stage | None = root_stage(tree, stage)
    if st is None or st.base is None:
        return None
    raw = st.base.value
    defaults = tree.memo.get("_apt_apk.arg_defaults")
    if defaults is None:
        defaults = tree.memo["_apt_apk.arg_defaults"] = _arg_defaults(tree)
    return _VAR.sub(lambda m: defaults.get(m.group(1), m.group(0)), raw).lower()


def non_apk_base(tree: Dockerfile, stage: Stage) -> str | None:
    """The base image when it is known not to use apk (Debian, Ubuntu,
    RHEL-like, distroless...), else None (Alpine-like or unknown)."""
    image = base_image(tree, stage)
    if not image or image == "scratch":
        return None
    if any(k in image for k in APK_DISTROS):
        return None
    name = image.rsplit("/", 1)[-1]
    if any(k in name for k in NON_APK_DISTROS):
        return image
    return None


def _contains(node, types) -> bool:
    return any(n.type in types for n in shell.walk(node))


# -- what hadolint would say about apt-get commands -------------------------
# hadolint checks `apt-get` only (not `apt`).  Turning `apt` into `apt-get`
# must not give hadolint a finding the file did not have: these helpers
# mirror its per-RUN checks DL3008, DL3009, DL3014 and DL3015.


def _hl_text(a: Arg) -> str:
    return a.value if a.value is not None else a.text


def _hl_flags(a: Arg) -> list[str]:
    t = _hl_text(a)
    if t in ("-", "--") or not t.startswith("-"):
        return []
    if t.startswith("--"):
        return [t[2:].split("=", 1)[0]]
    return list(t[1:])


def _hl_install_codes(cmd: Command) -> set[str]:
    """hadolint codes an `apt-get install` with these arguments fails."""
    flags = {f for a in cmd.args for f in _hl_flags(a)}
    texts = [_hl_text(a) for a in cmd.args]
    codes = set()
    if not flags & {"y", "yes", "q", "assume-yes"}:
        codes.add("DL3014")
    if "no-install-recommends" not in flags and "APT::Install-Recommends=false" not in texts:
        codes.add("DL3015")
    drop_next = False
    for a in cmd.args:
        fl = _hl_flags(a)
        if fl:
            drop_next = "t" in fl or "target-release" in fl
            continue
        if drop_next:
            drop_next = False
            continue
        t = _hl_text(a)
        if t == "install":
            continue
        if not ("=" in t or "/" in t or t.endswith(".deb")):
            codes.add("DL3008")
    return codes


def _hl_cache_mount_ok(ins: Instruction) -> bool:
    targets = cache_mount_targets(ins)
    if any(t.startswith(APT_LISTS) for t in targets):
        return True
    return any(t.startswith("/var/lib/apt") for t in targets) and any(
        t.startswith("/var/cache/apt") for t in targets
    )


def _hl_has_cleanup(script: Script) -> bool:
    return any(
        c.program == "rm" and any(_hl_text(a) in ("-rf", APT_LISTS + "/*") for a in c.args)
        for c in script.commands
    )


def hadolint_apt_get_codes(
    ins: Instruction, script: Script, commands: list[Command], shipped: bool
) -> set[str]:
    """The hadolint rules (DL3008/9/14/15) a RUN fails when ``commands`` are
    its `apt-get` commands."""
    codes: set[str] = set()
    has_update = False
    for cmd in commands:
        if not any(_hl_text(a) == "install" for a in cmd.args):
            if any(_hl_text(a) == "update" for a in cmd.args):
                has_update = True
            continue
        if any(_hl_text(a) == "update" for a in cmd.args):
            has_update = True
        codes |= _hl_install_codes(cmd)
    if has_update and shipped and not _hl_cache_mount_ok(ins) and not _hl_has_cleanup(script):
        codes.add("DL3009")
    return codes


def canonical_edits(edits, src: str) -> list[Edit]:
    """The edits of one fix, sorted."""
    return sorted(edits)
