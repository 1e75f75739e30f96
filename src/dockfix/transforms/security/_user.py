"""What DF403 (non-root-user) and DF404 (numeric-user) share: the user an
image ships for apps, how each distribution family creates one, the users
and group memberships the file's RUNs create, and what in a stage tells
that a USER would break it.  Not a rule module: the name starts with _.

Facts here that are about base images (:func:`app_user`,
:func:`root_is_known`, :data:`SERVICES`, :func:`user_tool`) belong in
:mod:`dockfix.images` (the one table); they sit here until they move.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ... import tools
from ...images import OFFICIAL, Family, ImageInfo, ImageUser, Unknown
from ...model import Facts, SemanticModel, StageInfo
from ...tree import Instruction
from ...users import created_by, num

#: the ids and name of the user DF403 creates.  10001: not a system id
#: (below 1000) an image's packages may take, not 1000 (the first user of
#: most hosts and of images such as node), below the 16-bit ``nobody``
#: (65534) and distroless's ``nonroot`` (65532); five digits, so hadolint's
#: DL3046 (more than five) never fires, and the generated ``useradd`` has
#: ``--no-log-init``, which DF401 asks for from 10000 on.
DEFAULT_UID: Final = 10001
DEFAULT_GID: Final = 10001
DEFAULT_NAME: Final = "app"

# -- the base image (to move into images.py) ----------------------------------------------

#: accounts of a whole family that are no app's user
_SYSTEM_USERS: Final = frozenset({"root", "nobody", "www-data"})


def app_user(image: ImageInfo) -> ImageUser | None:
    """The non-root user the image ships for running an app (``node`` of
    node, ``nonroot`` of distroless and Wolfi, ``app`` of .NET), None when it
    ships only root and the family's system accounts (nobody, www-data).
    To move into images.py: ``ImageInfo.app_user``."""
    for u in image.users:
        if u.uid != 0 and u.name not in _SYSTEM_USERS:
            return u
    return None


#: registries and paths whose images dockfix's table describes (not a guess
#: from a distribution name in the tag)
_VENDORS: Final = (
    "gcr.io/distroless/",
    "registry.access.redhat.com/",
    "registry.redhat.io/",
    "mcr.microsoft.com/dotnet/",
)


def root_is_known(image: ImageInfo) -> bool:
    """The image's default user ``root`` comes from the table (a Docker
    Official Image, a known Docker Hub image, a known vendor, scratch), not
    from a guess (``myorg/base:1-bookworm`` is Debian, but may set a USER).
    To move into images.py: ``ImageInfo.default_user_known``."""
    if image.family is Family.SCRATCH:
        return True
    ref = image.ref
    if ref is None or not image.known or isinstance(ref.path, Unknown) or isinstance(ref.registry, Unknown):
        return False
    if ref.registry is None:
        return ref.path in OFFICIAL
    return f"{ref.registry}/{ref.path}".startswith(_VENDORS)


#: Images whose server starts as root and drops privileges itself, or keeps
#: its state in folders only root may write: a USER breaks them.  Docker
#: Hub name → why.  To move into images.py: ``ImageInfo.starts_as_root``.
SERVICES: Final[dict[str, str]] = {
    "nginx": "nginx starts as root (port 80, /var/cache/nginx, /var/run/nginx.pid) and runs its workers "
    "as `nginx` itself",
    "httpd": "httpd starts as root to bind port 80 and runs its workers as another user itself",
    "wordpress": "Apache (or php-fpm) starts as root and runs its workers as `www-data` itself",
    "postgres": "the image's entrypoint starts as root, prepares the data folder and switches to `postgres` itself",
    "mysql": "the image's entrypoint starts as root, prepares the data folder and switches to `mysql` itself",
    "mariadb": "the image's entrypoint starts as root, prepares the data folder and switches to `mysql` itself",
    "mongo": "the image's entrypoint starts as root, prepares the data folder and switches to `mongodb` itself",
    "redis": "the image's entrypoint starts as root, prepares /data and switches to `redis` itself",
    "rabbitmq": "the image's entrypoint starts as root and switches to `rabbitmq` itself",
    "tomcat": "Tomcat writes its logs, work and temp folders under /usr/local/tomcat, which are root's",
    "caddy": "Caddy binds ports 80 and 443 and keeps its state in /data and /config, which are root's",
    "traefik": "Traefik binds ports 80 and 443",
}
_PHP_SERVER = "Apache or php-fpm starts as root and runs its workers as `www-data` itself"


def service_reason(image: ImageInfo) -> str | None:
    """Why a USER would break the image's own server, if it is one."""
    ref = image.ref
    if ref is None or ref.registry is not None or not isinstance(ref.path, str):
        return None
    if ref.path == "php":
        tag = ref.tag if isinstance(ref.tag, str) else ref.pattern_tag
        return _PHP_SERVER if "apache" in tag or "fpm" in tag else None
    return SERVICES.get(ref.path)


@dataclass(frozen=True)
class UserTool:
    """How a family creates a system user: ``kind`` is ``shadow``
    (groupadd/useradd) or ``busybox`` (addgroup/adduser), None when the
    image has no such tool (``why`` says so)."""

    kind: str | None
    why: str = ""


def user_tool(image: ImageInfo) -> UserTool:
    """The user tool the image ships (to move into images.py:
    ``ImageInfo.user_tool``)."""
    fam = image.family
    name = image.ref.text if image.ref is not None else fam.value
    if fam.debian_like or fam is Family.ARCH:
        return UserTool("shadow")
    if fam in (Family.ALPINE, Family.WOLFI, Family.BUSYBOX):
        return UserTool("busybox")
    if fam is Family.RHEL:
        if image.distro == "amazonlinux":
            return UserTool(None, f"`{name}` (Amazon Linux) ships without shadow-utils, so without useradd")
        if image.package_manager in ("dnf", "yum"):
            return UserTool("shadow")
        return UserTool(None, f"`{name}` is a minimal image without shadow-utils, so without useradd")
    if fam is Family.SCRATCH:
        return UserTool(None, "`scratch` has no /etc/passwd and no tool to create a user")
    if fam is Family.DISTROLESS:
        return UserTool(None, f"`{name}` has no shell or tool to create a user, and ships no non-root user")
    if fam in (Family.SUSE, Family.PHOTON):
        return UserTool(None, f"`{name}` is not known to ship useradd (shadow-utils)")
    return UserTool(
        None, f"the base image `{name}` is not one dockfix knows: how to create a user there is unknown"
    )


# -- what the file's RUNs do (to move into the model) -----------------------------------------


@dataclass(frozen=True)
class Account:
    """A user a RUN of the stage chain creates, with its ids when the file
    fixes them (None when not known)."""

    name: str
    uid: int | None
    gid: int | None
    ins: Instruction


def _runs(stage: StageInfo):
    """The RUNs of the chain of ``stage``, oldest first."""
    for st in stage.chain:
        for ins in st.stage.instructions:
            if ins.keyword == "RUN":
                yield ins


def created_users(model: SemanticModel, stage: StageInfo) -> list[Account]:
    """The users the RUNs of the chain of ``stage`` create, in order.  To
    move into the model: ``SemanticModel.created(stage, kind="user") ->
    list[Created]`` with the primary group's gid resolved."""
    groups: dict[str, int | None] = {}
    out: list[Account] = []
    for ins in _runs(stage):
        script = model.script(ins)
        if script is None:
            continue
        for cmd in script.commands:
            for c in created_by(cmd):
                cid = c.id if isinstance(c.id, int) else None
                if c.kind == "group":
                    groups[c.name] = cid
                    continue
                gid: int | None = None
                if isinstance(c.group, str):
                    g = num(c.group)
                    gid = g if isinstance(g, int) else groups.get(c.group)
                out.append(Account(c.name, cid, gid, ins))
    return out


@dataclass(frozen=True)
class FileUsers:
    """What the RUNs of the whole file do to accounts: the users they
    create, and the users they add to a group other than their own
    (``useradd -G``, ``usermod -G``/``-aG``, ``adduser USER GROUP``,
    ``addgroup USER GROUP``, ``gpasswd -a USER``) — with ``*`` when a RUN
    that may do so cannot be read.  To move into the model:
    ``SemanticModel.creates(name) -> bool`` and
    ``SemanticModel.supplementary_groups(name) -> bool | Unknown``."""

    created: frozenset[str]
    members: frozenset[str]

    def in_other_groups(self, name: str) -> bool:
        return name in self.members or "*" in self.members


def file_users(model: SemanticModel) -> FileUsers:
    """One pass over every RUN of the file."""
    created: set[str] = set()
    members: set[str] = set()
    for st in model.stages:
        for ins in st.stage.instructions:
            if ins.keyword != "RUN":
                continue
            script = model.script(ins)
            if script is None:
                if re.search(r"\b(useradd|usermod|adduser|addgroup|gpasswd)\b", str(ins)):
                    members.add("*")
                continue
            for cmd in script.commands:
                created.update(c.name for c in created_by(cmd) if c.kind == "user")
                _members(cmd, members)
    return FileUsers(frozenset(created), frozenset(members))


def _members(cmd, names: set[str]) -> None:
    if cmd.program == "gpasswd":
        names.update(v for v in cmd.values if v is not None and not v.startswith("-"))
        return
    p = tools.parse(cmd, unwrap=True)
    if p is None:
        return
    if p.tool == "usermod":
        if p.has("--groups") and p.operands:
            names.add(p.operands[-1].value or "*")
        return
    acct = tools.posix.account(p)
    if acct is None or acct.name is None:
        return
    if acct.kind == "member" or (acct.kind == "user" and acct.groups):
        names.add(acct.name)


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


def breaks_user(model: SemanticModel, stage: StageInfo) -> str | None:
    """Why switching the stage to a non-root user would break it: the image
    is a server that drops root itself, a program that switches users is
    installed or started, or the command starts a daemon that needs root."""
    why = service_reason(stage.image)
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
    "SERVICES",
    "Account",
    "FileUsers",
    "UserTool",
    "app_user",
    "breaks_user",
    "created_users",
    "file_users",
    "low_ports",
    "render_create",
    "root_is_known",
    "service_reason",
    "user_tool",
    "user_value",
    "volumes",
]
