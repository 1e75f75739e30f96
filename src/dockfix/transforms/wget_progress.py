from __future__ import annotations

from ..analysis import stage_parent
from ..rules import Context, Rule, Safety
from ..shell import Arg, Script, script_of
from ._pkgcache import RunSite, base_image, insert_word, invocations, libc_family, run_sites, subcommand

# GNU wget short options that take a value (`-n` takes one letter: -nv, -nc…)
_SHORT_VAL = "aoeOtTwiBPUDRAXIlQYn"
_DISTRO_TOOLS = frozenset({"apt-get", "apt", "dpkg", "yum", "dnf", "dnf5", "microdnf", "tdnf", "zypper", "rpm"})


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
    gnu = apk = distro = False
    for i, inv in invocations(script):
        if upto is not None and i >= upto:
            break
        prog = inv.program
        if prog == "apk":
            apk = True
            k = subcommand(inv.args, "Xp", frozenset({"--repository", "--root", "--arch", "--virtual", "--cache-dir", "--keys-dir", "--repositories-file"}))
            if k is not None and inv.args[k].value == "add":
                names = [a.value for a in inv.args[k + 1 :]]
                if any(n is not None and (n == "wget" or n.startswith(("wget=", "wget~", "wget>", "wget<"))) for n in names):
                    gnu = True
        elif prog in _DISTRO_TOOLS:
            distro = True
            if any(a.value == "wget" or (a.value or "").startswith("wget=") for a in inv.args):
                gnu = True
    return gnu, apk, distro


def wget_flavour(ctx: Context, site: RunSite, index: int) -> str | None:
    """"gnu", "busybox", or None when it cannot be told."""
    gnu, apk, distro = _installs_wget(site.script, index)
    stage = site.stage
    seen = set()
    first = True
    while stage is not None and stage.index not in seen:
        seen.add(stage.index)
        for ins in stage.instructions:
            if first and ins is site.outer:
                break
            run = ins.inner if ins.keyword == "ONBUILD" and ins.inner is not None else ins
            if run.keyword != "RUN" or ins.keyword == "ONBUILD":
                continue
            script = script_of(run)
            if script is None or script.has_error:
                continue
            g, a, d = _installs_wget(script)
            gnu, apk, distro = gnu or g, apk or a, distro or d
        first = False
        stage = stage_parent(ctx.tree, stage)
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
