from __future__ import annotations

import re

from ...images import Unknown
from ...model import SemanticModel, StageInfo
from ...rules import Context, Edit, Rule, Safety
from ...tree import Instruction

_NUMERIC = re.compile(r"[0-9]*\Z")


class NumericUser(Rule):
    """
    ## What it does
    Rewrites `USER name` to numeric ids where the ids are known: the file
    creates the user with a fixed uid (`useradd -u 10001`, `adduser -u`),
    the base image ships it (`node` is 1000 in the `node` images), or it is
    `root` (uid 0).

    - `USER name:group` becomes `USER uid:gid` (the group's gid from the
      file's `groupadd -g`/`addgroup -g`, or a number).
    - `USER name` becomes `USER uid:gid` when the file creates the user
      with a known primary group and adds it to no other group; otherwise
      `USER uid`, which keeps the user's supplementary groups (see below).

    Reported without a fix, saying why: a user whose uid the file does not
    fix (`useradd app` picks the next free id) or that the base image
    ships with an id dockfix does not know; a `USER` from a variable;
    Windows accounts (they have no numeric id).

    ## Why
    A user name is resolved in the image's `/etc/passwd` at run time; the
    host and the orchestrator cannot resolve it. Kubernetes'
    `runAsNonRoot` refuses to start a container whose `USER` is a name,
    because it cannot prove the name is not root, and security scanners
    and admission policies check the numeric uid the same way (hadolint
    DL3066: non-numeric user-id may not be resolvable by the host system).

    `USER name` and `USER uid:gid` are not the same to runc and BuildKit:
    with a name (or a bare uid) the user's supplementary groups come from
    `/etc/group` (every group listing it as a member); when the `USER`
    names a group, only that group is used and supplementary groups are
    dropped (runc's `GetExecUser`; BuildKit's `GetUser` takes `uid:gid`
    literally, without reading `/etc/group`). So `USER app` (in `docker`,
    `audio`… through `useradd -G`/`usermod -aG`) becomes `USER 10001`,
    which keeps them, and `USER uid:gid` is used only when the file shows
    no other group for the user.

    ## Example
    ```dockerfile
    FROM debian:12-slim
    RUN groupadd -r -g 10001 app && useradd -r --no-log-init -u 10001 -g app app
    USER app
    ```

    Use instead:
    ```dockerfile
    FROM debian:12-slim
    RUN groupadd -r -g 10001 app && useradd -r --no-log-init -u 10001 -g app app
    USER 10001:10001
    ```

    ## Fix safety
    Unsafe: the image's `User` setting changes text, and the ids are read
    from the commands as written — a `useradd` that does not run (behind
    `|| true`, in a script, with `-o` reusing an id) or an image whose
    `/etc/passwd` differs from dockfix's table gives another user than the
    name did. With `uid:gid`, supplementary groups added in ways the file
    does not show (a script, an edited `/etc/group`) are dropped. `USER
    root` becomes `USER 0`, root in every Linux image.
    """

    code = "DF404"
    looks_at = ("USER",)
    name = "numeric-user"
    summary = "`USER name` → `USER uid:gid` when the file or the base image fixes the ids"
    safety = Safety.UNSAFE
    covers = ("DL3066",)

    def check(self, ctx: Context):
        # ARG defaults may be overridden by --build-arg: not known here.
        model = SemanticModel.of(ctx.tree, assume_defaults=False)
        for st in model.stages:
            for ins in st.stage.instructions:
                if ins.keyword != "USER" or not ins.args:
                    continue
                raw = ins.args[0].value
                if _NUMERIC.match(raw.split(":", 1)[0]):
                    continue  # numeric already (hadolint's test)
                yield self._one(ctx, model, st, ins, raw)

    def _one(self, ctx: Context, model: SemanticModel, st: StageInfo, ins: Instruction, raw: str):
        if st.windows:
            return ctx.finding(ins, f"USER {raw}: Windows accounts have no numeric id, left as is")
        user = model.after(ins).user
        name = user.name
        if "$" in raw or isinstance(name, Unknown) or isinstance(user.group, Unknown):
            return ctx.finding(ins, f"USER {raw}: the user comes from a variable, its ids are not known")
        made = model.creates(name)
        uid = user.uid
        if not isinstance(uid, int):
            if made:
                why = f"the file creates `{name}` without a fixed uid (useradd/adduser -u)"
            else:
                why = f"`{name}` is not created by this file and its uid in the base image is not known"
            return ctx.finding(ins, f"USER {raw}: not made numeric, {why}")
        group = user.group
        gid = user.gid
        if group is not None:
            if not isinstance(gid, int):
                return ctx.finding(
                    ins,
                    f"USER {raw}: not made numeric, the gid of group `{group}` is not known from the file",
                )
            new, extra = f"{uid}:{gid}", ""
        elif made and isinstance(gid, int) and model.supplementary_groups(name) is False:
            new, extra = f"{uid}:{gid}", ""
        else:
            new = str(uid)
            extra = (
                " (uid only: its primary and supplementary groups still come from /etc/passwd and "
                "/etc/group, as with the name)"
            )
        word = ins.args[0]
        return ctx.finding(
            ins,
            f"USER {raw} → USER {new}: a numeric user is what the host and Kubernetes runAsNonRoot can check{extra}",
            [Edit(word.start, ins.args[-1].end, new)],
        )


__all__ = ["NumericUser"]
