from __future__ import annotations

from ... import tools
from ...shell import Command
from ._cache import Run, norm
from ._cache_rule import CacheMountRule, Use, filling, with_dirs


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
    looks_at = ("RUN",)
    name = "cargo-cache-mount"
    summary = "Cache Cargo's registry and git downloads with `RUN --mount=type=cache`"
    store = True
    runtime_tools = ("cargo",)

    def reads_offline_at(self, run: Run, cmd: Command) -> bool:
        p = filling(cmd, "cargo")
        return p is not None and (
            tools.cargo.offline(p) or str(run.lookup("CARGO_NET_OFFLINE", cmd)).lower() == "true"
        )

    def use(self, run: Run, cmd: Command) -> Use | None:
        """Cargo's registry and git folders.  Only the rust images are known
        to set ``CARGO_HOME``: Cargo's default (``~/.cargo``) is taken only
        when ``PATH`` holds a ``…/.cargo/bin``, where rustup put Cargo."""
        p = filling(cmd, "cargo")
        if p is None:
            return None
        use = Use(cmd, f"cargo {p.sub_tokens[0].text}")  # as written: `cargo b`
        assume = {}
        path = run.lookup("PATH", cmd)
        if isinstance(path, str):
            home = next((part[: -len("/bin")] for part in path.split(":") if _rustup_bin(part)), None)
            if home is not None:
                assume["CARGO_HOME"] = home
        dirs = [
            run.cache_dir(spec, cmd, p, assume=assume) for spec in (tools.cargo.REGISTRY, tools.cargo.GIT)
        ]
        if any(d.by_default for d in dirs):
            return use
        return with_dirs(run, use, dirs)


def _rustup_bin(part: str) -> bool:
    return part.endswith("/.cargo/bin") and norm(part) is not None
