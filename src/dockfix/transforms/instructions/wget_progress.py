from __future__ import annotations

from bisect import bisect_left

from ...analysis import stage_parent
from ...rules import Context, Rule, Safety
from ...shell import Arg, Script, script_of
from ...tree import Dockerfile, Instruction, Stage
from ..packages._pkgcache import (
    RunSite,
    base_image,
    insert_word,
    invocations,
    libc_family,
    run_sites,
    subcommand,
)

# GNU wget short options that take a value (`-n` takes one letter: -nv, -nc…)
_SHORT_VAL = "aoeOtTwiBPUDRAXIlQYn"
_DISTRO_TOOLS = frozenset(
    {"apt-get", "apt", "dpkg", "yum", "dnf", "dnf5", "microdnf", "tdnf", "zypper", "rpm"}
)


def quiet_enough(args: list[Arg]) -> bool:
    """Has the command an option that already tames the progress output:
    --progress, -q/--quiet, -nv/--no-verbose, -o/--output-file,
    -a/--append-output (what hadolint DL3047 accepts)?"""
    for a in args:
        v = a.value
        if v is None or not v.startswith("-") or v == "-":
            continue
        if v.startswith("--"):
            name = v.split("=", 1)[0]
            if name in ("--progress", "--quiet", "--no-verbose", "--output-file", "--append-output"):
                return True
            continue
        for k, ch in enumerate(v[1:], 1):
            if ch in "qoa":
                return True
            if ch == "n":
                if v[k + 1 : k + 2] == "v":
                    return True
                break
            if ch in _SHORT_VAL:
                break
    return False


def _installs_wget(script: Script, upto: int | None = None) -> tuple[bool, bool, bool]:
    """(GNU wget installed, Alpine's apk used, a glibc distro's package
    tool used) by the commands of ``script`` before index ``upto``."""
    indexes, sofar = _wget_facts(script)
    return sofar[-1] if upto is None else sofar[bisect_left(indexes, upto)]


def _wget_facts(script: Script) -> tuple[list[int], list[tuple[bool, bool, bool]]]:
    """The command indexes of the script's invocations, and what
    :func:`_installs_wget` says before each of them and after the last
    (worked out once per script, not once per `wget`)."""
    cached = script.__dict__.get("_wget_facts")
    if cached is None:
        indexes: list[int] = []
        sofar = [(False, False, False)]
        for i, inv in invocations(script):
            g, a, d = _installs_one(inv)
            last = sofar[-1]
            indexes.append(i)
            sofar.append((last[0] or g, last[1] or a, last[2] or d))
        cached = script.__dict__["_wget_facts"] = (indexes, sofar)
    return cached


def _installs_one(inv) -> tuple[bool, bool, bool]:
    gnu = apk = distro = False
    prog = inv.program
    if prog == "apk":
        apk = True
        k = subcommand(
            inv.args,
            "Xp",
            frozenset(
                {
                    "--repository",
                    "--root",
                    "--arch",
                    "--virtual",
                    "--cache-dir",
                    "--keys-dir",
                    "--repositories-file",
                }
            ),
        )
        if k is not None and inv.args[k].value == "add":
            names = [a.value for a in inv.args[k + 1 :]]
            if any(
                n is not None and (n == "wget" or n.startswith(("wget=", "wget~", "wget>", "wget<")))
                for n in names
            ):
                gnu = True
    elif prog in _DISTRO_TOOLS:
        distro = True
        if any(a.value == "wget" or (a.value or "").startswith("wget=") for a in inv.args):
            gnu = True
    return gnu, apk, distro


_NOTHING = (False, False, False)


def _or(x: tuple[bool, bool, bool], y: tuple[bool, bool, bool]) -> tuple[bool, bool, bool]:
    return (x[0] or y[0], x[1] or y[1], x[2] or y[2])


def _earlier_runs(tree: Dockerfile, stage: Stage, outer: Instruction) -> tuple[bool, bool, bool]:
    """:func:`_installs_wget` of the RUNs of ``stage`` before ``outer`` and
    of all the RUNs of the stages it builds on (from sums worked out once
    per tree, not by reading every earlier RUN again for each `wget`)."""
    memo = tree.memo.get("wget_progress.runs")
    if memo is None:
        memo = tree.memo["wget_progress.runs"] = ({}, {})
    prefixes, ends = memo  # type: ignore[misc]

    def prefix(st: Stage) -> tuple[dict[int, int], list[tuple[bool, bool, bool]]]:
        if st.index not in prefixes:
            pos, sofar = {}, [_NOTHING]
            for k, ins in enumerate(st.instructions):
                pos[id(ins)] = k
                here = _NOTHING
                if ins.keyword == "RUN":
                    script = script_of(ins)
                    if script is not None and not script.has_error:
                        here = _installs_wget(script)
                sofar.append(_or(sofar[-1], here))
            prefixes[st.index] = (pos, sofar)
        return prefixes[st.index]

    def end(st: Stage | None) -> tuple[bool, bool, bool]:
        todo = []
        while st is not None and st.index not in ends:
            todo.append(st)
            st = stage_parent(tree, st)
        acc = ends[st.index] if st is not None else _NOTHING
        for s in reversed(todo):
            acc = ends[s.index] = _or(prefix(s)[1][-1], acc)
        return acc

    pos, sofar = prefix(stage)
    k = pos.get(id(outer), len(stage.instructions))
    return _or(sofar[k], end(stage_parent(tree, stage)))


def wget_flavour(ctx: Context, site: RunSite, index: int) -> str | None:
    """ "gnu", "busybox", or None when it cannot be told."""
    gnu, apk, distro = _installs_wget(site.script, index)
    if site.stage is not None:
        g, a, d = _earlier_runs(ctx.tree, site.stage, site.outer)
        gnu, apk, distro = gnu or g, apk or a, distro or d
    if gnu:
        return "gnu"
    family = libc_family(base_image(ctx.tree, site.stage)) if site.stage is not None else None
    if apk or family == "busybox":
        return "busybox"
    if distro or family == "gnu":
        return "gnu"
    return None


class WgetProgress(Rule):
    """
    ## What it does
    Adds `--progress=dot:giga` to a `wget` that has none of `--progress`,
    `-q`/`--quiet`, `-nv`/`--no-verbose`, `-o`/`--output-file`,
    `-a`/`--append-output` — when the wget is GNU wget. BusyBox wget (Alpine,
    BusyBox and Wolfi images, unless the stage installs the `wget` package)
    has no `--progress` option, so it gets `-q` instead; so does a wget
    whose flavour cannot be told from the base image or the stage's
    package commands, since both wgets accept `-q`.

    ## Why
    Without a terminal, wget's default progress bar prints a line every few
    kilobytes: a big download buries the build log under thousands of
    lines. `dot:giga` prints one dot per 64 KiB and one line per 3 MiB.

    ## Example
    ```dockerfile
    FROM debian:bookworm
    RUN wget https://example.com/big.tar.gz
    ```

    Use instead:
    ```dockerfile
    FROM debian:bookworm
    RUN wget --progress=dot:giga https://example.com/big.tar.gz
    ```

    ## Fix safety
    Safe: only what wget prints to the build log changes; the downloaded
    files, the exit status and the image are the same (with `-q`, GNU wget
    also stops printing its error messages; the exit status still fails the
    build). A `wget` in a Windows stage (PowerShell's `wget` is an alias of
    `Invoke-WebRequest`) or under a non-POSIX `SHELL` is reported without a
    fix. Commands run through a variable or inside `sh -c '…'` are not
    analysed.
    """

    code = "DF510"
    name = "wget-progress"
    summary = "`wget` → `wget --progress=dot:giga` (BusyBox: `-q`)"
    safety = Safety.SAFE
    covers = ("DL3047",)

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            for i, inv in invocations(site.script):
                if inv.program != "wget" or quiet_enough(inv.args):
                    continue
                span = site.span(inv.cmd)
                if not site.posix:
                    yield ctx.finding(
                        span, "`wget` without `--progress` (not fixed: the RUN's shell is not a POSIX shell)"
                    )
                    continue
                flavour = wget_flavour(ctx, site, i)
                flag = "--progress=dot:giga" if flavour == "gnu" else "-q"
                yield ctx.finding(
                    span,
                    f"`wget` without `--progress`: its progress bar floods the build log (adding `{flag}`)",
                    [insert_word(site.script, ctx.text, inv.name_end, flag)],
                )
