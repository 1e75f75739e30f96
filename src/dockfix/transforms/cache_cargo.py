from __future__ import annotations

import posixpath

from ._cache import UNKNOWN, CacheMountRule, Run, Use, first_operand

_SUBS = {"build", "b", "install", "fetch", "test", "t", "run", "r", "check", "c", "vendor", "update",
         "generate-lockfile", "chef", "doc", "d", "clippy", "bench", "rustc", "tree", "metadata", "zigbuild",
         "auditable", "leptos", "nextest"}
_VALUE_OPTS = {"--manifest-path", "-p", "--package", "--target", "--features", "-F", "--bin", "--example",
               "--profile", "-j", "--jobs", "--root", "--target-dir", "--config", "-Z", "--color", "--git",
               "--branch", "--tag", "--rev", "--path", "--version", "--index", "--registry"}


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

    def _sub(self, cmd) -> str | None:
        if cmd.program != "cargo":
            return None
        op = first_operand(cmd, _VALUE_OPTS)
        if op is None or op[1] is None:
            return None
        sub = op[1]
        if sub.startswith("+"):  # `cargo +nightly build`
            rest = [a.value for a in cmd.args[op[0] + 1 :] if a.value and not a.value.startswith("-")]
            sub = rest[0] if rest else ""
        return sub if sub in _SUBS else None

    def reads_offline(self, run: Run) -> bool:
        for cmd in run.script.commands:
            if self._sub(cmd) is None:
                continue
            if any(a.value in ("--offline", "--frozen") for a in cmd.args):
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
            use = Use(cmd, f"cargo {sub}", None)
            out.append(use)
            if run.who is None:
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
                continue  # only the rust images are known to set it
            use.targets = [run.mount(posixpath.join(home, "registry")), run.mount(posixpath.join(home, "git"))]
        return out
