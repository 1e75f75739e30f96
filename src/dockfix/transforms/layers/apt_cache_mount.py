from __future__ import annotations

from ... import tools
from ...rules import Edit, Safety
from ...shell import Command
from .._util import keyword_like, syntax_directive_edit
from ._cache import (
    Run,
    existing_mounts,
    relation,
    runs,
)
from ._cache_rule import CacheMountRule, CutCommand, Fight, Use, with_dirs

_APT = ("apt-get", "apt")
_INSTALL = tools.apt.FILLS_CACHE
KEEP_CACHE = (
    "rm -f /etc/apt/apt.conf.d/docker-clean; "
    "echo 'Binary::apt::APT::Keep-Downloaded-Packages \"true\";' > /etc/apt/apt.conf.d/keep-cache"
)


def _sub(cmd: Command) -> str | None:
    """The subcommand of an ``apt-get`` / ``apt`` command (:mod:`dockfix.tools.apt`)."""
    p = tools.parse(cmd)
    return p.sub if p is not None and p.tool in _APT and p.sub_known else None


def _update_before(run: Run, cmd: Command) -> bool:
    """An `apt-get update` that always runs before ``cmd`` in this RUN."""
    return run.always_before(cmd, lambda c: _sub(c) == "update")


def _comments_start(tree, ins) -> int:
    """Where the comment lines right above ``ins`` begin (they describe it,
    or are a `# hadolint ignore=` for it): the new RUN goes above them."""
    from ...tree import Trivia

    kids = tree.children
    i = next((k for k, c in enumerate(kids) if c is ins), None)
    at = ins.start
    if i is None:
        return at
    while i > 0 and isinstance(kids[i - 1], Trivia) and kids[i - 1].kind == "comment":
        i -= 1
        at = kids[i].start
    return at


class AptCacheMount(CacheMountRule):
    """
    ## What it does
    Adds BuildKit cache mounts for apt's package archive and lists —
    `--mount=type=cache,target=/var/cache/apt,sharing=locked` and
    `--mount=type=cache,target=/var/lib/apt/lists,sharing=locked` — to RUNs
    that run `apt-get update` and then `apt-get install` (or `apt`,
    `upgrade`, `build-dep`, …), and removes from the same RUN what the
    mounts make useless: `rm -rf /var/lib/apt/lists/*` (and other `rm` of
    these directories) and `apt-get clean`.

    Debian and Ubuntu images ship `/etc/apt/apt.conf.d/docker-clean`, which
    deletes the downloaded `.deb` files after every install, so with it the
    archive mount stays empty and only the lists are reused. As a separate,
    unsafe fix (reported on the first RUN of a stage that has the archive
    mount), it adds before that RUN the line BuildKit's documentation shows:
    `RUN rm -f /etc/apt/apt.conf.d/docker-clean; echo
    'Binary::apt::APT::Keep-Downloaded-Packages "true";' >
    /etc/apt/apt.conf.d/keep-cache`.

    ## Why
    Without cache mounts, every rebuild of the layer downloads the package
    lists and every package again; `rm -rf /var/lib/apt/lists/*` keeps the
    lists out of the image, but a cache mount does that too and keeps them
    for the next build (`apt-get update` then fetches only what changed).
    `sharing=locked` makes concurrent builds wait instead of corrupting
    apt's files. No hadolint rule covers this (hadolint's DL3009 asks to
    delete the lists and accepts these cache mounts instead).

    ## Example
    ```dockerfile
    FROM debian:12-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl \
     && rm -rf /var/lib/apt/lists/*
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM debian:12-slim
    RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked apt-get update && apt-get install -y --no-install-recommends curl
    ```

    ## Fix safety
    The mounts are safe: a cache mount's content is never written to the
    image layer, and apt installs the same packages (checked against the
    lists it has just updated) whether their `.deb` was cached or not, so
    the image is the same — without the lists and archives, which the
    removed `rm -rf /var/lib/apt/lists/*` / `apt-get clean` kept out of it
    before. The mount covers `/var/lib/apt/lists`, not all of
    `/var/lib/apt` as in Docker's example: `/var/lib/apt/extended_states`
    (which packages were installed automatically, what `apt-get
    autoremove` reads) belongs in the image, and a shared cache of it would
    mix other builds' state in. Only RUNs that update the lists themselves
    get the mounts: a RUN that installs without `apt-get update` reads the
    lists an earlier layer left, which a mount would hide; and an earlier
    RUN whose lists such a later RUN relies on is left alone too. RUNs as
    another user than root, and RUNs with another mount there, are left
    alone.

    Removing `docker-clean` is unsafe: the file is gone from the image and
    `keep-cache` is added, so every later `apt-get install` — in this
    Dockerfile without a cache mount, or in images built `FROM` this one —
    keeps its `.deb` files in the layer, making those images bigger unless
    they clean up themselves.
    """

    code = "DF218"
    looks_at = ("RUN",)
    supersedes = ("DF103",)  # the cache mount makes their cleanup moot
    name = "apt-cache-mount"
    summary = "Cache apt's lists and packages with `RUN --mount=type=cache`"
    store = True

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        return (_sub(cmd) in _INSTALL or cmd.program == "apt-cache") and not _update_before(run, cmd)

    def exec_reads_offline(self, ins) -> bool:
        vals = [w.value.rsplit("/", 1)[-1] for w in ins.args]
        return bool(vals) and vals[0] in _APT + ("apt-cache",) and any(v in _INSTALL for v in vals)

    def use(self, run: Run, cmd: Command) -> Use | None:
        sub = _sub(cmd)
        if sub not in _INSTALL:
            return None
        use = Use(cmd, f"{cmd.program} {sub}")
        if run.who is None or not run.who.root:
            return use
        dirs = [run.cache_dir(spec, cmd) for spec in (tools.apt.ARCHIVES, tools.apt.LISTS)]
        return with_dirs(run, use, dirs, sharing="locked")

    def cleaners(self, run: Run, uses: list[Use]) -> list[Fight]:
        return [
            CutCommand(cmd)
            for cmd in run.script.commands
            if _sub(cmd) in ("clean", "autoclean", "auto-clean") and len(cmd.args) == 1
        ]

    def check(self, ctx):
        yield from super().check(ctx)
        yield from self._keep_packages(ctx)

    # -- docker-clean ---------------------------------------------------------
    def _archive_mounted(self, run: Run) -> bool:
        archives = run.cache_dir(tools.apt.ARCHIVES).path
        return archives is not None and any(
            ex.type == "cache"
            and ex.target is not None
            and relation(archives, ex.target) in ("equal", "inside")
            for ex in existing_mounts(run.facts, run.ins)
        )

    def _keeps(self, ins) -> bool:
        text = str(ins)
        return "docker-clean" in text or "Keep-Downloaded-Packages" in text

    def _keep_packages(self, ctx):
        for run in runs(ctx):
            if self._keeps(run.ins) or run.chain.any("cache_apt.keeps", self._keeps):
                continue
            if not self._candidate(run):
                continue
            # only the first such RUN of the stage chain
            from ._cache import make_run

            def candidate(i) -> bool:
                r = make_run(ctx, i) if i.keyword == "RUN" else None
                return r is not None and self._candidate(r)

            if run.chain.any(("cache_apt.candidate", self.code), candidate):
                continue
            ins = run.ins
            kw = ins.keyword_word
            indent = ins._text[ins.start : kw.start] if kw is not None else ""
            if indent.strip():
                continue
            text = f"{indent}{keyword_like(ins, 'RUN')} {KEEP_CACHE}{ctx.newline}"
            at = _comments_start(ctx.tree, ins)
            edits = [Edit(at, at, text)]
            syntax = syntax_directive_edit(ctx.tree)
            if syntax is not None:
                edits.append(syntax)
            yield ctx.finding(
                ins,
                "`/etc/apt/apt.conf.d/docker-clean` deletes downloaded packages, so the apt cache mount only keeps "
                "the lists: remove it and keep downloaded packages (the image then keeps .deb files of later "
                "installs without a cache mount)",
                edits,
                safety=Safety.UNSAFE,
            )

    def _candidate(self, run: Run) -> bool:
        who = run.who
        if who is None or not who.root:
            return False
        if not self._archive_mounted(run):
            return False
        return any(_sub(c) in _INSTALL and _update_before(run, c) for c in run.script.commands)
