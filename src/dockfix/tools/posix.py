"""Generic commands the rules read: user and group creation, rm, wget and
curl (their grammars live in :mod:`.download`), cd, and the wrappers that
run another command (sudo, env, exec, time, nice, nohup, stdbuf, timeout,
xargs, command, gosu, su-exec, doas).

How a rule asks::

    p = tools.parse(cmd)                       # useradd -r -u 1000 -g app -d /home/app app
    acct = tools.posix.account(p)              # Account(kind="user", name="app", uid="1000", group="app", ...)
    p = tools.parse(cmd, unwrap=True)          # `sudo -E pip install x` is pip, p.via == "sudo"
    tools.posix.rm_plain(p)                    # only -r/-f/-v/--recursive/--force/--verbose
    tools.posix.wget_quiet(p)                  # -q, -nv, --progress=..., -o/-a

``adduser`` is BusyBox's (``-h DIR``, ``-g GECOS``, ``-G GROUP``, ``-u UID``,
``-S``, ``-D``, ``-H``: Alpine) or Debian's (long options; ``adduser USER
GROUP`` adds a user to a group); both are read by one grammar, as their
spellings do not collide.  ``addgroup [USER] GROUP`` likewise.
"""

from __future__ import annotations

from typing import Literal

from msgspec import Struct

from ._grammar import Grammar, Parsed, Token, opts
from .download import CURL, WGET, wget_quiet

USERADD = Grammar(
    "useradd",
    ("useradd",),
    opts(
        values=(
            "-b --base-dir, -c --comment, -d --home-dir --home, -e --expiredate, -f --inactive, -g --gid, "
            "-G --groups, -k --skel, -K --key, -p --password, -R --root, -P --prefix, -s --shell, -u --uid, "
            "-Z --selinux-user, --selinux-range"
        ),
        flags=(
            "-D --defaults, -h --help, -l --no-log-init, -m --create-home, -M --no-create-home, "
            "-N --no-user-group, -o --non-unique, -r --system, -U --user-group, -F --add-subids-for-system, "
            "--btrfs-subvolume-home"
        ),
    ),
)
USERMOD = Grammar(
    "usermod",
    ("usermod",),
    opts(
        values=(
            "-c --comment, -d --home, -e --expiredate, -f --inactive, -g --gid, -G --groups, -l --login, "
            "-p --password, -R --root, -P --prefix, -s --shell, -u --uid, -Z --selinux-user, "
            "-v --add-subuids, -V --del-subuids, -w --add-subgids, -W --del-subgids"
        ),
        flags="-a --append, -r --remove, -L --lock, -U --unlock, -m --move-home, -o --non-unique, -h --help",
    ),
)
ADDUSER = Grammar(
    "adduser",
    ("adduser",),
    opts(
        values=(
            "-h --home, -g --gecos --comment, -s --shell, -G --ingroup, -k, -u --uid, --gid, --firstuid, "
            "--lastuid, --firstgid, --lastgid, -c --conf"
        ),
        flags=(
            "-D --disabled-password, --disabled-login, -H --no-create-home, -S --system, --group, "
            "-q --quiet, --debug, --force-badname --allow-badname, --allow-all-names, "
            "--add-extra-groups --add_extra_groups, --encrypt-home, --extrausers, --verbose"
        ),
    ),
    info_flags=frozenset({"--help", "--version"}),
)
GROUPADD = Grammar(
    "groupadd",
    ("groupadd",),
    opts(
        values="-g --gid, -K --key, -p --password, -R --root, -P --prefix, -U --users",
        flags="-f --force, -o --non-unique, -r --system, -h --help",
    ),
)
ADDGROUP = Grammar(
    "addgroup",
    ("addgroup",),
    opts(
        values="-g --gid, -c --conf",
        flags="-S --system, -q --quiet, --debug, --force-badname --allow-badname, --extrausers",
    ),
)
RM = Grammar(
    "rm",
    ("rm",),
    opts(
        flags=(
            "-r -R --recursive, -f --force, -v --verbose, -i, -I, -d --dir, --one-file-system, "
            "--no-preserve-root"
        ),
        optional="--interactive, --preserve-root",
    ),
)
CD = Grammar("cd", ("cd",), opts(flags="-L, -P, -e, -@"))

# -- wrappers --------------------------------------------------------------------

SUDO = Grammar(
    "sudo",
    ("sudo",),
    opts(
        values=(
            "-u --user, -g --group, -C --close-from, -D --chdir, -h --host, -p --prompt, -R --chroot, "
            "-r --role, -T --command-timeout, -t --type, -U --other-user"
        ),
        flags=(
            "-E --preserve-env, -H --set-home, -i --login, -s --shell, -n --non-interactive, "
            "-b --background, -k --reset-timestamp, -K --remove-timestamp, -l --list, -v --validate, "
            "-A --askpass, -B --bell, -S --stdin, -P --preserve-groups, -e --edit, -V --version"
        ),
    ),
    stop_at_operand=True,
)
ENV = Grammar(
    "env",
    ("env",),
    opts(
        values="-u --unset, -C --chdir, -S --split-string",
        flags="-i --ignore-environment, -0 --null, -v --debug",
    ),
    stop_at_operand=True,
)
EXEC = Grammar("exec", ("exec",), opts(values="-a", flags="-c, -l"), stop_at_operand=True)
TIME = Grammar(
    "time",
    ("time",),
    opts(
        values="-f --format, -o --output",
        flags="-p --portability, -v --verbose, -a --append, -q --quiet",
    ),
    stop_at_operand=True,
)
NICE = Grammar("nice", ("nice",), opts(values="-n --adjustment"), stop_at_operand=True)
NOHUP = Grammar("nohup", ("nohup",), stop_at_operand=True)
STDBUF = Grammar(
    "stdbuf", ("stdbuf",), opts(values="-i --input, -o --output, -e --error"), stop_at_operand=True
)
COMMAND = Grammar("command", ("command",), opts(flags="-p, -v, -V"), stop_at_operand=True)
TIMEOUT = Grammar(
    "timeout",
    ("timeout",),
    opts(values="-s --signal, -k --kill-after", flags="--preserve-status, --foreground, -v --verbose"),
    stop_at_operand=True,
)
XARGS = Grammar(
    "xargs",
    ("xargs",),
    opts(
        values=(
            "-a --arg-file, -E, -e --eof, -I, -i --replace, -L, -l --max-lines, -n --max-args, "
            "-P --max-procs, -s --max-chars, -d --delimiter, --process-slot-var"
        ),
        flags="-0 --null, -o --open-tty, -p --interactive, -r --no-run-if-empty, -t --verbose, -x --exit",
    ),
    stop_at_operand=True,
)
GOSU = Grammar("gosu", ("gosu", "su-exec"), stop_at_operand=False)
DOAS = Grammar("doas", ("doas",), opts(values="-u, -C", flags="-n, -s, -L"), stop_at_operand=True)

#: wrapper → how many operands it takes before the command it runs.
WRAPPERS: dict[str, tuple[Grammar, int]] = {
    "sudo": (SUDO, 0),
    "env": (ENV, 0),
    "exec": (EXEC, 0),
    "time": (TIME, 0),
    "nice": (NICE, 0),
    "nohup": (NOHUP, 0),
    "stdbuf": (STDBUF, 0),
    "command": (COMMAND, 0),
    "timeout": (TIMEOUT, 1),
    "xargs": (XARGS, 0),
    "gosu": (GOSU, 1),
    "su-exec": (GOSU, 1),
    "doas": (DOAS, 0),
}
#: wrappers that run the command as another user or with another environment.
CHANGES_USER = frozenset({"sudo", "gosu", "su-exec", "doas"})

GRAMMARS = (
    USERADD,
    USERMOD,
    ADDUSER,
    GROUPADD,
    ADDGROUP,
    RM,
    WGET,
    CURL,
    CD,
    SUDO,
    ENV,
    EXEC,
    TIME,
    NICE,
    NOHUP,
    STDBUF,
    COMMAND,
    TIMEOUT,
    XARGS,
    GOSU,
    DOAS,
)


class Unwrapped(Struct, frozen=True):
    """The command a chain of wrappers runs: its program (base name), the
    index of its first argument, the wrappers (outermost first) and the
    ``NAME=value`` words ``env``/``sudo`` set for it."""

    program: str
    start: int
    wrappers: tuple[str, ...]
    assignments: tuple[str, ...]
    name_end: int


def _inner(program: str, args: tuple[Token, ...], start: int) -> tuple[int, tuple[str, ...]] | None:
    """Index of the word a wrapper runs, and the assignments before it."""
    grammar, leading = WRAPPERS[program]
    from ._parser import parse_tokens

    p = parse_tokens(grammar, args, start=start)
    if program == "command" and p.has("-v", "-V"):
        return None
    ops = list(p.operands)
    assigns: list[str] = []
    while (
        ops
        and program in ("env", "sudo")
        and ops[0].value is not None
        and "=" in ops[0].value
        and not ops[0].value.startswith("=")
    ):
        assigns.append(ops.pop(0).value or "")
    ops = ops[leading:]
    if not ops or ops[0].value is None:
        return None
    return ops[0].index, tuple(assigns)


def unwrap(program: str, args: tuple[Token, ...], name_end: int) -> Unwrapped | None:
    """Look through wrappers (up to four deep); None when the command run
    is not a literal word (``sudo $CMD``, ``command -v x``)."""
    wrappers: list[str] = []
    assigns: list[str] = []
    start = 0
    for _ in range(4):
        if program not in WRAPPERS:
            break
        found = _inner(program, args, start)
        if found is None:
            return None
        k, more = found
        wrappers.append(program)
        assigns.extend(more)
        word = args[k].value or ""
        program, start, name_end = word.rsplit("/", 1)[-1], k + 1, args[k].end
    else:
        if program in WRAPPERS:
            return None
    return Unwrapped(program, start, tuple(wrappers), tuple(assigns), name_end)


# -- accounts -----------------------------------------------------------------------


class Account(Struct, frozen=True):
    """What a useradd / adduser / groupadd / addgroup creates.  ``kind``:
    "user", "group", or "member" (an existing user added to a group:
    ``adduser app wheel``, ``addgroup app wheel``).  Values are the literal
    words (None when absent or when they expand: see ``parsed``)."""

    kind: Literal["user", "group", "member"]
    name: str | None
    uid: str | None = None
    gid: str | None = None
    group: str | None = None  # the user's primary group (name or number)
    groups: tuple[str, ...] = ()
    home: str | None = None  # given explicitly
    shell: str | None = None
    system: bool = False
    create_home: bool | None = None  # None: the system's default (login.defs)
    parsed: Parsed | None = None

    @property
    def home_default(self) -> str | None:
        """The home a new non-system user gets when none is given."""
        if self.home is not None:
            return self.home
        if self.kind != "user" or self.system or self.name is None:
            return None
        return f"/home/{self.name}"


def account(p: Parsed) -> Account | None:
    ops = [t.value for t in p.operands]
    if p.tool == "useradd":
        if not ops or p.has("--defaults"):
            return None
        groups = tuple(g for v in p.values("--groups") if v for g in v.split(","))
        create = True if p.has("--create-home") else False if p.has("--no-create-home") else None
        return Account(
            "user",
            ops[-1],
            p.value("--uid"),
            None,
            p.value("--gid"),
            groups,
            p.value("--home-dir"),
            p.value("--shell"),
            p.has("--system"),
            create,
            p,
        )
    if p.tool == "adduser":
        if not ops:
            return None
        if len(ops) >= 2:
            return Account("member", ops[0], group=ops[1], parsed=p)
        group = p.value("--ingroup") or p.value("--gid")
        return Account(
            "user",
            ops[0],
            p.value("--uid"),
            p.value("--gid"),
            group,
            (),
            p.value("--home"),
            p.value("--shell"),
            p.has("--system"),
            not p.has("--no-create-home"),
            p,
        )
    if p.tool in ("groupadd", "addgroup"):
        if not ops:
            return None
        if p.tool == "addgroup" and len(ops) >= 2:
            return Account("member", ops[0], group=ops[1], parsed=p)
        return Account("group", ops[-1], gid=p.value("--gid"), system=p.has("--system"), parsed=p)
    return None


# -- rm, wget, cd --------------------------------------------------------------------------

#: rm options that only say how hard to remove (what the cache rules may drop).
RM_PLAIN = frozenset({"--recursive", "--force", "--verbose"})


def rm_plain(p: Parsed) -> bool:
    return p.tool == "rm" and all(o.key in RM_PLAIN for o in p.options)


def cd_target(p: Parsed) -> Token | None:
    """The folder ``cd`` goes to; None for a bare ``cd`` (``$HOME``)."""
    return p.operands[0] if p.tool == "cd" and p.operands else None


# -- what commands print ------------------------------------------------------------

#: command lines (program and literal arguments) whose output is one word
#: without blanks or glob characters: ``"$(uname -m)"`` is ``$(uname -m)``
ONE_WORD_OUTPUT: frozenset[tuple[str, ...]] = frozenset(
    {
        ("uname",), ("uname", "-m"), ("uname", "-r"), ("uname", "-s"), ("uname", "-p"), ("uname", "-n"),
        ("arch",), ("nproc",), ("nproc", "--all"), ("whoami",), ("hostname",),
        ("id", "-u"), ("id", "-g"), ("id", "-un"), ("id", "-nu"), ("id", "-gn"), ("id", "-ng"),
        ("dpkg", "--print-architecture"), ("apk", "--print-arch"),
        ("dpkg-architecture", "-qDEB_HOST_MULTIARCH"), ("dpkg-architecture", "-qDEB_HOST_ARCH"),
        ("dpkg-architecture", "-q", "DEB_HOST_MULTIARCH"), ("dpkg-architecture", "-q", "DEB_HOST_ARCH"),
        ("lsb_release", "-cs"), ("lsb_release", "-sc"), ("lsb_release", "-is"), ("lsb_release", "-si"),
        ("lsb_release", "-rs"), ("lsb_release", "-sr"),
        ("date", "+%s"), ("getconf", "_NPROCESSORS_ONLN"), ("getconf", "LONG_BIT"), ("sysctl", "-n", "hw.ncpu"),
        ("git", "rev-parse", "HEAD"), ("git", "rev-parse", "--short", "HEAD"),
    }
)  # fmt: skip
_BLANK_OR_GLOB = frozenset(" \t\n*?[\\")
#: character classes ``tr`` may map a word's letters into
_TR_CLASSES = frozenset({"[:lower:]", "[:upper:]"})


def _sed_substitutions(script: str) -> bool:
    """Is the sed script only ``s<d>pattern<d>replacement<d>flags``
    commands (``;``-separated), each replacement not empty and free of
    blanks and glob characters?"""
    for part in script.split(";"):
        part = part.strip()
        if len(part) < 4 or part[0] != "s":
            return False
        d = part[1]
        pieces = part[2:].split(d)
        if len(pieces) != 3 or not pieces[1] or any(c in _BLANK_OR_GLOB for c in pieces[1]):
            return False
        if not all(f in "gI" or f.isdigit() for f in pieces[2]):
            return False
    return True


def keeps_one_word(words: tuple[str, ...]) -> bool:
    """Does the filter ``words`` (program first, literal) turn a line of
    one word into one word?  ``sed`` running only ``s/a/b/`` commands whose
    replacement is not empty and has no blank or glob character (``sed
    's/x86_64/amd64/;s/aarch64/arm64/'``), ``tr SET1 SET2`` whose SET2 has
    none either (or is ``[:lower:]``/``[:upper:]``)."""
    prog, args = words[0].rsplit("/", 1)[-1], list(words[1:])
    if prog == "sed":
        scripts: list[str] = []
        while args:
            a = args.pop(0)
            if a == "-e" and args:
                scripts.append(args.pop(0))
            elif a in ("-E", "-r", "--regexp-extended"):
                continue
            elif not a.startswith("-") and not scripts and not args:
                scripts.append(a)
            else:
                return False  # a file operand, or another option
        return bool(scripts) and all(_sed_substitutions(s) for s in scripts)
    if prog == "tr":
        return (
            len(args) == 2
            and not args[0].startswith("-")
            and bool(args[1])
            and (args[1] in _TR_CLASSES or not any(c in _BLANK_OR_GLOB for c in args[1]))
        )
    return False


#: programs whose output is a list of words (files, pids, lines of a file)
LIST_OUTPUT = frozenset({"find", "ls", "pidof", "pgrep", "seq", "xargs", "dpkg-query", "apt-mark", "scanelf"})
#: programs whose operands are lists of files or process ids
LIST_OPERANDS = frozenset({"rm", "rmdir", "kill", "chmod", "chown", "chgrp", "touch", "strip"})

# -- `./name` for `name` (SC2035) ---------------------------------------------------

#: programs to which a file operand ``./a.txt`` is the same file as ``a.txt``
#: and whose result does not hold the operand's text (not printed but in a
#: ``-v`` log, not stored): ``rm ./*.txt`` does what ``rm *.txt`` does.  Not
#: ``rmdir`` (``rmdir -p ./a`` ends trying to remove ``.``), not ``ln``
#: (``ln -s`` stores the text), not ``tar``/``zip`` (they store it), not
#: ``echo``/``ls``/``grep``/``head``/``wc``/``*sum`` (they print it).
DOT_SLASH_ALIKE = frozenset(
    {"rm", "chmod", "chown", "chgrp", "cp", "mv", "mkdir", "touch", "cat", "install", "gzip", "gunzip", "bzip2", "xz",
     "dos2unix", "strip"}
)  # fmt: skip
#: programs that read such an operand as a name to look up or a pattern to
#: match, not as a path: ``./`` changes what they find (``find . -name
#: *.txt``; ``. x`` and ``source x`` look ``x`` up in PATH; ``unzip a.zip
#: *.txt`` matches member names)
DOT_SLASH_CHANGES = frozenset({"find", ".", "source", "unzip"})

MARKERS: tuple[str, ...] = ()
PROGRAMS: tuple[str, ...] = ()

__all__ = [
    "ADDGROUP",
    "ADDUSER",
    "CD",
    "CHANGES_USER",
    "CURL",
    "DOT_SLASH_ALIKE",
    "DOT_SLASH_CHANGES",
    "GRAMMARS",
    "GROUPADD",
    "LIST_OPERANDS",
    "LIST_OUTPUT",
    "ONE_WORD_OUTPUT",
    "RM",
    "RM_PLAIN",
    "SUDO",
    "USERADD",
    "USERMOD",
    "WGET",
    "WRAPPERS",
    "Account",
    "Unwrapped",
    "account",
    "cd_target",
    "keeps_one_word",
    "rm_plain",
    "unwrap",
    "wget_quiet",
]
