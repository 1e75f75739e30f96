"""What the secret rules (DF405, DF406) share: which variable names say
"secret", the variables an instruction refers to, and which files hold
credentials.

The facts they rest on live in one place each: the variables a word
refers to (``Facts.word_references``), the stages that may be run as an
image (``SemanticModel.output_stages``), the frontends that understand
``RUN --mount=type=secret,env=`` (:data:`dockfix.frontend.MOUNT_SECRET_ENV`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...model import SemanticModel
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


# -- references ---------------------------------------------------------------------------

#: instructions whose arguments BuildKit does not expand (a shell or the
#: program reads them, at build or at run time)
NOT_EXPANDED = frozenset({"RUN", "CMD", "ENTRYPOINT", "HEALTHCHECK", "SHELL", "ONBUILD"})


def instruction_references(model: SemanticModel, ins: Instruction) -> set[str]:
    """The variables the expanded words of an instruction read: its flags,
    and its arguments unless BuildKit leaves them to a shell."""
    facts = model.at(ins)
    names: set[str] = set()
    for f in ins.flags:
        names |= facts.word_references(str(f))
    if ins.keyword not in NOT_EXPANDED:
        for w in ins.args:
            names |= facts.word_references(str(w))
    return names


def mentions(text: str, name: str) -> bool:
    """Does shell text expand ``name`` (``$NAME``, ``${NAME…}``)?  Also
    true inside single quotes: a ``sh -c '…'`` may expand it later."""
    return re.search(r"\$(?:\{)?" + re.escape(name) + r"(?![A-Za-z0-9_])", text) is not None


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
    "secret_id",
]
