"""DF110 pip-no-cache-dir: see the class docstring."""

from __future__ import annotations

from ... import tools
from ...rules import Context, Rule, Safety
from ...shell_edits import insert_word
from ._pkgcache import (
    covers,
    covers_home_cache,
    invocations,
    run_sites,
)
from ._python_cache import (
    _env_flag,
    pip_cache_dir,
)


class PipNoCacheDir(Rule):
    """
    ## What it does
    Adds `--no-cache-dir` to `pip install` (also `pip3`, `pip3.12`,
    `python -m pip`, `python3.12 -m pip`, and through `exec`, `time`,
    `sudo`, `env`, `xargs`), unless pip's cache is already kept out of the
    image: `PIP_NO_CACHE_DIR` set to a true value (by `ENV` in the stage or
    a stage it builds on, `PIP_NO_CACHE_DIR=1 pip …`, or an `export`
    earlier in the RUN), or a BuildKit cache mount holding pip's cache
    directory (`--mount=type=cache,target=/root/.cache/pip` or
    `target=/root/.cache`, for the current `USER`; `PIP_CACHE_DIR`,
    `--cache-dir` and `XDG_CACHE_HOME` are followed).

    ## Why
    pip keeps every wheel it downloads or builds in `~/.cache/pip`. In an
    image that cache is dead weight — often hundreds of megabytes — baked
    into the layer of the RUN that installed the packages.

    ## Example
    ```dockerfile
    RUN pip install -r requirements.txt
    ```

    Use instead:
    ```dockerfile
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## Fix safety
    Safe: `--no-cache-dir` only stops pip from writing its cache; the same
    packages are installed, so the image behaves the same, minus the cache.
    Reported without a fix: `pip install` in a stage whose shell is not a
    POSIX shell (Windows images, `SHELL ["powershell", …]`), and a RUN whose
    cache mount already holds pip's cache but whose target hadolint (DL3042)
    does not recognise (it only accepts targets containing `.cache/pip`, not
    e.g. `/root/.cache`): nothing reaches the image there, and
    `--no-cache-dir` would defeat the mount; add
    `# hadolint ignore=DL3042` or point the mount at `/root/.cache/pip`.
    `ARG PIP_NO_CACHE_DIR=1` does not count (a build argument can be
    overridden with `--build-arg`), like for hadolint. Commands run through
    a variable (`$PIP install`) or inside `sh -c '…'` are not analysed.
    uv has its own rule (DF114). Poetry is left out: `poetry install
    --no-cache` does not exist before Poetry 1.2 and still fills the
    `artifacts` cache, and by default the project's virtualenv lives inside
    the cache directory, so neither the flag nor an `rm` of the cache is a
    fix that is sure to work; a cache mount (DF211) is the way there.
    """

    code = "DF110"
    looks_at = ("RUN",)
    name = "pip-no-cache-dir"
    summary = "`pip install` → `pip install --no-cache-dir`"
    safety = Safety.SAFE
    covers = ("DL3042",)

    def check(self, ctx: Context):
        for site in run_sites(ctx.tree):
            for _, inv in invocations(site.script):
                p = tools.parse(inv.cmd, unwrap=True, tool="pip")
                if p is None or not p.is_sub("install") or p.has("--no-cache-dir"):
                    continue
                if _env_flag(site, inv, "PIP_NO_CACHE_DIR"):
                    continue
                targets = site.cache_targets()
                state = site.state_for(inv)
                cache_dir = pip_cache_dir(state, p)
                covered = (
                    covers(targets, cache_dir) if cache_dir else covers_home_cache(targets, state, "pip")
                )
                if covered:
                    if not any(".cache/pip" in t for t in targets):
                        yield ctx.finding(
                            site.span(inv.cmd),
                            "pip's cache is in a cache mount, not in the image; nothing to fix "
                            "(hadolint DL3042 only recognises mount targets containing `.cache/pip`)",
                        )
                    continue
                if not site.posix:
                    yield ctx.finding(
                        site.span(inv.cmd),
                        "`pip install` without `--no-cache-dir` (not fixed: the RUN's shell is not a POSIX shell)",
                    )
                    continue
                msg = "`pip install` without `--no-cache-dir` keeps pip's download cache in the layer"
                if targets:
                    msg += " (the RUN's cache mount does not hold pip's cache for this user)"
                yield ctx.finding(
                    site.span(inv.cmd),
                    msg,
                    [insert_word(site.script, ctx.text, p.insert_at, "--no-cache-dir")],
                )
