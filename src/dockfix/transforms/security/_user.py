"""What DF403 (non-root-user) shares with its tests: the user it creates,
what in a stage tells that a USER would break it, and the notes its message
carries.  Not a rule module: the name starts with _.

The facts it rests on live in one place each: the base image's app user,
whether its default user is known, its user tool and whether its server
starts as root in :class:`dockfix.images.ImageInfo` (``app_user``,
``default_user_known``, ``user_tool``, ``starts_as_root``); the users the
file's RUNs create and add to groups in the model
(``SemanticModel.created``, ``creates``, ``supplementary_groups``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ...model import Facts, SemanticModel, StageInfo
from ...tree import Instruction

#: the ids and name of the user DF403 creates.  10001: not a system id
#: (below 1000) an image's packages may take, not 1000 (the first user of
#: most hosts and of images such as node), below the 16-bit ``nobody``
#: (65534) and distroless's ``nonroot`` (65532); five digits, so hadolint's
#: DL3046 (more than five) never fires, and the generated ``useradd`` has
#: ``--no-log-init``, which DF401 asks for from 10000 on.
DEFAULT_UID: Final = 10001
DEFAULT_GID: Final = 10001
DEFAULT_NAME: Final = "app"

# -- what in a stage says a USER would break it -----------------------------------------------

#: programs that switch users themselves: they need to start as root
_SWITCHERS: Final = ("gosu", "su-exec", "setpriv", "runuser", "chpst", "s6-setuidgid", "setuidgid")
_SWITCHER_RE: Final = re.compile(r"(?<![\w.-])(" + "|".join(re.escape(s) for s in _SWITCHERS) + r")(?![\w-])")
#: servers and daemons that start as root, bind low ports or write system
#: folders (/var/run, /var/log, /var/spool)
_DAEMONS: Final = frozenset(
    {"nginx", "httpd", "httpd-foreground", "apache2", "apache2ctl", "apache2-foreground", "apachectl",
     "sshd", "cron", "crond", "supervisord", "mysqld", "mysqld_safe", "mongod", "postgres", "pg_ctl",
     "pg_ctlcluster", "rsyslogd", "syslogd", "dockerd", "systemd", "init", "service", "squid", "named",
     "dnsmasq", "postfix", "runsvdir", "s6-svscan", "openrc", "su", "sudo", "doas"}
)  # fmt: skip
_WORD = re.compile(r"[^\s;&|()<>]+")


def _words(ins: Instruction) -> list[str]:
    """The words of a CMD/ENTRYPOINT, those inside JSON arguments too
    (``["sh", "-c", "nginx -g 'daemon off;'"]``)."""
    texts = [a.value for a in ins.args] if ins.json else [ins.rest.value if ins.rest is not None else ""]
    return [w.strip("'\"") for t in texts for w in _WORD.findall(t)]


def _command(model: SemanticModel, stage: StageInfo) -> list[Instruction]:
    """The CMD and ENTRYPOINT in effect at the end of the chain (the last
    of each)."""
    last: dict[str, Instruction] = {}
    for st in stage.chain:
        for ins in st.stage.instructions:
            if ins.keyword in ("CMD", "ENTRYPOINT"):
                last[ins.keyword] = ins
    return list(last.values())


def _runs(stage: StageInfo) -> Iterator[Instruction]:
    """The RUNs of the chain of ``stage``, oldest first."""
    for st in stage.chain:
        for ins in st.stage.instructions:
            if ins.keyword == "RUN":
                yield ins


def breaks_user(model: SemanticModel, stage: StageInfo) -> str | None:
    """Why switching the stage to a non-root user would break it: the image
    is a server that drops root itself, a program that switches users is
    installed or started, or the command starts a daemon that needs root."""
    why = stage.image.starts_as_root
    if why is not None:
        return why
    for ins in _runs(stage):
        m = _SWITCHER_RE.search(str(ins))
        if m:
            return f"the image switches users itself at start-up ({m.group(1)} is installed or used)"
    for ins in _command(model, stage):
        for w in _words(ins):
            base = w.rsplit("/", 1)[-1]
            if base in _SWITCHERS:
                return f"{ins.keyword} switches users itself ({base})"
            if base in _DAEMONS or base.startswith("php-fpm"):
                return f"{ins.keyword} starts `{base}`, which needs root (low ports, system folders)"
    return None


_PORT = re.compile(r"(\d+)(?:-\d+)?(?:/\w+)?\Z")


def low_ports(model: SemanticModel, stage: StageInfo) -> list[str]:
    """EXPOSEd ports below 1024 in the chain, as written."""
    out: list[str] = []
    for st in stage.chain:
        for ins in st.stage.instructions:
            if ins.keyword != "EXPOSE":
                continue
            facts = model.at(ins)
            for a in ins.args:
                v = facts.expand(a.value)
                if not isinstance(v, str):
                    continue
                m = _PORT.match(v)
                if m and int(m.group(1)) < 1024:
                    out.append(v)
    return out


def volumes(model: SemanticModel, stage: StageInfo) -> list[str]:
    """VOLUME folders of the chain (expanded; unknown ones left out)."""
    out: list[str] = []
    for st in stage.chain:
        for ins in st.stage.instructions:
            if ins.keyword != "VOLUME":
                continue
            facts = model.at(ins)
            for a in ins.args:
                v = facts.expand(a.value)
                if isinstance(v, str) and v and v not in out:
                    out.append(v)
    return out


def user_value(facts: Facts) -> str | None:
    """The USER's text as written (for messages)."""
    ins = facts.user.ins
    return ins.args[0].value if ins is not None and ins.args else None


def render_create(kind: str, name: str, uid: int, gid: int) -> str:
    """The shell command (one line) that creates system user ``name``
    (``uid``) in its own group (``gid``), from ``templates/user_create.j2``."""
    from ...templating import render

    cmd = render("user_create.j2", tool=kind, user=name, group=name, uid=uid, gid=gid).strip()
    if not cmd:
        raise ValueError(f"no user creation command for tool {kind!r}")
    return cmd


__all__ = [
    "DEFAULT_GID",
    "DEFAULT_NAME",
    "DEFAULT_UID",
    "breaks_user",
    "low_ports",
    "render_create",
    "user_value",
    "volumes",
]
