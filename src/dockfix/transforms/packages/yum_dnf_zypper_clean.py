"""DF113 yum-dnf-zypper-clean: see the class docstring."""

from __future__ import annotations

from ... import tools
from ...rules import Context, Finding, Rule, Safety
from ._pkgcache import RunSite, cache_removed, covers, hadolint_clean_fires, hadolint_note, run_sites
from ._rpm import _HADOLINT, installroot, rpm_commands

#: why hadolint still reports a cache that is kept out of the image.
_WHY = {
    "clean": "it only compares the first clean with the first install",
    "rm": "it does not accept this `rm` of the cache",
    "mount": None,
}


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
    looks_at = ("RUN",)
    name = "yum-dnf-zypper-clean"
    summary = "`yum/dnf/zypper install` → clean the cache in the same RUN"
    safety = Safety.SAFE
    covers = ("DL3032", "DL3036", "DL3040")

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            cmds = rpm_commands(site)
            for family in dict.fromkeys(p.tool for _, p in cmds):
                mine = [(i, p) for i, p in cmds if p.tool == family]
                fills = [(i, p) for i, p in mine if tools.rpm.fills_cache(p)]
                found = self._finding(ctx, site, family, mine, fills) if fills else None
                if found is not None:
                    yield found

    @staticmethod
    def _finding(
        ctx: Context,
        site: RunSite,
        family: str,
        mine: list[tuple[int, tools.Parsed]],
        fills: list[tuple[int, tools.Parsed]],
    ) -> Finding | None:
        """The finding for the last command of ``family`` that fills its cache."""
        last_i, last = fills[-1]
        assert last.cmd is not None  # parsed from a Command
        span = site.span(last.cmd)
        dirs = tools.rpm.CACHE_DIRS[family]
        cleaned = any(tools.rpm.is_cache_clean(p) for i, p in mine if i > last_i)
        done = cache_removed(site, last_i, cleaned, dirs, site.state)
        if done is None and any(covers(site.cache_targets(), d) for d in dirs):
            done = "mount"
        if done is not None:
            hadolint = _HADOLINT.get(family)
            if hadolint is not None and hadolint_clean_fires(site.script, *hadolint[1:]):
                return ctx.finding(span, hadolint_note(f"the {family} cache", hadolint[0], _WHY[done]))
            return None
        command = f"{last.program} clean --all" if family == "zypper" else f"{last.program} clean all"
        edit, why = site.append(command)
        if any(installroot(p) for _, p in fills):
            edit, why = None, "the install goes to another root"
        if edit is None:
            return ctx.finding(span, f"`{command}` missing after `{last.written}` (not fixed: {why})")
        return ctx.finding(
            span, f"`{command}` missing after `{last.written}`: the package cache stays in the layer", [edit]
        )
