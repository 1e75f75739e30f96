"""DF114 uv-no-cache: see the class docstring."""

from __future__ import annotations

from ... import tools
from ...rules import Context, Rule, Safety
from ...shell_edits import insert_word
from ._pkgcache import (
    invocations,
    run_sites,
)
from ._python_cache import (
    _env_flag,
    uv_cache_covered,
)

#: the uv subcommands that fill uv's cache and take `--no-cache`.
_CACHING = ("pip install", "pip sync", "sync", "tool install")


class UvNoCache(Rule):
    """
    ## What it does
    Adds `--no-cache` to `uv pip install`, `uv pip sync`, `uv sync` and
    `uv tool install`, unless uv's cache is already kept out of the image:
    `UV_NO_CACHE` set to a true value (`ENV`, `UV_NO_CACHE=1 uv …`, an
    `export` earlier in the RUN), `--no-cache`/`-n` (or its alias
    `--no-cache-dir`) already given, or a
    BuildKit cache mount holding uv's cache directory
    (`--mount=type=cache,target=/root/.cache/uv` or `/root/.cache` for the
    current `USER`; `UV_CACHE_DIR`, `--cache-dir` and `XDG_CACHE_HOME` are
    followed).

    ## Why
    uv keeps every wheel it downloads, and the unpacked packages, in
    `~/.cache/uv`. In an image that cache is dead weight in the layer that
    installed the packages. It is its own rule, not part of DF110: uv has
    its own flag and variables, and there is no hadolint rule for uv.

    ## Example
    ```dockerfile
    RUN uv pip install --system -r requirements.txt
    ```

    Use instead:
    ```dockerfile
    RUN uv pip install --no-cache --system -r requirements.txt
    ```

    ## Fix safety
    Safe: with `--no-cache` uv works in a temporary cache that it removes
    when done; the same packages are installed, so the image behaves the
    same, minus the cache. Nothing is reported without a fix; commands in a
    non-POSIX shell, run through a variable or inside `sh -c '…'` are not
    analysed.
    """

    code = "DF114"
    looks_at = ("RUN",)
    name = "uv-no-cache"
    summary = "`uv pip install` / `uv sync` → add `--no-cache`"
    safety = Safety.SAFE
    covers = ()

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            if not site.posix:
                continue
            for _, inv in invocations(site.script):
                p = tools.parse(inv.cmd, unwrap=True, tool="uv")
                if p is None or not p.is_sub(*_CACHING) or p.has("--no-cache"):
                    continue
                if _env_flag(site, inv, "UV_NO_CACHE"):
                    continue
                if uv_cache_covered(site, p, site.state_for(inv)):
                    continue
                yield ctx.finding(
                    site.span(inv.cmd),
                    f"`uv {p.sub}` without `--no-cache` keeps uv's cache in the layer",
                    [insert_word(site.script, ctx.text, p.insert_at, "--no-cache")],
                )
