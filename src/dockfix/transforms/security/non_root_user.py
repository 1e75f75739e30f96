from __future__ import annotations

from types import MappingProxyType

from ...images import Unknown
from ...model import SemanticModel, StageInfo
from ...rules import Context, Edit, Rule, Safety
from ...tree import Instruction
from .._util import keyword_like
from ..instructions._shell_rules import indentation
from ._user import (
    DEFAULT_GID,
    DEFAULT_NAME,
    DEFAULT_UID,
    breaks_user,
    low_ports,
    render_create,
    user_value,
    volumes,
)


class NonRootUser(Rule):
    """
    ## What it does
    Makes the final stage (the image `docker build` makes by default) run as
    a non-root user when it ends as root: an explicit `USER root`, `USER 0`
    or `USER 0:0`, or no `USER` at all on a base image that runs as root
    (hadolint only sees the explicit one). A stage built `FROM` another
    stage of the file inherits its `USER`.

    - The base image ships a user for apps (`node` 1000 in `node`,
      `nonroot` 65532 in distroless and Wolfi, `app` 1654 in .NET 8+): it adds
      `USER <uid>:<gid>` with its numeric ids.
    - The file already creates a user with fixed ids (`useradd -u`) but
      never switches to it: `USER <uid>:<gid>` of that user.
    - Otherwise it creates a system user `app` with uid and gid 10001 the
      way the family does: Debian, Ubuntu, RHEL/UBI/CentOS/Rocky/Alma/
      Fedora and Arch `groupadd -r -g 10001 app && useradd -r --no-log-init
      -u 10001 -g app app`; Alpine, BusyBox `addgroup -S -g 10001 app &&
      adduser -S -D -H -u 10001 -G app app`; then `USER 10001:10001`.

    The new `RUN` and `USER` go right after the last `RUN` (or `USER`) of
    the final stage — the last instruction that may need root — so they
    come before `CMD`/`ENTRYPOINT` and the layer creating the user stays
    cached when only the app's files change.

    Reported without a fix, saying why: a base image with no tool to create
    a user and no user to borrow (`scratch`, distroless without `nonroot`,
    Amazon Linux, `ubi-minimal`/`-micro`, an image dockfix does not know);
    Windows images running as `ContainerAdministrator`; images whose server
    starts as root and drops privileges itself (nginx, httpd, php-apache/
    fpm, postgres, mysql, mariadb, mongo, redis, rabbitmq), or keeps its
    state in root's folders (tomcat, caddy, traefik); a file that installs
    or calls gosu, su-exec, setpriv, runuser or chpst (an entrypoint that
    switches users needs to start as root); a `CMD`/`ENTRYPOINT` that starts
    a daemon needing root (nginx, sshd, cron, supervisord, php-fpm, …); a
    file creating a user whose uid it does not fix; a non-POSIX `SHELL`.
    Non-final stages that end as `USER root` are reported (hadolint DL3002
    reports every stage) and left alone: build stages may run as root. A
    `USER $VAR` whose value is not known, and a base image whose default
    user is not known from dockfix's table (a private image may already set
    a non-root `USER`), are left alone.

    ## Why
    A process running as root in a container is root on the kernel it
    shares with the host: a breakout, a mounted host folder or a
    misconfigured capability turns an application bug into a host
    compromise. Docker's build best practices, the CIS Docker benchmark
    (4.1) and Kubernetes' restricted Pod Security Standard ask for a
    non-root user; `runAsNonRoot` can only check a numeric `USER`, hence
    `uid:gid`, never a name (hadolint DL3002, DL3066).

    The fixed id 10001 is above the ids distributions give to system
    accounts and to the first login user (1000, also node's), below
    `nobody` (65534) and distroless's `nonroot` (65532), the same on every
    rebuild (files on volumes keep a stable owner) and short enough that
    hadolint's DL3046 (more than five digits) does not fire; the generated
    `useradd` has `--no-log-init` anyway, so DF401 has nothing left to fix.
    (`useradd -r` warns that 10001 is above `SYS_UID_MAX`, the range it
    picks system ids from when none is given: harmless, the id is chosen.)

    The app's files are *not* given to the new user: what `COPY` and `RUN`
    wrote stays root's, readable but not writable by the app, so a
    compromised process cannot rewrite its own code — what a hardened image
    wants. Where the app must write, give it exactly that folder
    (`COPY --chown=10001:10001`, `RUN install -d -o 10001 -g 10001 /app/data`)
    or a volume. A `WORKDIR` that comes after the new `USER` and creates its
    folder makes it the user's (BuildKit creates it as the current user).

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
    CMD ["python", "app.py"]
    ```

    Use instead:
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    RUN groupadd -r -g 10001 app && useradd -r --no-log-init -u 10001 -g app app
    USER 10001:10001
    COPY . .
    CMD ["python", "app.py"]
    ```

    ## Fix safety
    Unsafe: the container's process no longer runs as root. It cannot
    write files and folders that root owns (the app's own files, /var/run,
    /var/log, root's home; `HOME` becomes `/home/app`, which is not created,
    or the shipped user's home), cannot bind ports below 1024 where the
    runtime does not allow it (Docker 20.10+ sets
    `net.ipv4.ip_unprivileged_port_start=0`, Kubernetes does not by
    default), and `RUN` instructions that later stages or `ONBUILD`
    triggers add run as that user. The message notes an `EXPOSE` below
    1024 and each `VOLUME` (created root's: chown it if the app writes
    there). Run the image's tests as the new user before shipping it.

    ## Options
    `uid` and `gid` (integers, default 10001 both): the ids of the system
    user `app` the fix creates when the file creates none and the image
    ships none (`[tool.dockfix.lint.non-root-user]`, `uid = 1001`).
    """

    code = "DF403"
    name = "non-root-user"
    summary = "final stage runs as root → create or use a non-root user, `USER uid:gid`"
    safety = Safety.UNSAFE
    covers = ("DL3002",)
    option_defaults = MappingProxyType({"uid": DEFAULT_UID, "gid": DEFAULT_GID})

    def check(self, ctx: Context):
        # ARG defaults may be overridden by --build-arg: USER $U with
        # ARG U=root is not known to be root (nor anything else).
        model = SemanticModel.of(ctx.tree, assume_defaults=False)
        if not model.stages:
            return
        for st in model.stages[:-1]:
            yield from self._builder_stage(ctx, model, st)
        yield from self._final_stage(ctx, model, model.stages[-1])

    def _builder_stage(self, ctx: Context, model: SemanticModel, st: StageInfo):
        """hadolint DL3002 flags every stage whose last USER is root: say why
        it stays."""
        last = None
        for ins in st.stage.instructions:
            if ins.keyword == "USER":
                last = ins
        if last is None or model.after(last).user.root is not True:
            return
        name = f"`{st.name}`" if st.name else str(st.index)
        yield ctx.finding(
            last,
            f"stage {name} ends as root (USER {last.args[0].value if last.args else ''}): not the final stage, "
            "left as is (a build stage may run as root; only the image's stage is changed)",
        )

    def _final_stage(self, ctx: Context, model: SemanticModel, st: StageInfo):
        end = model.end(st)
        user = end.user
        image = st.image
        ins_list = st.stage.instructions
        if user.explicit:
            if isinstance(user.name, Unknown) or user.ins is None:
                return  # USER $VAR: not known
            own = any(i is user.ins for i in ins_list)
            at: Instruction = user.ins if own else st.stage.from_
            if st.windows:
                if isinstance(user.name, str) and user.name.lower() == "containeradministrator":
                    yield ctx.finding(at, self._windows(user.name))
                return
            if user.root is not True:
                return
            how = f"USER {user_value(end)}" + ("" if own else " in the stage it builds on")
        else:
            at = st.stage.from_
            if st.windows:
                if image.default_user == "ContainerAdministrator":
                    yield ctx.finding(at, self._windows("ContainerAdministrator"))
                return
            if image.default_user != "root" or not image.default_user_known:
                return
            how = f"no USER; `{image.ref.text if image.ref else 'scratch'}` runs as root"
        head = f"the final stage runs as root ({how})"

        why = breaks_user(model, st)
        if why is not None:
            yield ctx.finding(at, f"{head}: not changed, {why}")
            return

        # Who to become: a user the file creates, the image's app user, a new one.
        run: str | None = None
        created = [a for a in model.created(st, "user") if a.id != 0]
        if created:
            names = sorted({a.name for a in created})
            last = created[-1]
            if not isinstance(last.id, int) or len({(a.name, a.id) for a in created}) > 1:
                yield ctx.finding(
                    at,
                    f"{head}: not changed, the file creates {', '.join(f'`{n}`' for n in names)} "
                    "without one fixed uid to switch to; add `USER <uid>:<gid>` for the user the app runs as",
                )
                return
            target = f"{last.id}:{last.gid}" if isinstance(last.gid, int) else str(last.id)
            what = f"switch to `{last.name}`, the user the file creates, with `USER {target}`"
        elif (shipped := image.app_user) is not None:
            target = f"{shipped.uid}:{shipped.gid}"
            what = f"switch to the image's user `{shipped.name}` with `USER {target}`"
        else:
            tool = image.user_tool
            if tool.kind is None:
                yield ctx.finding(
                    at,
                    f"{head}: not changed, {tool.why}; add a user and `USER <uid>:<gid>` by hand "
                    "(a numeric USER needs no /etc/passwd entry where the app needs no name or home)",
                )
                return
            if not end.shell.posix:
                yield ctx.finding(at, f"{head}: not changed, the SHELL is not a POSIX shell")
                return
            uid, gid = int(str(ctx.options["uid"])), int(str(ctx.options["gid"]))
            target = f"{uid}:{gid}"
            run = render_create(tool.kind, DEFAULT_NAME, uid, gid)
            what = f"create system user `{DEFAULT_NAME}` ({target}) and switch to it with `USER {target}`"

        notes = self._notes(model, st, target)
        edit = self._edit(ctx, st, user.ins if user.explicit else None, target, run)
        yield ctx.finding(at, f"{head}: {what}{notes}", [edit])

    @staticmethod
    def _windows(name: str) -> str:
        return (
            f"the final stage runs as {name}, Windows' administrator account: not changed, "
            "use `USER ContainerUser` where the app needs no administrator rights"
        )

    def _notes(self, model: SemanticModel, st: StageInfo, target: str) -> str:
        out = []
        ports = low_ports(model, st)
        if ports:
            out.append(
                f"EXPOSE {' '.join(ports)} is below 1024: a non-root process may bind it only where the "
                "runtime allows (Docker 20.10+ does; Kubernetes needs net.ipv4.ip_unprivileged_port_start)"
            )
        vols = volumes(model, st)
        if vols:
            out.append(
                f"VOLUME {' '.join(vols)} stays root's: give it to {target} (chown) if the app writes there"
            )
        return "".join(f"; note: {n}" for n in out)

    def _edit(self, ctx: Context, st: StageInfo, root_user: Instruction | None, target: str, run: str | None):
        """The new lines after the last RUN/USER of the stage (after its
        FROM when it has none); a `USER root` that is that last one is
        rewritten when no RUN is needed."""
        anchor: Instruction = st.stage.from_
        for ins in st.stage.instructions:
            if ins.keyword in ("RUN", "USER"):
                anchor = ins
        if run is None and anchor is root_user and anchor.args:
            word = anchor.args[0]
            return Edit(word.start, anchor.args[-1].end, target)
        nl = ctx.newline
        ind = indentation(anchor)
        lines = []
        if run is not None:
            lines.append(f"{ind}{keyword_like(anchor, 'RUN')} {run}")
        lines.append(f"{ind}{keyword_like(anchor, 'USER')} {target}")
        block = nl.join(lines)
        if anchor.heredocs:
            # hadolint (2.15) fails to parse an instruction right after a
            # heredoc's terminator line; a blank line in between it reads.
            block = nl + block
        if anchor.content_end == anchor.end:  # the last line, without a line break
            return Edit(anchor.end, anchor.end, nl + block)
        return Edit(anchor.end, anchor.end, block + nl)


__all__ = ["NonRootUser"]
