"""Shared machinery of the BuildKit cache-mount rules (DF211-DF219).

Not a rule module (the name starts with ``_``).  It knows:

* what a RUN sees: the ENV/ARG variables in effect (this stage and the
  stages of this file it builds on), the user, ``HOME``, and what a few
  well-known base images set (``golang`` sets ``GOPATH=/go``, ...);
* the ``--mount`` flags a RUN already has;
* how to cut a command out of a ``&&`` / ``;`` chain, an argument out of a
  command, or an ``X=1`` prefix out of a command, keeping the layout;
* the generic part of every cache-mount rule (:class:`CacheMountRule`):
  which targets are missing, what fights the cache in the RUN, whether a
  later instruction depends on the cache directory being in the image.
"""

from __future__ import annotations

import csv
import posixpath
import re
import weakref
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Iterable, Iterator

from ..analysis import Chain, Env, is_windows_stage, stage_parent, workdirs
from ..frontend import MOUNT_CACHE, MOUNT_CACHE_IDS
from ..rules import Context, Edit, Rule, Safety
from ..shell import Arg, Command, Script, script_of
from ..tree import Dockerfile, Instruction, Stage
from ._util import syntax_directive_edit


class _Unknown:
    """A variable that is set to a value the Dockerfile does not show."""

    _inst = None

    def __new__(cls):
        if cls._inst is None:
            cls._inst = super().__new__(cls)
        return cls._inst

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()

# ---------------------------------------------------------------------------
# words and variables


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A mount target written bare into `--mount=type=cache,target=…` must mean
# itself: no CSV quote or separator, no whitespace (the flag would end), and
# nothing BuildKit's expansion of the value would change (`$`, quotes, the
# escape characters `\` and `` ` ``).
_BARE_TARGET = re.compile(r"[^\s\"',$\\`\x00-\x1f\x7f]+")


def expand(raw: str, lookup, tilde_home: str | None | _Unknown = None) -> str | None:
    """The value of one shell/Dockerfile word: quotes and backslashes
    processed, ``$VAR``, ``${VAR}``, ``${VAR:-x}``, ``${VAR-x}``,
    ``${VAR:+x}``, ``${VAR+x}`` expanded through ``lookup(name)`` (a str,
    None for unset, or UNKNOWN).  ``~`` at the start becomes
    ``tilde_home`` when given.  None when the value cannot be known
    (an unknown variable, a command substitution, ...)."""
    out: list[str] = []
    i, n = 0, len(raw)
    quote = None
    if raw.startswith("~") and (n == 1 or raw[1] == "/"):
        if tilde_home is None or tilde_home is UNKNOWN:
            return None
        out.append(tilde_home)  # type: ignore[arg-type]
        i = 1
    while i < n:
        ch = raw[i]
        if quote == "'":
            if ch == "'":
                quote = None
            else:
                out.append(ch)
            i += 1
            continue
        if ch == "\\":
            if i + 1 < n:
                nxt = raw[i + 1]
                if quote == '"' and nxt not in '"\\$`\n':
                    out.append(ch)
                out.append(nxt)
                i += 2
            else:
                out.append(ch)
                i += 1
            continue
        if ch == "'" and quote is None:
            quote = "'"
            i += 1
            continue
        if ch == '"':
            quote = None if quote == '"' else '"'
            i += 1
            continue
        if ch == "`":
            return None
        if ch == "$":
            if i + 1 >= n:
                out.append("$")
                i += 1
                continue
            nxt = raw[i + 1]
            if nxt == "{":
                close = raw.find("}", i + 2)
                if close < 0:
                    return None
                inner = raw[i + 2 : close]
                m = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])(.*))?", inner, re.S)
                if not m:
                    return None
                name, op, word = m.group(1), m.group(2), m.group(3)
                val = lookup(name)
                if val is UNKNOWN:
                    return None
                if op is None:
                    out.append(val or "")
                else:
                    empty = val is None or (op.startswith(":") and val == "")
                    if op.endswith("-"):
                        if empty:
                            sub = expand(word, lookup)
                            if sub is None:
                                return None
                            out.append(sub)
                        else:
                            out.append(val)  # type: ignore[arg-type]
                    else:  # "+"
                        if not empty:
                            sub = expand(word, lookup)
                            if sub is None:
                                return None
                            out.append(sub)
                i = close + 1
                continue
            m = _NAME.match(raw, i + 1)
            if m:
                val = lookup(m.group(0))
                if val is UNKNOWN:
                    return None
                out.append(val or "")
                i = m.end()
                continue
            if nxt == "(" or nxt.isdigit() or nxt in "@*#?$!-":
                return None
            out.append("$")
            i += 1
            continue
        out.append(ch)
        i += 1
    if quote is not None:
        return None
    return "".join(out)


def truthy(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on")


def falsy(value) -> bool:
    return isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off")


# ---------------------------------------------------------------------------
# paths


def norm(path: str) -> str | None:
    """An absolute path normalised, or None when it is not absolute."""
    if not path.startswith("/"):
        return None
    p = posixpath.normpath(path)
    return "/" if p in ("/", "//") else p


def relation(path: str, target: str) -> str | None:
    """How ``path`` relates to ``target``: ``"equal"``, ``"inside"`` (path
    is below target), ``"ancestor"`` (path is above target) or None."""
    if path == target:
        return "equal"
    if target == "/" or path.startswith(target + "/"):
        return "inside"
    if path == "/" or target.startswith(path + "/"):
        return "ancestor"
    return None


_GLOB = re.compile(r"[*?\[]")


def _component_matches(pattern: str, name: str) -> bool:
    if name.startswith(".") and not pattern.startswith("."):
        return False  # the shell's * does not match a leading dot
    return fnmatchcase(name, pattern)


def glob_relation(path: str, target: str) -> str | None:
    """Like :func:`relation` for a path that may hold shell globs:
    ``"inside"`` when everything it can match is inside the target (or the
    target's content: ``/target/*``), ``"ancestor"`` when a glob at the
    target's level or above can match the target or something in it — it
    matches other paths too, and removing it would remove the mount
    point —, else None."""
    if not _GLOB.search(path):
        return relation(path, target)
    parts = path.strip("/").split("/")
    k = next(i for i, p in enumerate(parts) if _GLOB.search(p))
    prefix = "/" + "/".join(parts[:k])
    rel = relation(prefix, target)
    if rel in ("equal", "inside"):
        return "inside"
    if rel != "ancestor":
        return None
    tparts = target.strip("/").split("/")
    for j in range(k, min(len(parts), len(tparts))):
        pat = parts[j]
        if _GLOB.search(pat):
            if not _component_matches(pat, tparts[j]):
                return None
        elif pat != tparts[j]:
            return None
    return "ancestor"


# ---------------------------------------------------------------------------
# images


_REGISTRY_PREFIXES = (
    "docker.io/library/",
    "index.docker.io/library/",
    "registry-1.docker.io/library/",
    "registry.hub.docker.com/library/",
    "public.ecr.aws/docker/library/",
    "mirror.gcr.io/library/",
    "docker.io/",
    "index.docker.io/",
    "library/",
)


def image_name(ref: str) -> tuple[str, str]:
    """(repository, tag) of an image reference, lower-cased, with Docker
    Hub prefixes removed (``docker.io/library/python:3.12`` -> ``python``,
    ``3.12``)."""
    ref = ref.strip().lower()
    ref = ref.split("@", 1)[0]
    tag = ""
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    for p in _REGISTRY_PREFIXES:
        if ref.startswith(p):
            ref = ref[len(p) :]
            break
    return ref, tag


#: What well-known official images set (only what these rules look at).
IMAGE_ENV: dict[str, dict[str, str]] = {
    "golang": {"GOPATH": "/go"},
    "rust": {"CARGO_HOME": "/usr/local/cargo", "RUSTUP_HOME": "/usr/local/rustup"},
    "lukemathwalker/cargo-chef": {"CARGO_HOME": "/usr/local/cargo", "RUSTUP_HOME": "/usr/local/rustup"},
    "ruby": {"GEM_HOME": "/usr/local/bundle", "BUNDLE_APP_CONFIG": "/usr/local/bundle"},
    "composer": {"COMPOSER_HOME": "/tmp"},
}

# Images whose default user is not root (their user's HOME and uid are not
# in the Dockerfile).
_NONROOT_PREFIXES = (
    "jupyter/",
    "quay.io/jupyter/",
    "bitnami/",
    "cgr.dev/chainguard/",
    "cimg/",
    "circleci/",
    "selenium/",
    "jenkins/",
    "gcr.io/distroless/",
    "sonarqube",
)


def _nonroot_image(repo: str, tag: str) -> bool:
    return repo.startswith(_NONROOT_PREFIXES) or "nonroot" in tag or "non-root" in tag or "rootless" in tag


# ---------------------------------------------------------------------------
# what a RUN sees


@dataclass
class Facts:
    """The state of the build before one instruction."""

    # (Env and Chain: shared with the facts of the instruction before, so
    # facts for every instruction cost what the file does, not its square)
    env: Env  # ENV of this stage and its parents: name -> str | UNKNOWN
    args: Env  # ARG of this stage: name -> str | UNKNOWN
    user: object  # the USER string, "root" by default, or UNKNOWN
    base: tuple[str, str] | None  # (repo, tag) of the external image, None if unknown
    chain: Chain  # instructions before this one (parent stages first)
    shell_ok: bool = True  # no SHELL switched to a non-POSIX shell

    def lookup(self, name: str):
        """A variable's value, None when the file does not set it."""
        if name in self.env:
            return self.env[name]
        if name in self.args:
            return self.args[name]
        return None

    def expand_lookup(self, name: str):
        """For expanding a word as BuildKit does at build time: a variable
        the file does not set may still come from the base image's ENV, so
        it is unknown — except HOME, which images do not set (it expands to
        nothing), and PATH, only ever searched for a `.cargo/bin` entry."""
        v = self.lookup(name)
        if v is None:
            return "" if name in ("HOME", "PATH") else UNKNOWN
        return v


def _arg_pairs(ins: Instruction) -> Iterator[tuple[str, str | None]]:
    for w in ins.args:
        raw = str(w) if w.value is None else w.value
        if "=" in raw:
            k, v = raw.split("=", 1)
            yield k, v
        else:
            yield raw, None


class StageWalk:
    """Facts before every instruction of the file (computed once per tree)."""

    def __init__(self, tree: Dockerfile):
        self.tree = tree
        self.before: dict[int, Facts] = {}
        self.final: dict[int, Facts] = {}
        self.stage_of: dict[int, Stage] = {}
        self.windows: dict[int, bool] = {}
        self.workdirs = workdirs(tree)
        global_args: dict = {}
        for ins in tree.preamble:
            if ins.keyword == "ARG":
                for k, v in _arg_pairs(ins):
                    if v is None:
                        global_args[k] = UNKNOWN
                    else:
                        val = expand(v, lambda n: global_args.get(n))
                        global_args[k] = UNKNOWN if val is None else val
        self.global_args = global_args
        for stage in tree.stages:
            self.windows[stage.index] = is_windows_stage(tree, stage)
            parent = stage_parent(tree, stage)
            if parent is not None:
                pf = self.final[parent.index]
                facts = Facts(pf.env, Env(), pf.user, pf.base, pf.chain, pf.shell_ok)
            else:
                raw = stage.base.value if stage.base else ""
                ref = expand(raw, lambda n: global_args.get(n)) if raw else None
                if ref is None or not ref:
                    base = None
                    env = Env()
                    user: object = UNKNOWN
                else:
                    base = image_name(ref)
                    env = Env(IMAGE_ENV.get(base[0], {}))
                    user = UNKNOWN if _nonroot_image(*base) else "root"
                    if base[0] == "scratch":
                        user = "root"
                facts = Facts(env, Env(), user, base, Chain(), True)
            self.before[id(stage.from_)] = facts
            for ins in stage.instructions:
                self.stage_of[id(ins)] = stage
                self.before[id(ins)] = facts
                facts = self._step(facts, ins)
            self.final[stage.index] = facts

    def _step(self, f: Facts, ins: Instruction) -> Facts:
        env, args, user, shell_ok = f.env, f.args, f.user, f.shell_ok
        kw = ins.keyword
        if kw == "ENV":
            new = env.copy()
            for k, v in ins.pairs():
                val = expand(v.value if v.value is not None else str(v), f.expand_lookup)
                new[k.value] = UNKNOWN if val is None else val
            env = new
        elif kw == "ARG":
            args = args.copy()
            for k, v in _arg_pairs(ins):
                if v is None:
                    args[k] = self.global_args.get(k, UNKNOWN)
                else:
                    val = expand(v, f.expand_lookup)
                    args[k] = UNKNOWN if val is None else val
        elif kw == "USER" and ins.args:
            val = expand(ins.args[0].value, f.expand_lookup)
            user = UNKNOWN if val is None or not val else val
        elif kw == "SHELL":
            first = ins.args[0].value if ins.args else ""
            shell_ok = posixpath.basename(first) in ("sh", "bash", "ash", "dash", "zsh", "ksh", "busybox")
        return Facts(env, args, user, f.base, f.chain.then(ins), shell_ok)

    def descendants(self, stage: Stage) -> list[Stage]:
        """Stages of this file built on ``stage`` (directly or not)."""
        out = []
        idx = {stage.index}
        for st in self.tree.stages[stage.index + 1 :]:
            p = stage_parent(self.tree, st)
            if p is not None and p.index in idx:
                idx.add(st.index)
                out.append(st)
        return out


_WALKS: "weakref.WeakKeyDictionary[Dockerfile, StageWalk]" = weakref.WeakKeyDictionary()
_SCRIPTS: "weakref.WeakKeyDictionary[Dockerfile, dict]" = weakref.WeakKeyDictionary()


def stage_walk(tree: Dockerfile) -> StageWalk:
    walk = _WALKS.get(tree)
    if walk is None:
        walk = _WALKS[tree] = StageWalk(tree)
    return walk


def cached_script(tree: Dockerfile, ins: Instruction) -> Script | None:
    cache = _SCRIPTS.setdefault(tree, {})
    key = id(ins)
    if key not in cache:
        cache[key] = script_of(ins)
    return cache[key]


# ---------------------------------------------------------------------------
# users


def _opt_value(cmd: Command, shorts: tuple[str, ...], longs: tuple[str, ...]) -> str | None | _Unknown:
    """The value of an option given as ``-u 1000``, ``-u1000``,
    ``--uid 1000`` or ``--uid=1000`` (last one wins); None if absent."""
    found: object = None
    args = cmd.args
    for i, a in enumerate(args):
        v = a.value
        if v is None:
            continue
        for lo in longs:
            if v == lo:
                found = args[i + 1].value if i + 1 < len(args) and args[i + 1].value is not None else UNKNOWN
            elif v.startswith(lo + "="):
                found = v[len(lo) + 1 :]
        for sh in shorts:
            if v == sh:
                found = args[i + 1].value if i + 1 < len(args) and args[i + 1].value is not None else UNKNOWN
            elif v.startswith(sh) and len(v) > len(sh) and not v.startswith("--"):
                found = v[len(sh) :]
    return found  # type: ignore[return-value]


_VALUE_OPTS_USERADD = {"-u", "--uid", "-g", "--gid", "-G", "--groups", "-d", "--home", "--home-dir", "-s", "--shell",
                       "-c", "--comment", "--gecos", "-k", "--skel", "-e", "--expiredate", "-f", "--inactive", "-K",
                       "--key", "-p", "--password", "-h", "--ingroup", "-b", "--base-dir", "-Z", "--selinux-user",
                       "--firstuid", "--lastuid", "--firstgid", "--lastgid", "--conf", "--add_extra_groups"}


def _plain_operands(cmd: Command) -> list[str | None]:
    out = []
    skip = False
    for a in cmd.args:
        v = a.value
        if skip:
            skip = False
            continue
        if v is not None and v.startswith("-"):
            if v in _VALUE_OPTS_USERADD:
                skip = True
            continue
        out.append(v)
    return out


def created_ids(chain: Iterable[Instruction], tree: Dockerfile) -> tuple[Env, Env, Env]:
    """(uid by user name, gid by group name, primary group by user name)
    of the users and groups created with explicit ids in these RUNs."""
    acc = _NO_IDS
    for ins in chain:
        acc = _add_ids(acc, ins, tree)
    return acc


_NO_IDS: tuple[Env, Env, Env] = (Env(), Env(), Env())


def _add_ids(acc: tuple[Env, Env, Env], ins: Instruction, tree: Dockerfile) -> tuple[Env, Env, Env]:
    """``acc`` plus the ids the RUN ``ins`` creates (the tables are new
    ones, sharing what they can with the old)."""
    if ins.keyword != "RUN":
        return acc
    script = cached_script(tree, ins)
    if script is None:
        return acc
    uids, gids, groups = (t.copy() for t in acc)
    for cmd in script.commands:
        prog = cmd.program
        if prog in ("useradd", "adduser"):
            ops = _plain_operands(cmd)
            if not ops or ops[0] is None:
                continue
            name = ops[-1] if prog == "useradd" else ops[0]
            if name is None:
                continue
            uid = _opt_value(cmd, ("-u",), ("--uid",))
            if isinstance(uid, str) and uid.isdigit():
                uids[name] = int(uid)
            grp = _opt_value(cmd, ("-g",) if prog == "useradd" else ("-G",), ("--gid", "--ingroup"))
            if isinstance(grp, str):
                if grp.isdigit():
                    gids["#" + name] = int(grp)
                groups[name] = grp
        elif prog in ("groupadd", "addgroup"):
            ops = _plain_operands(cmd)
            if not ops or ops[-1] is None:
                continue
            gid = _opt_value(cmd, ("-g",), ("--gid",))
            if isinstance(gid, str) and gid.isdigit():
                gids[ops[0] if prog == "addgroup" else ops[-1]] = int(gid)  # type: ignore[index]
    return uids, gids, groups


@dataclass(frozen=True)
class Identity:
    root: bool
    uid: int | None = None
    gid: int | None = None


def identity(facts: Facts, tree: Dockerfile) -> Identity | None:
    """Who RUN commands run as, or None when unknown."""
    user = facts.user
    if user is UNKNOWN or not isinstance(user, str):
        return None
    name, _, group = user.partition(":")
    if name in ("root", "0"):
        return Identity(True, 0, 0)
    # (a fold over the chain: once per instruction for the whole file)
    uids, gids, groups = facts.chain.fold("_cache.created_ids", lambda acc, ins: _add_ids(acc, ins, tree), _NO_IDS)
    uid = int(name) if name.isdigit() else uids.get(name)
    if uid is None:
        return None
    gid = None
    if group:
        gid = int(group) if group.isdigit() else gids.get(group)
    elif not name.isdigit():
        g = groups.get(name)
        if g is not None:
            gid = int(g) if g.isdigit() else gids.get(g)
        else:
            gid = gids.get("#" + name)
    return Identity(uid == 0, uid, gid)


# ---------------------------------------------------------------------------
# mounts


@dataclass(frozen=True)
class Mount:
    """A cache mount to add."""

    target: str
    sharing: str | None = None
    uid: int | None = None
    gid: int | None = None

    def text(self) -> str:
        out = f"--mount=type=cache,target={self.target}"
        if self.sharing:
            out += f",sharing={self.sharing}"
        if self.uid:
            out += f",uid={self.uid}"
        if self.gid:
            out += f",gid={self.gid}"
        return out


@dataclass(frozen=True)
class ExistingMount:
    type: str
    target: str | None  # None: cannot be known
    source: str | None
    from_: str | None


def existing_mounts(ins: Instruction, lookup) -> list[ExistingMount]:
    out = []
    for flag in ins.flags:
        if flag.name != "mount" or flag.value is None:
            continue
        try:
            fields = next(csv.reader([flag.value]))
        except (csv.Error, StopIteration):
            out.append(ExistingMount("unknown", None, None, None))
            continue
        opts: dict[str, str] = {}
        for f in fields:
            k, _, v = f.partition("=")
            opts[k.strip().lower()] = v
        typ = opts.get("type", "bind").lower()
        raw = opts.get("target", opts.get("dst", opts.get("destination")))
        target = None
        if raw is not None:
            val = expand(raw, lookup)
            target = norm(val) if val is not None else None
        out.append(ExistingMount(typ, target, opts.get("source", opts.get("src")), opts.get("from")))
    return out


def mount_insert_edit(ins: Instruction, mounts: list[Mount]) -> Edit:
    """Insert the mount flags right after ``RUN`` (before any flag).  The
    text goes in as `` --mount=…`` right after the keyword, so the change is
    where a diff of the two texts puts it."""
    text = " ".join(m.text() for m in mounts)
    kw = ins.keyword_word
    assert kw is not None
    return Edit(kw.end, kw.end, " " + text)


# ---------------------------------------------------------------------------
# the chain of a script, and edits that cut parts out of it


_SEPARATORS = {";", "&", "\n", ";;"}


@dataclass
class Element:
    """One element of the top-level chain of a script."""

    node: object  # tree-sitter node
    start: int
    end: int
    op_before: str | None = None
    op_after: str | None = None


def chain(script: Script) -> list[Element]:
    """The top-level elements of ``script`` (what ``&&``, ``||``, ``;`` and
    newlines separate), with the operators around each one.  Iterative:
    tree-sitter nests ``a && b && …`` as deep as the chain is long."""
    elems: list[Element] = []
    pending: list[str | None] = [None]

    def add(node, end: int | None) -> None:
        e = Element(node, script._c(node.start_byte), end if end is not None else script._c(node.end_byte))
        e.op_before = pending[0] if elems or pending[0] is not None else None
        if elems:
            elems[-1].op_after = e.op_before
        elems.append(e)
        pending[0] = "\n"

    for child in script.tree.root_node.children:
        t = child.type
        if t == "comment":
            continue
        if t in _SEPARATORS:
            pending[0] = t
            continue
        # depth-first, left to right, without recursion: (node, end) or an operator
        stack: list = [(child, None)]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                pending[0] = item
                continue
            node, end = item
            if node.type == "list":
                kids = [k for k in node.children if k.type != "comment"]
                todo: list = []
                for k in kids:
                    if k.type in ("&&", "||"):
                        todo.append(k.type)
                    else:
                        todo.append((k, end if k is kids[-1] else None))
                stack.extend(reversed(todo))
            elif node.type == "redirected_statement" and node.children and node.children[0].type == "list":
                stack.append((node.children[0], script._c(node.end_byte)))
            else:
                add(node, end)
    return elems


def element_of(elems: list[Element], cmd: Command) -> int | None:
    """Index of the chain element that is exactly ``cmd`` (possibly with
    redirections), or None when the command is nested deeper."""
    for i, e in enumerate(elems):
        node = e.node
        if node.type == "redirected_statement" and node.children:
            node = node.children[0]
        if node.type in ("command", "declaration_command", "variable_assignment") and e.start == cmd.start:
            return i
    return None


_REMOVABLE_OPS = {None, "&&", ";", "\n"}


class CutError(Exception):
    """The part cannot be cut out cleanly."""


def _unit(elems: list[Element], i: int) -> tuple[int, int]:
    """The removable unit starting at element i: the element itself, or
    ``X || true`` together."""
    e = elems[i]
    if e.op_after == "||" and i + 1 < len(elems):
        nxt = elems[i + 1].node
        if nxt.type == "command":
            names = [c for c in nxt.children if c.type == "command_name"]
            words = [c for c in nxt.children if c.type != "command_name"]
            if names and not words and names[0].text in (b"true", b":"):
                return i, i + 1
    return i, i


def cut_elements(script: Script, elems: list[Element], indexes: Iterable[int], heredoc: bool) -> list[Edit]:
    """Edits removing these chain elements (each with its ``|| true``)."""
    units: list[tuple[int, int]] = []
    for i in sorted(set(indexes)):
        if units and units[-1][0] <= i <= units[-1][1]:
            continue
        a, b = _unit(elems, i)
        if elems[a].op_before not in _REMOVABLE_OPS or elems[b].op_after not in _REMOVABLE_OPS:
            raise CutError("not a plain && / ; chain element")
        units.append((a, b))
    # group adjacent units into runs
    runs: list[list[int]] = []
    for a, b in units:
        if runs and runs[-1][1] + 1 == a:
            runs[-1][1] = b
        else:
            runs.append([a, b])
    text = script.text
    edits = []
    for a, b in runs:
        prev = a - 1 if a > 0 else None
        nxt = b + 1 if b + 1 < len(elems) else None
        if prev is None and nxt is None:
            raise CutError("nothing would be left")
        first, last = elems[a], elems[b]
        op1, op2 = first.op_before, last.op_after
        if heredoc and op1 in (None, "\n") and op2 in (None, "\n"):
            ls = text.rfind("\n", 0, first.start) + 1
            le = text.find("\n", last.end)
            le = len(text) if le < 0 else le + 1
            if not text[ls : first.start].strip() and not text[last.end : le].strip():
                edits.append(Edit(script.source(ls), script.source_end(le) if le > ls else script.source(ls)))
                continue
        if prev is None:
            s, e = first.start, elems[nxt].start  # type: ignore[index]
            edits.append(Edit(script.source(s), script.source(e)))
        elif nxt is None or not (op1 in (";", "\n") and op2 == "&&"):
            s, e = elems[prev].end, last.end
            edits.append(Edit(script.source_end(s), script.source_end(e)))
        else:
            s, e = first.start, elems[nxt].start
            edits.append(Edit(script.source(s), script.source(e)))
    return edits


def cut_arg(script: Script, cmd: Command, arg: Arg) -> Edit:
    """Remove one argument and the blank (or continuation) before it."""
    k = next(i for i, a in enumerate(cmd.args) if a is arg)
    prev_end = cmd.args[k - 1].end if k > 0 else cmd.name_end
    return Edit(script.source_end(prev_end), script.source_end(arg.end))


def replace_arg(script: Script, arg: Arg, text: str) -> Edit:
    return Edit(script.source(arg.start), script.source_end(arg.end), text)


_NODES: "weakref.WeakKeyDictionary[Script, dict]" = weakref.WeakKeyDictionary()


def command_node(script: Script, cmd: Command):
    """The tree-sitter node of ``cmd`` (one walk of the tree per script)."""
    nodes = _NODES.get(script)
    if nodes is None:
        nodes = {}
        stack = [script.tree.root_node]
        while stack:
            node = stack.pop()
            if node.type == "command":
                nodes[(script._c(node.start_byte), script._c(node.end_byte))] = node
            stack.extend(node.children)
        _NODES[script] = nodes
    return nodes.get((cmd.start, cmd.end))


def assignments(script: Script, cmd: Command) -> list[tuple[str, str, int, int]]:
    """(name, raw value, start, end) of the ``X=1`` prefixes of a command."""
    node = command_node(script, cmd)
    out = []
    if node is None:
        return out
    for child in node.children:
        if child.type == "variable_assignment":
            text = script.node_text(child)
            name, _, value = text.partition("=")
            out.append((name, value, script._c(child.start_byte), script._c(child.end_byte)))
    return out


def cut_assignment(script: Script, cmd: Command, start: int) -> Edit:
    """Remove the ``X=1 `` prefix starting at ``start``."""
    node = command_node(script, cmd)
    kids = [c for c in node.children] if node is not None else []
    nxt = None
    for i, c in enumerate(kids):
        if script._c(c.start_byte) == start and i + 1 < len(kids):
            nxt = script._c(kids[i + 1].start_byte)
    if nxt is None:
        raise CutError("no word after the assignment")
    return Edit(script.source(start), script.source(nxt))


def script_exports(script: Script) -> list[tuple[str, str, int, bool, object]]:
    """Variables a script sets for the commands after them:
    (name, raw value, script offset, top-level, node) of ``export X=..``,
    ``declare -x``, and ``X=..`` statements."""
    out = []
    stack = [(script.tree.root_node, True)]
    while stack:
        node, top = stack.pop()
        t = node.type
        if t == "declaration_command":
            for c in node.children:
                if c.type == "variable_assignment":
                    text = script.node_text(c)
                    name, _, value = text.partition("=")
                    out.append((name, value, script._c(c.start_byte), top, node))
            continue
        if t == "variable_assignment" and node.parent is not None and node.parent.type != "command":
            text = script.node_text(node)
            name, _, value = text.partition("=")
            out.append((name, value, script._c(node.start_byte), top, node))
            continue
        if t == "command":
            continue
        inner_top = top and t in ("program", "list", "redirected_statement")
        for c in node.children:
            stack.append((c, inner_top))
    return out


# ---------------------------------------------------------------------------
# one RUN, as the rules see it


@dataclass
class Run:
    """One shell-form RUN and what it sees."""

    ctx: Context
    ins: Instruction
    stage: Stage
    script: Script
    facts: Facts
    heredoc: bool
    _who: object = field(default=0, repr=False)
    _elems: list[Element] | None = field(default=None, repr=False)
    _exports: list | None = field(default=None, repr=False)

    @property
    def tree(self) -> Dockerfile:
        return self.ctx.tree

    @property
    def who(self) -> Identity | None:
        if self._who == 0:
            self._who = identity(self.facts, self.tree)
        return self._who  # type: ignore[return-value]

    @property
    def elems(self) -> list[Element]:
        if self._elems is None:
            self._elems = chain(self.script)
        return self._elems

    @property
    def exports(self):
        if self._exports is None:
            self._exports = script_exports(self.script)
        return self._exports

    @property
    def base(self) -> str:
        return self.facts.base[0] if self.facts.base else ""

    @property
    def tag(self) -> str:
        return self.facts.base[1] if self.facts.base else ""

    def lookup(self, name: str, cmd: Command | None = None):
        """A variable as ``cmd`` sees it: its own ``X=1`` prefix, else the
        last ``export``/assignment before it in this RUN (UNKNOWN when set
        inside a condition or loop), else ENV/ARG."""
        if cmd is not None:
            for n, v, _s, _e in assignments(self.script, cmd):
                if n == name:
                    val = expand(v, self.word_lookup())
                    return UNKNOWN if val is None else val
        before = cmd.start if cmd is not None else len(self.script.text) + 1
        found: object = 0
        for n, v, at, top, _node in self.exports:
            if n == name and at < before:
                if not top:
                    return UNKNOWN
                found = (at, v)
        if found != 0:
            _at, v = found  # type: ignore[misc]
            val = expand(v, self.word_lookup())
            return UNKNOWN if val is None else val
        return self.facts.lookup(name)

    def word_lookup(self, cmd: Command | None = None):
        """Variables as the shell sees them when it runs ``cmd``: what the
        file sets, HOME (set by the runtime), and UNKNOWN for anything else
        (the base image may set it)."""

        def look(name: str):
            v = self.lookup(name, cmd)
            if v is None:
                if name == "HOME":
                    return self.home(cmd) or UNKNOWN
                return UNKNOWN
            return v

        return look

    def path(self, raw: str | None, cmd: Command | None = None) -> str | None:
        """An absolute path from a word (variables expanded), or None."""
        if raw is None:
            return None
        val = expand(raw, self.word_lookup(cmd), self.home(cmd))
        if val is None:
            return None
        return norm(val)

    def home(self, cmd: Command | None = None):
        h = self.lookup("HOME", cmd)
        if h is UNKNOWN:
            return None
        if isinstance(h, str):
            return norm(h)
        who = self.who
        if who is not None and who.root:
            return "/root"
        return None

    def env_dir(self, name: str, cmd: Command | None = None):
        """An environment variable naming a directory: its absolute path,
        None if unset, UNKNOWN if it cannot be known (or is not absolute)."""
        v = self.lookup(name, cmd)
        if v is None:
            return None
        if v is UNKNOWN or not isinstance(v, str):
            return UNKNOWN
        if v == "":
            return None
        p = norm(v)
        return p if p is not None else UNKNOWN

    def xdg(self, name: str, default: str, cmd: Command | None = None):
        """``$XDG_CACHE_HOME`` (etc.), else ``$HOME/<default>``; None when
        it cannot be known."""
        v = self.env_dir(name, cmd)
        if v is UNKNOWN:
            return None
        if v is not None:
            return v
        home = self.home(cmd)
        return posixpath.join(home, default) if home else None

    def mount(self, target: str, sharing: str | None = None) -> Mount:
        who = self.who
        if who is None or who.root:
            return Mount(target, sharing)
        return Mount(target, sharing, who.uid, who.gid)

    def source_span(self, cmd: Command) -> tuple[int, int]:
        return self.script.source(cmd.start), self.script.source_end(cmd.end)


def runs(ctx: Context) -> Iterator[Run]:
    """Every shell-form RUN of the file that the cache rules may look at."""
    tree = ctx.tree
    walk = stage_walk(tree)
    for stage in tree.stages:
        if walk.windows.get(stage.index):
            continue
        for ins in stage.instructions:
            r = make_run(ctx, ins)
            if r is not None:
                yield r


def make_run(ctx: Context, ins: Instruction) -> Run | None:
    if ins.keyword != "RUN":
        return None
    tree = ctx.tree
    walk = stage_walk(tree)
    stage = walk.stage_of.get(id(ins))
    if stage is None or walk.windows.get(stage.index):
        return None
    facts = walk.before[id(ins)]
    if not facts.shell_ok:
        return None
    script = cached_script(tree, ins)
    if script is None or script.has_error:
        return None
    heredoc = any(h.body_start <= script.source(0) <= h.body_end for h in ins.heredocs)
    return Run(ctx, ins, stage, script, facts, heredoc)


# ---------------------------------------------------------------------------
# the rules


@dataclass
class Use:
    """One command of the RUN that uses the cache."""

    cmd: Command
    label: str  # e.g. "pip install"
    targets: list[Mount] | None  # None: the cache directory cannot be known
    fights: list = field(default_factory=list)  # ("arg", cmd, arg) | ("assign", cmd, start) | ("cmd", cmd) | ("replace", cmd, arg, text)
    option_args: set = field(default_factory=set)  # id() of args naming the cache dir


@dataclass
class Plan:
    run: Run
    uses: list[Use]
    missing: list[Mount]
    targets: list[str]
    edits: list[Edit]
    fight_texts: list[str]


_RM_OPTS = re.compile(r"^-[rRfv]+$")
_RM_LONG = {"--recursive", "--force", "--verbose", "--"}


def operands(cmd: Command, value_opts: Iterable[str] = (), start: int = 0):
    """(index, value) of the non-option arguments from ``start`` on (the
    values of ``value_opts`` skipped); an expansion is yielded as
    ``(index, None)`` and ends the walk (what follows cannot be placed)."""
    vo = set(value_opts)
    skip = False
    for i in range(start, len(cmd.args)):
        v = cmd.args[i].value
        if skip:
            skip = False
            continue
        if v is None:
            yield i, None
            return
        if v.startswith("-") and v != "-":
            if v in vo:
                skip = True
            continue
        yield i, v


def first_operand(
    cmd: Command, value_opts: Iterable[str] = (), start: int = 0
) -> tuple[int, str | None] | None:
    """(index, value) of the first non-option argument, or None."""
    return next(operands(cmd, value_opts, start), None)


def subcommand(cmd: Command, value_opts: Iterable[str] = ()) -> str | None:
    op = first_operand(cmd, value_opts)
    return op[1] if op else None


def option_path(run: Run, cmd: Command, names: Iterable[str], use: Use | None = None):
    """The directory given by an option like ``--cache-dir X`` /
    ``--cache-dir=X``: a path, None when absent, UNKNOWN when it cannot be
    known.  The args are recorded in ``use.option_args``."""
    names = tuple(names)
    found: object = None
    args = cmd.args
    for i, a in enumerate(args):
        v = a.value if a.value is not None else a.text
        for n in names:
            if v == n and i + 1 < len(args):
                p = run.path(args[i + 1].text, cmd)
                found = p if p is not None else UNKNOWN
                if use is not None:
                    use.option_args.update({id(a), id(args[i + 1])})
            elif v.startswith(n + "=") and n.startswith("--"):
                p = run.path(a.text[len(n) + 1 :], cmd)
                found = p if p is not None else UNKNOWN
                if use is not None:
                    use.option_args.add(id(a))
    return found


class CacheMountRule(Rule):
    """Base class of the cache-mount rules (not registered: no code)."""

    safety = Safety.SAFE
    covers = ()
    #: the cache is a store later steps may read offline or at run time
    store: bool = False
    #: programs that read the store when the container runs (CMD/ENTRYPOINT)
    runtime_tools: tuple[str, ...] = ()

    # -- to implement -----------------------------------------------------
    def uses(self, run: Run) -> list[Use]:  # pragma: no cover - abstract
        raise NotImplementedError

    def reads_offline(self, run: Run) -> bool:
        """The RUN reads the cache directory without filling it (an offline
        install, an install without fetching the index first).  Such a RUN
        never gets the mount, and an earlier RUN whose cache it reads keeps
        writing it into the image."""
        return False

    def exec_reads_offline(self, ins: Instruction) -> bool:
        """Same as reads_offline for an exec-form RUN (``RUN ["mvn", "-o"]``)."""
        return False

    # -- generic ------------------------------------------------------------
    def check(self, ctx: Context):
        for run in runs(ctx):
            plan = self.plan(run)
            if plan is None:
                continue
            if self.conflicts(run, plan.targets):
                continue
            yield self.finding(ctx, plan)
            yield from self.extra_findings(run, plan)

    def extra_findings(self, run: Run, plan: Plan):
        return ()

    def finding(self, ctx: Context, plan: Plan):
        use = plan.uses[0]
        span = plan.run.source_span(use.cmd)
        syntax = syntax_directive_edit(ctx.tree)
        edits = list(plan.edits)
        if syntax is not None:
            edits.append(syntax)
        if plan.missing:
            mounts = ", ".join(f"`{m.text()}`" for m in plan.missing)
            msg = f"`{use.label}` downloads again on every build: add {mounts}"
            if plan.fight_texts:
                msg += " and drop " + ", ".join(f"`{t}`" for t in plan.fight_texts)
        else:
            msg = (
                ", ".join(f"`{t}`" for t in plan.fight_texts)
                + f" keeps `{use.label}` from using the cache mount on {', '.join(plan.targets)}: remove it"
            )
        if plan.missing:
            # never write a mount the file's pinned frontend cannot parse
            needs = [MOUNT_CACHE] + ([MOUNT_CACHE_IDS] if any(m.uid or m.gid for m in plan.missing) else [])
            if not ctx.frontend.supports(*needs):
                return ctx.finding(span, f"{msg} (not fixed: {ctx.frontend.why_not(*needs)})")
        return ctx.finding(span, msg, edits)

    def plan(self, run: Run) -> Plan | None:
        uses = self.uses(run)
        if not uses:
            return None
        if any(u.targets is None for u in uses):
            return None
        if self.reads_offline(run):
            return None
        targets: list[Mount] = []
        for u in uses:
            for m in u.targets or ():
                if m.target in ("/", "/dev", "/proc", "/sys", "/tmp") or m.target.startswith(("/dev/", "/proc/", "/sys/")):
                    return None
                if not _BARE_TARGET.fullmatch(m.target):
                    return None  # it cannot be written as is (e.g. a HOME with quotes in it)
                if all(t.target != m.target for t in targets):
                    targets.append(m)
        paths = [t.target for t in targets]
        # mounts the RUN has already
        existing = existing_mounts(run.ins, run.facts.expand_lookup)
        missing = []
        for m in targets:
            covered = False
            for ex in existing:
                if ex.target is None:
                    return None  # cannot tell what it covers
                rel = relation(m.target, ex.target)
                if rel is None:
                    continue
                if ex.type != "cache" or rel == "ancestor":
                    return None  # another mount there, or a cache mount below: the author chose
                covered = True
            if not covered:
                missing.append(m)
        # what fights the cache
        edits: list[Edit] = []
        texts: list[str] = []
        cut_cmds: set[int] = set()
        for u in uses:
            for f in u.fights:
                if f[0] == "cmd":
                    cut_cmds.add(f[1].start)
                elif f[0] == "stmt":
                    cut_cmds.add(f[1])
        try:
            rm_cut, rm_args = self._rm_fights(run, paths, cut_cmds)
        except CutError:
            return None
        cut_cmds |= rm_cut
        for u in uses:
            for f in u.fights:
                kind, cmd = f[0], f[1]
                if kind in ("cmd", "stmt") or cmd.start in cut_cmds:
                    continue
                if kind == "arg":
                    edits.append(cut_arg(run.script, cmd, f[2]))
                    texts.append(f[2].text)
                elif kind == "replace":
                    edits.append(replace_arg(run.script, f[2], f[3]))
                    texts.append(f[2].text)
                elif kind == "assign":
                    try:
                        edits.append(cut_assignment(run.script, cmd, f[2]))
                    except CutError:
                        return None
                    texts.append(run.script.text[f[2] : f[3]] if len(f) > 3 else "assignment")
        for cmd, arg in rm_args:
            edits.append(cut_arg(run.script, cmd, arg))
            opts = " ".join(a.text for a in cmd.args if (a.value or a.text).startswith("-"))
            texts.append(f"rm {opts} {arg.text}" if opts else f"rm {arg.text}")
        if cut_cmds:
            idx = []
            by_start = {c.start: c for c in run.script.commands}
            for start in sorted(cut_cmds):
                cmd = by_start.get(start)
                i = element_of(run.elems, cmd) if cmd is not None else None
                if i is None:
                    # an `export X=1` statement
                    i = next((k for k, e in enumerate(run.elems) if e.start == start), None)
                if i is None:
                    return None
                idx.append(i)
                texts.append(run.script.text[run.elems[i].start : run.elems[i].end])
            try:
                edits.extend(cut_elements(run.script, run.elems, idx, run.heredoc))
            except CutError:
                return None
        # anything else in the RUN that reads or writes the cache directory
        if self._mentions(run, paths, cut_cmds, uses):
            return None
        if not missing and not edits:
            return None
        if missing:
            edits.append(mount_insert_edit(run.ins, missing))
        edits.sort()
        for a, b in zip(edits, edits[1:]):
            if a.end > b.start or (a.start == a.end == b.start == b.end):
                return None
        texts = list(dict.fromkeys(" ".join(t.split()) for t in texts))
        return Plan(run, uses, missing, paths, edits, texts)

    # -- rm and other mentions of the cache directory -----------------------
    def _rm_fights(self, run: Run, targets: list[str], cut_cmds: set[int]):
        """rm commands that remove cache content: whole commands to cut and
        arguments to cut.  CutError when an rm would remove a mount point
        (it would fail with EBUSY) and cannot be dropped."""
        cut: set[int] = set()
        args: list[tuple[Command, Arg]] = []
        for cmd in run.script.commands:
            if cmd.program != "rm" or cmd.start in cut_cmds:
                continue
            opts_ok = all(
                a.value is not None and (_RM_OPTS.match(a.value) or a.value in _RM_LONG)
                for a in cmd.args
                if (a.value or a.text).startswith("-")
            )
            operands = [a for a in cmd.args if not (a.value or a.text).startswith("-")]
            hits = []
            for a in operands:
                p = self._glob_path(run, cmd, a)
                if p is None:
                    if self._relative_may_hit(run, cmd, a, targets):
                        raise CutError(f"rm {a.text}: cannot tell what it removes")
                    continue
                kinds = {glob_relation(p, t) for t in targets} - {None}
                if not kinds:
                    continue
                if "ancestor" in kinds:
                    raise CutError(f"rm {a.text} would remove the mount point")
                hits.append(a)
            if not hits:
                continue
            if not opts_ok:
                raise CutError("rm with unusual options on the cache directory")
            if len(hits) == len(operands):
                cut.add(cmd.start)
            else:
                args.extend((cmd, a) for a in hits)
        return cut, args

    def _glob_path(self, run: Run, cmd: Command, a: Arg) -> str | None:
        """The absolute path (globs kept) an rm operand names, resolving a
        relative one against WORKDIR when no `cd` ran before it."""
        text = a.text
        # expand variables but keep glob characters as they are
        val = expand(text, run.word_lookup(cmd), run.home(cmd))
        if val is None:
            return None
        if not val.startswith("/") and val:
            cwd = self._cwd(run, cmd)
            if cwd is None:
                return None
            val = posixpath.join(cwd, val)
        return norm(val)

    def _cwd(self, run: Run, cmd: Command) -> str | None:
        if any(c.program in ("cd", "pushd", "popd") and c.start < cmd.start for c in run.script.commands):
            return None
        wd = stage_walk(run.tree).workdirs.get(id(run.ins))
        if wd is None:
            return None
        return wd.path

    def _relative_may_hit(self, run: Run, cmd: Command, a: Arg, targets: list[str]) -> bool:
        """An rm operand we cannot resolve: could it remove a mount point?"""
        text = a.text.strip("'\"")
        if text.startswith("/") and "$" not in text:
            return False
        comps = {c for t in targets for c in t.strip("/").split("/")}
        words = {c for c in re.split(r"[/$}{]+", text) if c and c not in (".", "..")}
        return bool(words & comps) or any(_GLOB.fullmatch(w) is not None for w in words) or text in ("*", ".", "..")

    def _mentions(self, run: Run, targets: list[str], cut_cmds: set[int], uses: list[Use]) -> bool:
        skip_args = set()
        for u in uses:
            skip_args |= u.option_args
        for cmd in run.script.commands:
            if cmd.start in cut_cmds or cmd.program == "rm":
                continue
            for a in cmd.args:
                if id(a) in skip_args:
                    continue
                if self._arg_mentions(run, cmd, a, targets):
                    return True
        return False

    def _arg_mentions(self, run: Run, cmd: Command, a: Arg, targets: list[str]) -> bool:
        text = a.text
        if "/" not in text and "~" not in text:
            return False
        val = expand(text, run.word_lookup(cmd), run.home(cmd))
        if val is None:
            return False
        # `--opt=/path` or `-Dx=/path`
        cands = [val]
        if "=" in val:
            cands.append(val.split("=", 1)[1])
        for c in cands:
            p = norm(c)
            if p is None:
                continue
            for t in targets:
                if glob_relation(p, t) in ("equal", "inside"):
                    return True
        return False

    # -- later instructions -------------------------------------------------
    def conflicts(self, run: Run, targets: list[str]) -> bool:
        """Does a later instruction depend on the cache directory's content
        being in the image (or an earlier one put content there that this
        RUN reads)?

        Each part is an "any" over instructions: worked out once per
        instruction (and stage) for the whole file and these targets, not
        once per RUN asking, which made a file of many RUNs cost its square."""
        tree = run.tree
        walk = stage_walk(tree)
        stage = run.stage
        key = ("_cache.conflicts", self.code, tuple(targets))
        memo = tree.memo.get(key)
        if memo is None:
            memo = tree.memo[key] = _ConflictMemo(tree, walk)
        assert isinstance(memo, _ConflictMemo)
        # files put into the cache directory before this RUN are hidden by the mount
        if run.facts.chain.any(key, lambda ins: self._earlier_conflict(run, ins, targets)):
            return True
        # later instructions of this stage, then the stages built on it
        pos = memo.position(stage, run.ins)
        if pos is not None and memo.suffix(stage, lambda ins: self._later_conflict(run, ins, targets), pos + 1):
            return True
        # COPY --from / RUN --mount from= of this stage or a stage built on it
        return memo.family_any(
            stage,
            lambda st: memo.suffix(st, lambda ins: self._later_conflict(run, ins, targets), 0),
            lambda st: self._refers(memo.refs(st), targets),
        )

    def _earlier_conflict(self, run: Run, ins: Instruction, targets: list[str]) -> bool:
        if ins.keyword in ("COPY", "ADD") and len(ins.args) >= 2:
            f = stage_walk(run.tree).before.get(id(ins))
            raw = ins.args[-1].value
            val = expand(raw, f.expand_lookup) if f is not None else None
            dest = norm(val) if val is not None else None
            if dest is None:
                return False
            for t in targets:
                rel = relation(dest, t)
                if rel in ("equal", "inside"):
                    return True
                if rel == "ancestor" and self._copy_reaches(run, ins, dest, t):
                    return True
        return False

    def _later_conflict(self, run: Run, ins: Instruction, targets: list[str]) -> bool:
        kw = ins.keyword
        if kw == "RUN":
            other = make_run(run.ctx, ins)
            if other is None:
                if ins.json and self.exec_reads_offline(ins):
                    return True
                return any(t in str(ins) for t in targets)
            if self.reads_offline(other):
                return True
            for cmd in other.script.commands:
                if cmd.program == "rm":
                    continue
                if any(self._arg_mentions(other, cmd, a, targets) for a in cmd.args):
                    return True
        elif kw in ("CMD", "ENTRYPOINT", "HEALTHCHECK"):
            words = [posixpath.basename(w.value) for w in ins.args]
            text = str(ins)
            if any(w in self.runtime_tools for w in words):
                return True
            if any(re.search(rf"(^|[\s/\"']){re.escape(t)}([\s\"']|$)", text) for t in self.runtime_tools):
                return True
            if any(t in text for t in targets):
                return True
        return False

    def _refers(self, refs: list[tuple[Instruction, str | None]], targets: list[str]) -> bool:
        """Does one of these ``--from=`` flags or ``--mount=…,from=`` (the
        source path) naming the stage read the cache directory?"""
        for ins, mount_source in refs:
            if mount_source is None:
                for src in ins.args[:-1]:
                    p = norm(src.value) if not ins.json else norm(src.value)
                    if p is None:
                        continue
                    for t in targets:
                        rel = relation(p, t)
                        if rel in ("equal", "inside") or (rel == "ancestor" and self.store and p != "/"):
                            return True
            else:
                p = norm(mount_source or "/")
                if p is None:
                    return True
                for t in targets:
                    rel = relation(p, t)
                    if rel in ("equal", "inside") or (rel == "ancestor" and self.store and p != "/"):
                        return True
        return False

    def _copy_reaches(self, run: Run, ins: Instruction, dest: str, target: str) -> bool:
        """Can a COPY into a parent of the cache directory put files into
        it?  From another stage or image: assume it can.  From the build
        context: only if the context holds that sub-directory."""
        if ins.flag("from") is not None:
            return True
        bc = run.ctx.build_context
        if bc is None:
            return False
        sub = target[len(dest) :].lstrip("/")
        for src in ins.args[:-1]:
            v = src.value.rstrip("/")
            if v in ("", "."):
                base = ""
            elif bc.exists(v) and not bc.is_file(v):
                base = v + "/"
            else:
                continue
            if bc.exists(base + sub):
                return True
        return False


class _ConflictMemo:
    """What :meth:`CacheMountRule.conflicts` works out once per tree, rule
    and cache targets: "any" over the instructions of a stage from an index
    on, over the stages built on a stage, and the ``from=`` references to
    each stage."""

    def __init__(self, tree: Dockerfile, walk: "StageWalk"):
        self.tree = tree
        self._suffix: dict[int, list[bool]] = {}  # stage -> any from index k on (computed from the end)
        self._positions: dict[int, dict[int, int]] = {}
        self._family: dict[int, bool] = {}
        self._children: dict[int, list[Stage]] | None = None
        self._refs: dict[str, list[tuple[Instruction, str | None]]] | None = None

    def position(self, stage: Stage, ins: Instruction) -> int | None:
        pos = self._positions.get(stage.index)
        if pos is None:
            pos = self._positions[stage.index] = {id(i): k for k, i in enumerate(stage.instructions)}
        return pos.get(id(ins))

    def suffix(self, stage: Stage, pred, k: int) -> bool:
        """Does ``pred`` hold for one of ``stage.instructions[k:]``?"""
        ins = stage.instructions
        done = self._suffix.setdefault(stage.index, [False])  # done[j]: any of the last j
        while len(done) <= len(ins) - k:
            j = len(done)
            done.append(done[-1] or bool(pred(ins[len(ins) - j])))
        return done[max(len(ins) - k, 0)]

    def children(self, stage: Stage) -> list[Stage]:
        if self._children is None:
            self._children = {}
            for st in self.tree.stages:
                p = stage_parent(self.tree, st)
                if p is not None:
                    self._children.setdefault(p.index, []).append(st)
        return self._children.get(stage.index, [])

    def refs(self, stage: Stage) -> list[tuple[Instruction, str | None]]:
        """The ``--from=`` flags (source None) and ``--mount=…,from=``
        (their source path) naming ``stage``."""
        if self._refs is None:
            self._refs = {}
            for ins in self.tree.instructions:
                for flag in ins.flags:
                    if flag.name == "from" and flag.value is not None:
                        self._refs.setdefault(flag.value.lower(), []).append((ins, None))
                    elif flag.name == "mount" and flag.value and "from=" in flag.value:
                        for ex in existing_mounts_raw(flag.value):
                            src = ex.get("source", ex.get("src", "/"))
                            self._refs.setdefault(ex.get("from", "").lower(), []).append((ins, src))
        names = {str(stage.index)}
        if stage.name:
            names.add(stage.name.lower())
        return [r for n in sorted(names) for r in self._refs.get(n, [])]

    def family_any(self, stage: Stage, own_later, own_refs) -> bool:
        """``own_refs`` of the stage, or ``own_later``/``own_refs`` of a stage
        built on it (directly or not)."""
        if own_refs(stage):
            return True
        if stage.index in self._family:
            return self._family[stage.index]
        # the stages below ``stage`` not worked out yet, parents before children
        order, stack = [], [stage]
        while stack:
            st = stack.pop()
            order.append(st)
            stack.extend(c for c in self.children(st) if c.index not in self._family)
        for st in reversed(order):
            self._family[st.index] = any(
                self._family[c.index] or own_later(c) or own_refs(c) for c in self.children(st)
            )
        return self._family[stage.index]


def existing_mounts_raw(value: str) -> list[dict[str, str]]:
    try:
        fields = next(csv.reader([value]))
    except (csv.Error, StopIteration):
        return []
    opts: dict[str, str] = {}
    for f in fields:
        k, _, v = f.partition("=")
        opts[k.strip().lower()] = v
    return [opts]


# ---------------------------------------------------------------------------
# small helpers for the tool modules


def program_is(cmd: Command, *pattern: str) -> bool:
    prog = cmd.program or ""
    return any(re.fullmatch(p, prog) for p in pattern)


def has_arg(cmd: Command, *values: str) -> bool:
    return any(a.value in values for a in cmd.args)


def arg_with_value(cmd: Command, *values: str) -> list[Arg]:
    return [a for a in cmd.args if a.value in values]


def env_assign_fights(run: Run, cmd: Command, names: Iterable[str]) -> list | None:
    """``X=1 cmd`` prefixes of ``cmd`` named ``names`` (as fights), or None
    when such a variable comes from elsewhere (an ``export`` inside a
    condition, ENV...) and cannot be removed."""
    names = set(names)
    out = []
    for n, v, s, e in assignments(run.script, cmd):
        if n in names:
            out.append(("assign", cmd, s, e))
    return out


def export_fights(run: Run, names: Iterable[str]) -> list | None:
    """``export X=1`` statements of the RUN setting one of ``names`` and
    nothing else, as whole commands to cut; None when one cannot be cut
    (inside a condition, or exporting other variables too)."""
    names = set(names)
    out = []
    for n, v, at, top, node in run.exports:
        if n not in names:
            continue
        if not top:
            return None
        if node.type == "declaration_command":
            assigns = [c for c in node.children if c.type == "variable_assignment"]
            words = [c for c in node.children if c.type not in ("variable_assignment", "export")]
            if len(assigns) != 1 or words:
                return None
        out.append(("stmt", run.script._c(node.start_byte)))
    return out


__all__ = [
    "UNKNOWN",
    "CacheMountRule",
    "CutError",
    "Mount",
    "Run",
    "Use",
    "chain",
    "cut_arg",
    "cut_elements",
    "expand",
    "glob_relation",
    "image_name",
    "relation",
]
