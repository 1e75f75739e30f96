from __future__ import annotations

import posixpath

from ... import tools
from ...shell import Command
from ._cache import UNKNOWN, Run
from ._cache_rule import CacheMountRule, Use


class CargoCacheMount(CacheMountRule):
    """
    ## What it does
    Adds BuildKit cache mounts for Cargo's download caches,
    `$CARGO_HOME/registry` and `$CARGO_HOME/git` (`/usr/local/cargo/…` in
    the official `rust` images), to RUNs that run `cargo build`, `install`,
    `fetch`, `test`, `run`, `check`, `vendor`, `update`, `chef cook`, … and
    removes `rm -rf` of these directories from the same RUN. The `target/`
    directory is left alone: the build's output must stay in the image.

    ## Why
    Without cache mounts, every rebuild of the layer downloads the crate
    index and every crate again. No hadolint rule covers this.

    ## Example
    ```dockerfile
    FROM rust:1.80
    WORKDIR /src
    COPY . .
    RUN cargo build --release
    ```

    Use instead:
    ```dockerfile
    # syntax=docker/dockerfile:1
    FROM rust:1.80
    WORKDIR /src
    COPY . .
    RUN --mount=type=cache,target=/usr/local/cargo/registry --mount=type=cache,target=/usr/local/cargo/git cargo build --release
    ```

    ## Fix safety
    Safe: a cache mount's content is never written to the image layer, and
    cargo builds the same thing from the same `Cargo.lock` whatever its
    registry cache holds, so the image is the same except that the crate
    sources and index are no longer in it. A RUN that builds offline
    (`--offline`, `--frozen`, `CARGO_NET_OFFLINE=true`) gets no mount, nor
    does an earlier RUN whose downloads such a RUN, a later `COPY --from`
    of these directories or a `cargo` command in `CMD`/`ENTRYPOINT` relies
    on. Nothing is added outside the official `rust` images (and
    `lukemathwalker/cargo-chef`) unless `CARGO_HOME` is set in the file (or
    `PATH` holds a `…/.cargo/bin`, where rustup puts Cargo) —
    other images may put Cargo elsewhere —, for another user without a
    numeric uid, or when another mount is there already. These cases are
    not reported: a cache mount is an optimisation, not a defect.
    """

    code = "DF214"
    name = "cargo-cache-mount"
    summary = "Cache Cargo's registry and git downloads with `RUN --mount=type=cache`"
    store = True
    runtime_tools = ("cargo",)

    def _parse(self, cmd: Command) -> tools.Parsed | None:
        """A ``cargo`` command that downloads crates (:mod:`dockfix.tools.cargo`)."""
        p = tools.parse(cmd, tool="cargo")
        return p if p is not None and tools.cargo.fills_cache(p) else None

    def _sub(self, cmd: Command) -> str | None:
        """The subcommand as written (``b`` for ``cargo b``, ``build`` for
        ``cargo +nightly build``), when the command downloads crates."""
        p = self._parse(cmd)
        return p.sub_tokens[0].text if p is not None else None

    def reads_offline(self, run: Run) -> bool:
        for cmd in run.script.commands:
            p = self._parse(cmd)
            if p is None:
                continue
            if tools.cargo.offline(p):
                return True
            if str(run.lookup("CARGO_NET_OFFLINE", cmd)).lower() == "true":
                return True
        return False

    def uses(self, run: Run) -> list[Use]:
        out: list[Use] = []
        for cmd in run.script.commands:
            sub = self._sub(cmd)
            if sub is None:
                continue
            use = Use(cmd, f"cargo {sub}")
            if run.who is None:
                out.append(use)
                continue
            home = run.env_dir("CARGO_HOME", cmd)
            if home is None:
                # rustup installed by the file: PATH holds ~/.cargo/bin
                path = run.lookup("PATH", cmd)
                if isinstance(path, str):
                    for part in path.split(":"):
                        if part.endswith("/.cargo/bin") and part.startswith("/"):
                            home = part[: -len("/bin")]
                            break
            if home is UNKNOWN or home is None:
                out.append(use)  # only the rust images are known to set it
                continue
            out.append(use.known([run.mount(posixpath.join(home, sub)) for sub in ("registry", "git")]))
        return out
