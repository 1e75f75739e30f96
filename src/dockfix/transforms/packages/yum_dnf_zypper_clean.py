"""DF113 yum-dnf-zypper-clean: see the class docstring."""

from __future__ import annotations

from ... import tools
from ...rules import Context, Rule, Safety
from ...shell_edits import append_edit
from ._pkgcache import (
    covers,
    hadolint_clean_fires,
    invocations,
    rm_covers,
    rm_paths,
    run_sites,
)
from ._rpm import _HADOLINT, installroot, name, rpm_command


class YumDnfZypperClean(Rule):
    """
    ## What it does
    After the last command of a RUN that fills the package cache (`yum`,
    `dnf`, `dnf5`, `microdnf` or `tdnf` `install`, `update`/`upgrade`,
    `reinstall`, `group install`, …; `zypper install`/`update`/`patch`/
    `dist-upgrade`, …) appends `yum clean all` / `dnf clean all` /
    `microdnf clean all` / `tdnf clean all` / `zypper clean --all` to the
    same RUN. Nothing is added when the same tool already cleans after the
    last install (`yum clean …`, `zypper clean`/`cc`), when an `rm` removes
    the cache directory (`rm -rf /var/cache/yum`, `/var/cache/dnf/*`,
    `/var/cache/zypp`), or when a BuildKit cache mount holds it
    (`--mount=type=cache,target=/var/cache/dnf`).

    ## Why
    The repository metadata and downloaded packages stay in `/var/cache`
    (easily 100–300 MB) in the layer of the RUN that installed the packages;
    cleaning in a later RUN does not make the image smaller.

    ## Example
    ```dockerfile
    RUN dnf install -y httpd
    ```

    Use instead:
    ```dockerfile
    RUN dnf install -y httpd && dnf clean all
    ```

    ## Fix safety
    Safe: only the package manager's cache is removed; installed packages
    are untouched, and a later install downloads the metadata again. The
    command is chained with `&&`, so it runs only when the RUN succeeded.
    Reported without a fix: a RUN whose cache mount holds the cache
    (hadolint DL3032/DL3040/DL3036 do not know cache mounts; nothing
    reaches the image, and cleaning would empty the mount); a RUN that is
    already clean but that hadolint still reports — it compares only the
    *first* clean with the *first* install (`yum clean all && yum install
    -y x && yum clean all`), and DL3036 does not accept `rm -rf
    /var/cache/zypp` — so that every hadolint finding left is explained;
    an install into another root (`--installroot`, zypper `--root`: the
    cache is inside that root and the clean needs the same options, review
    by hand); a RUN that ends in `exit`, `exec` or a background `&`; a
    stage whose shell is not a POSIX shell.
    """

    code = "DF113"
    name = "yum-dnf-zypper-clean"
    summary = "`yum/dnf/zypper install` → clean the cache in the same RUN"
    safety = Safety.SAFE
    covers = ("DL3032", "DL3036", "DL3040")

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            cmds = [(i, p) for i, inv in invocations(site.script) if (p := rpm_command(inv)) is not None]
            if not cmds:
                continue
            for family in dict.fromkeys(p.tool for _, p in cmds):
                mine = [(i, p) for i, p in cmds if p.tool == family]
                fills = [(i, p) for i, p in mine if tools.rpm.fills_cache(p)]
                if not fills:
                    continue
                last_i, last = fills[-1]
                assert last.cmd is not None  # parsed from a Command
                span = site.span(last.cmd)
                hadolint = _HADOLINT.get(family)
                fires = hadolint is not None and hadolint_clean_fires(site.script, *hadolint[1:])
                code = hadolint[0] if hadolint else ""
                dirs = tools.rpm.CACHE_DIRS[family]
                cleaned_by = None
                if any(tools.rpm.is_cache_clean(p) for i, p in mine if i > last_i):
                    cleaned_by = "clean"
                elif any(
                    rm_covers(rm_paths(inv.cmd, site.state), d)
                    for i, inv in invocations(site.script)
                    if i > last_i and inv.program == "rm"
                    for d in dirs
                ):
                    cleaned_by = "rm"
                if cleaned_by is not None:
                    if fires:
                        why = (
                            "it only compares the first clean with the first install"
                            if cleaned_by == "clean"
                            else "it does not accept this `rm` of the cache"
                        )
                        yield ctx.finding(
                            span,
                            f"the {family} cache is already removed after the last install; nothing to fix "
                            f"(hadolint {code} still reports it: {why})",
                        )
                    continue
                prog = last.program
                command = f"{prog} clean --all" if family == "zypper" else f"{prog} clean all"
                if any(covers(site.cache_targets(), d) for d in dirs):
                    if fires:
                        yield ctx.finding(
                            span,
                            f"the {family} cache is in a cache mount, not in the image; nothing to fix "
                            f"(hadolint {code} does not know cache mounts)",
                        )
                    continue
                if any(installroot(p) for _, p in fills):
                    yield ctx.finding(
                        span,
                        f"`{command}` missing after `{name(last)}` (not fixed: the install goes to another root)",
                    )
                    continue
                edit = append_edit(
                    site.ins, site.script, command, ctx.tree, ctx.facts(site.ins).shell.errexit
                )
                if not site.posix or edit is None:
                    why = (
                        "the RUN's shell is not a POSIX shell"
                        if not site.posix
                        else "nothing can run after the end of this RUN"
                    )
                    yield ctx.finding(span, f"`{command}` missing after `{name(last)}` (not fixed: {why})")
                    continue
                yield ctx.finding(
                    span,
                    f"`{command}` missing after `{name(last)}`: the package cache stays in the layer",
                    [edit],
                )
