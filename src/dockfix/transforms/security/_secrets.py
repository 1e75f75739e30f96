"""What the secret rules (DF405, DF406) share: which variable names say
"secret", which frontends understand ``RUN --mount=type=secret,env=``, the
variables a Dockerfile word refers to, which stages may be run as an image,
and which files hold credentials.

Candidates to move into the model / tools (see the task report):
:func:`word_references` (``Facts.references(word)``), :func:`output_stages`
(``SemanticModel.output_stages``), :func:`secret_env_support`
(``frontend.MOUNT_SECRET_ENV``, stable in docker/dockerfile 1.10).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ... import lexing
from ...frontend import MOUNT_SECRET, Frontend

if TYPE_CHECKING:
    from ...model import SemanticModel, StageInfo
    from ...tree import Instruction

# -- names -----------------------------------------------------------------------

#: BuildKit's SecretsUsedInArgOrEnv (``getSecretsRegex`` in
#: frontend/dockerfile/dockerfile2llb): a whole ``_``-separated word of
#: the name is one of these, case-insensitively...
BUILDKIT_DENY = re.compile(
    r"(?i)(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)"
)
#: ...and none of these
BUILDKIT_ALLOW = re.compile(r"(?i)(?:_|^)(?:public|file|version)(?:_|$)")

#: hadolint DL3064: a name in this list (upper-cased)...
HADOLINT_NAMES = frozenset(
    [
        "ACCESS_TOKEN",
        "APPLICATION_KEY",
        "APP_SECRET",
        "AUTH_TOKEN",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "BITTREX_API_KEY",
        "BITTREX_API_SECRET",
        "CF_PASSWORD",
        "CF_USERNAME",
        "CIRCLE_TOKEN",
        "CI_DEPLOY_PASSWORD",
        "CI_DEPLOY_USER",
        "DOCKERHUB_PASSWORD",
        "DOCKER_EMAIL",
        "DOCKER_PASSWORD",
        "DOCKER_USERNAME",
        "FACEBOOK_ACCESS_TOKEN",
        "FACEBOOK_APP_ID",
        "FACEBOOK_APP_SECRET",
        "FIREBASE_API_TOKEN",
        "FIREBASE_TOKEN",
        "FOSSA_API_KEY",
        "GH_ENTERPRISE_TOKEN",
        "GH_TOKEN",
        "GITHUB_ENTERPRISE_TOKEN",
        "GITHUB_TOKEN",
        "HEROKU_API_KEY",
        "HEROKU_API_USER",
        "NPM_AUTH_TOKEN",
        "NPM_TOKEN",
        "OKTA_AUTHN_GROUPID",
        "OKTA_CLIENT_ORGURL",
        "OKTA_CLIENT_TOKEN",
        "OKTA_OAUTH2_CLIENTID",
        "OKTA_OAUTH2_CLIENTSECRET",
        "OPENAI_API_KEY",
        "OS_PASSWORD",
        "OS_USERNAME",
        "POSTGRES_PASSWORD",
        "SLACK_TOKEN",
        "STRIPE_API_KEY",
        "STRIPE_DEVICE_NAME",
        "TRAVIS_OS_NAME",
        "TRAVIS_SECURE_ENV_VARS",
        "TRAVIS_SUDO",
        "VAULT_CLIENT_KEY",
        "VAULT_TOKEN",
    ]
)
#: ...or one of these anywhere in it (lower-cased)
HADOLINT_SUBSTRINGS = ("api_key", "client_key", "password", "private", "secret", "token", "username")

#: a word of the name that ends like a credential (``CLIENTSECRET``,
#: ``NPMTOKEN``, ``DBPASSWORD``; not ``TOKENIZERS``)
_COMPOUND = re.compile(r"(?i)(?:_|^)[a-z0-9]*(?:secret|token|password|passwd|apikey)(?:_|$)")


def buildkit_flags(name: str) -> bool:
    """Does BuildKit's SecretsUsedInArgOrEnv check flag this name?"""
    return bool(BUILDKIT_DENY.search(name)) and not BUILDKIT_ALLOW.search(name)


def hadolint_flags(name: str) -> bool:
    """Does hadolint's DL3064 flag this name?"""
    low = name.lower()
    return name.upper() in HADOLINT_NAMES or any(s in low for s in HADOLINT_SUBSTRINGS)


def is_secret_name(name: str) -> bool:
    """Does the name say its value is a secret: BuildKit's pattern, or a
    word of it ending in ``secret``/``token``/``password``/``passwd``/
    ``apikey`` (what hadolint finds inside ``CLIENTSECRET``) — never a name
    with a ``public``/``file``/``version`` word (``API_KEY_FILE`` holds a
    path)?  User names, ids and ``private`` (``GOPRIVATE``) are not."""
    if BUILDKIT_ALLOW.search(name):
        return False
    return bool(BUILDKIT_DENY.search(name) or _COMPOUND.search(name))


# -- the frontend ---------------------------------------------------------------------

_DOCKERFILE_REF = re.compile(
    r"^(?:(?:docker\.io|index\.docker\.io|registry-1\.docker\.io|mirror\.gcr\.io)/)?"
    r"docker/dockerfile(?:-upstream)?(?::([\w][\w.-]*))?(?:@sha256:[0-9a-f]{64})?$",
    re.IGNORECASE,
)
_MINOR = re.compile(r"^1\.(\d+)(?:\.\d+)?(?:-(?:labs|rc\d*))?$")


def secret_env_support(fe: Frontend) -> str:
    """Empty when the frontend understands ``RUN --mount=type=secret,…,env=X``
    (docker/dockerfile 1.10 and later), else why not."""
    if not fe.supports(MOUNT_SECRET):
        return fe.why_not(MOUNT_SECRET)
    if fe.ref is None:
        return ""  # the rule adds `# syntax=docker/dockerfile:1`
    m = _DOCKERFILE_REF.match(fe.ref.strip())
    tag = (m.group(1) or "latest").lower() if m else None
    if tag in ("1", "latest", "labs", "1-labs", "master", "master-labs"):
        return ""
    minor = _MINOR.match(tag or "")
    if minor and int(minor.group(1)) >= 10:
        return ""
    return f"the pinned frontend `{fe.ref}` lacks `env=` of secret mounts, which needs docker/dockerfile:1.10 or later"


# -- references ---------------------------------------------------------------------------

#: instructions whose arguments BuildKit does not expand (a shell or the
#: program reads them, at build or at run time)
NOT_EXPANDED = frozenset({"RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "ONBUILD"})


def word_references(text: str, escape: str) -> set[str]:
    """The variables BuildKit's expansion of ``text`` reads."""
    names: set[str] = set()
    if "$" not in text:
        return names

    def lookup(name: str) -> str:
        names.add(name)
        return ""

    try:
        lexing.expand_word(text, lookup, escape)
    except lexing.ShellError:
        names.add("\0")  # cannot be read: callers treat it as "may refer to anything"
    return names


def instruction_references(ins: Instruction, escape: str) -> set[str]:
    """The variables the expanded words of an instruction read: its flags,
    and its arguments unless BuildKit leaves them to a shell."""
    names: set[str] = set()
    for f in ins.flags:
        names |= word_references(str(f), escape)
    if ins.keyword not in NOT_EXPANDED:
        for w in ins.args:
            names |= word_references(str(w), escape)
    return names


def mentions(text: str, name: str) -> bool:
    """Does shell text expand ``name`` (``$NAME``, ``${NAME…}``)?  Also
    true inside single quotes: a ``sh -c '…'`` may expand it later."""
    return re.search(r"\$(?:\{)?" + re.escape(name) + r"(?![A-Za-z0-9_])", text) is not None


# -- stages -------------------------------------------------------------------------------


def output_stages(model: SemanticModel) -> set[int]:
    """Indexes of the stages that may be run as an image: the final stage,
    and every stage no other stage uses (``FROM``, ``COPY --from``, ``RUN
    --mount=from=``) — such a stage is only built as a ``--target``."""
    by_name: dict[str, StageInfo] = {}
    for st in model.stages:
        if st.name:
            by_name.setdefault(st.name, st)
    used: set[int] = set()

    def use(ref: object) -> None:
        if not isinstance(ref, str):
            return
        st = by_name.get(ref.lower())
        if st is None and ref.isdigit() and int(ref) < len(model.stages):
            st = model.stages[int(ref)]
        if st is not None:
            used.add(st.index)

    for st in model.stages:
        if st.parent is not None:
            used.add(st.parent.index)
        for ins in st.stage.instructions:
            if ins.keyword in ("COPY", "ADD"):
                flag = ins.flag("from")
                if flag is not None and flag.value is not None:
                    use(model.at(ins).expand(flag.value))
            elif ins.keyword == "RUN":
                for m in model.mounts(ins):
                    use(m.from_)
    out = {st.index for st in model.stages if st.index not in used}
    if model.stages:
        out.add(model.stages[-1].index)
    return out


# -- credential files ---------------------------------------------------------------------

#: files that hold credentials by convention (base names); ``id`` the
#: secret id dockfix gives them (the name without its leading dot)
CREDENTIAL_FILES = frozenset(
    {".npmrc", ".yarnrc.yml", ".pypirc", "pip.conf", ".netrc", ".git-credentials", "auth.json", ".pgpass",
     ".dockercfg", "id_rsa", "id_ecdsa", "id_ed25519"}
)  # fmt: skip

_CREDENTIAL_LINES = (
    # key = value with a literal value: _authToken, _auth, _password, password, token, npmAuthToken...
    re.compile(
        r"(?im)^[^#;\n]*?(?:_authtoken|_auth|_password|password|passwd|npmauthtoken|token|secret)[\w.-]*"
        r"[\"']?\s*[:=]\s*[\"']?(?!\$\{|\$[A-Za-z_])[^\s\"']+"
    ),
    re.compile(r"(?i)[a-z][a-z0-9+.-]*://[^/\s:@]+:(?!\$)[^/\s@]+@"),  # https://user:password@host
    re.compile(r"(?im)^\s*(?:machine\s+\S+\s+)?(?:login\s+\S+\s+)?password\s+(?!\$)\S+"),  # .netrc
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(
        r'(?i)"(?:http-basic|github-oauth|gitlab-token|gitlab-oauth|bitbucket-oauth|bearer|auths?)"\s*:'
    ),
    re.compile(r"(?m)^[^#:\s]+:[^:\s]*:[^:\s]+:[^:\s]+:(?!\$)\S+$"),  # .pgpass
)


def holds_credentials(text: str) -> bool:
    """Does a file's text hold a credential written out (not a
    ``${VARIABLE}`` placeholder the tool fills in at run time)?"""
    return any(r.search(text) for r in _CREDENTIAL_LINES)


def secret_id(base: str) -> str:
    """The secret id for a credential file (``.npmrc`` → ``npmrc``)."""
    return base.lstrip(".") or base


__all__ = [
    "CREDENTIAL_FILES",
    "BUILDKIT_ALLOW",
    "BUILDKIT_DENY",
    "NOT_EXPANDED",
    "buildkit_flags",
    "hadolint_flags",
    "holds_credentials",
    "instruction_references",
    "is_secret_name",
    "mentions",
    "output_stages",
    "secret_env_support",
    "secret_id",
    "word_references",
]
