"""Package-manager cache rules (DF110-DF114, DF401, DF510): unit tests and
hadolint agreement on their golden fixtures.

On every golden case of these rules, hadolint is run on the input and on the
output: for the hadolint rules they cover, nothing may be left on the output
that the covering dockfix rule does not report itself (a report-only
finding, explained in the rule's docs), and no hadolint rule may get more
findings than on the input.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from conftest import FIXTURES, hadolint_exe, read_text

import dockfix
from dockfix import tools
from dockfix.rules import registry
from dockfix.shell import script_of
from dockfix.transforms.packages._pkgcache import (
    State,
    covers,
    covers_home_cache,
    run_sites,
    unwrap,
)
from dockfix.transforms.security.useradd_no_log_init import is_high

CODES = ("DF110", "DF111", "DF112", "DF113", "DF114", "DF401", "DF510")
CASES = sorted(p.parent for code in CODES for p in (FIXTURES / code).glob("*/input.Dockerfile"))


def _script(line: str):
    tree = dockfix.parse(f"FROM debian\nRUN {line}\n")
    return script_of(tree.instructions[1])


def _args(line: str):
    return _script(line).commands[0].args


# -- unit tests ---------------------------------------------------------------
@pytest.mark.parametrize(
    "line, program, first",
    [
        ("exec pip install x", "pip", "install"),
        ("time -p pip install x", "pip", "install"),
        ("sudo -H -u app pip install x", "pip", "install"),
        ("env A=1 B=2 pip install x", "pip", "install"),
        ("xargs -n 1 pip install < req", "pip", "install"),
        ("nice -n 5 yum install x", "yum", "install"),
        ("pip install x", "pip", "install"),
    ],
)
def test_unwrap(line: str, program: str, first: str) -> None:
    inv = unwrap(_script(line).commands[0])
    assert inv is not None and inv.program == program and inv.args[0].value == first


def test_unwrap_gives_up_on_expansions() -> None:
    assert unwrap(_script("sudo $CMD install x").commands[0]) is None
    assert unwrap(_script("command -v pip").commands[0]) is None


def test_covers() -> None:
    assert covers(["/root/.cache"], "/root/.cache/pip")
    assert covers(["/root/.cache/pip/"], "/root/.cache/pip")
    assert not covers(["/root/.cache/pip"], "/root/.cache")
    assert not covers(["/root/.cache-old"], "/root/.cache/pip")
    assert not covers(["relative/.cache"], "/root/.cache/pip")


def test_home_of_a_created_user_comes_from_the_model() -> None:
    # useradd -d gives the user's home: a cache mount there holds pip's cache
    tree = dockfix.parse(
        "FROM debian:12\nRUN useradd -m -d /srv/app app\nUSER app\n"
        "RUN --mount=type=cache,target=/srv/app/.cache/pip pip install x\n"
    )
    site = list(run_sites(tree))[-1]
    assert site.state.home == "/srv/app"
    assert covers_home_cache(site.cache_targets(), site.state, "pip")
    text = tree.text
    assert dockfix.fix(text, select=["DF110"]).output == text


def test_covers_home_cache_follows_user() -> None:
    root = State()
    app = State(user="app")
    unknown = State(user=None)
    assert covers_home_cache(["/root/.cache/pip"], root, "pip")
    assert not covers_home_cache(["/root/.cache/pip"], app, "pip")
    assert covers_home_cache(["/home/app/.cache"], app, "pip")
    assert covers_home_cache(["/srv/.cache/pip"], unknown, "pip")
    xdg = State(env={"XDG_CACHE_HOME": "/xdg"})
    assert covers_home_cache(["/xdg"], xdg, "pip") and not covers_home_cache(["/root/.cache"], xdg, "pip")


def test_state_env_and_user() -> None:
    tree = dockfix.parse(
        "FROM python AS a\nENV PIP_NO_CACHE_DIR=1 HOME=/srv\nUSER 1000\n"
        "FROM a\nUSER $NAME\nRUN pip install x\nONBUILD RUN pip install y\n"
    )
    sites = list(run_sites(tree))
    assert [s.onbuild for s in sites] == [False, True]
    st = sites[0].state
    assert st.truthy("PIP_NO_CACHE_DIR") and st.user is None and st.home == "/srv"


@pytest.mark.parametrize(
    "line, quiet",
    [
        ("wget url", False),
        ("wget -O f url", False),
        ("wget -qO- url", True),
        ("wget -nv url", True),
        ("wget -nc url", False),
        ("wget -Oq url", False),  # -O takes `q` as its value
        ("wget --progress=bar:force url", True),
        ("wget -o log url", True),
    ],
)
def test_wget_quiet(line: str, quiet: bool) -> None:
    p = tools.parse(_script(line).commands[0], tool="wget")
    assert p is not None and tools.posix.wget_quiet(p) is quiet


@pytest.mark.parametrize(
    "line, uid, no_log_init, high",
    [
        ("useradd -u 100000 app", "100000", False, True),
        ("useradd -u100000 app", "100000", False, True),
        ("useradd -mu 10000 app", "10000", False, True),
        ("useradd --uid=1000 app", "1000", False, False),
        ("useradd -lu 100000 app", "100000", True, True),
        ("useradd -Gl -u 20000 app", "20000", False, True),  # `l` is the value of -G
        ("useradd -u $UID app", None, False, True),
        ("useradd -m app", None, False, None),
    ],
)
def test_parse_useradd(line: str, uid: str | None, no_log_init: bool, high: bool | None) -> None:
    p = tools.parse(_script(line).commands[0], tool="useradd")
    assert p is not None and p.has("--no-log-init") is no_log_init
    got = p.option("--uid")
    if high is None:
        assert got is None
        return
    assert got is not None and got.value == uid
    assert is_high(got) is high


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        # options whose value the old table did not know (or read as a value) — their value was taken
        # for the subcommand, so nothing was reported
        ("dnf --enable-repo x install y", "dnf --enable-repo x install -y y && dnf clean all"),
        ("yum --randomwait 5 install y", "yum --randomwait 5 install -y y && yum clean all"),
        ("dnf5 --use-host-config install y", "dnf5 --use-host-config install -y y && dnf5 clean all"),
        ("zypper -p r in y", "zypper --non-interactive -p r in y && zypper clean --all"),
        ("sudo dnf group install x", "sudo dnf group install -y x && dnf clean all"),
    ],
)
def test_rpm_rules_read_tools_grammar(line: str, fixed: str) -> None:
    out = dockfix.fix(f"FROM fedora\nRUN {line}\n", select=["DF112", "DF113"]).output
    assert out == f"FROM fedora\nRUN {fixed}\n"


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("uv -p 3.12 pip install x", "uv -p 3.12 pip install --no-cache x"),  # -p takes a value
        ("uv --python 3.12 sync", "uv --python 3.12 sync --no-cache"),
        ("uv --no-cache-dir sync", None),  # uv's alias of --no-cache
        ("uv sync -qn", None),
        ("uv pip compile x", None),  # not one of DF114's subcommands
        ("python3 -X dev -m pip install x", "python3 -X dev -m pip install --no-cache-dir x"),
        ("pip --log l install x", "pip --log l install --no-cache-dir x"),
        ("pip install -- --no-cache-dir", "pip install --no-cache-dir -- --no-cache-dir"),  # an operand
    ],
)
def test_pip_uv_rules_read_tools_grammar(line: str, fixed: str | None) -> None:
    out = dockfix.fix(f"FROM python\nRUN {line}\n", select=["DF110", "DF114"]).output
    assert out == f"FROM python\nRUN {fixed or line}\n"


def test_rules_registered_with_docs() -> None:
    rules = registry().rules
    for code in CODES:
        rule = rules[code]
        assert rule.safety.value == "safe"
        assert "safe" in rule.doc_sections()["Fix safety"].lower()


# -- hadolint agreement on the golden cases -------------------------------------
def _covering() -> dict[str, str]:
    return {dl: rule.code for rule in registry().rules.values() if rule.code in CODES for dl in rule.covers}


def _lint(exe: str, text: str, tmp: Path) -> list[dict]:
    path = tmp / "Dockerfile"
    path.write_bytes(text.encode("utf-8"))
    proc = subprocess.run(
        [exe, "--no-fail", "-f", "json", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout or "[]")


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_hadolint_agrees(case: Path, tmp_path: Path) -> None:
    exe = hadolint_exe()
    source = read_text(case / "input.Dockerfile")
    opts = {"select": [case.parent.name], "unsafe": False}
    if (case / "options.json").exists():
        opts.update(json.loads((case / "options.json").read_text()))
    result = dockfix.fix(source, path=str(case / "input.Dockerfile"), select=opts["select"], unsafe=True)
    before = Counter(f["code"] for f in _lint(exe, source, tmp_path))
    after_findings = _lint(exe, result.output, tmp_path)
    after = Counter(f["code"] for f in after_findings)
    worse = {c: (before[c], after[c]) for c in after if after[c] > before[c]}
    assert not worse, worse
    cover = _covering()
    tree = dockfix.parse(result.output)

    def index(line: int) -> int | None:
        for i, ins in enumerate(tree.instructions):
            if ins.start_line <= line <= ins.end_line:
                return i
        return None

    known = {(f.code, index(f.line)) for f in result.findings}
    left = [
        f"{f['line']} {f['code']}"
        for f in after_findings
        if f["code"] in cover
        and cover[f["code"]] in opts["select"]
        and (cover[f["code"]], index(f["line"])) not in known
    ]
    assert not left, f"hadolint findings neither fixed nor reported: {left}"


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        # yum 3 / dnf 4 run the command after `--`, and read no option after it: `-y` goes before `--`
        ("yum -- install x", "yum -y -- install x && yum clean all"),
        ("dnf --nodocs -- install x", "dnf --nodocs -y -- install x && dnf clean all"),
        ("dnf -y -- install x", "dnf -y -- install x && dnf clean all"),
        # zypper: `--` ends the global options only
        ("zypper -- in x", "zypper --non-interactive -- in x && zypper clean --all"),
        ("zypper -- in -y x && zypper clean", None),
        # microdnf: not known to take the command after `--`
        ("microdnf -- install x", None),
    ],
)
def test_rpm_rules_read_the_subcommand_after_double_dash(line: str, fixed: str | None) -> None:
    out = dockfix.fix(f"FROM fedora\nRUN {line}\n", select=["DF112", "DF113"]).output
    assert out == f"FROM fedora\nRUN {fixed or line}\n"


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        # options the old private table did not know: `--mode` takes a value (and is Yarn 2+ only)
        ("yarn --mode skip-build install", None),
        # a clean through options with values is a clean
        ("npm ci && npm --prefix app cache clean --force", None),
        ("yarn --cwd app install && yarn --cwd app cache clean", None),
        # npm's own aliases (cmd-list.js)
        ("npm sit", "npm sit && npm cache clean --force"),
        ("npm -- ci", "npm -- ci && npm cache clean --force"),  # npm takes the command after `--`
        ("yarn -- add x", None),  # yarn 1: `yarn install add x`, an error
        ("yarnpkg install", None),  # the clean command would name `yarn`
        ("sudo yarn global add serve", "sudo yarn global add serve && yarn cache clean"),
    ],
)
def test_yarn_npm_rule_reads_tools_grammar(line: str, fixed: str | None) -> None:
    out = dockfix.fix(f"FROM node\nRUN {line}\n", select=["DF111"]).output
    assert out == f"FROM node\nRUN {fixed or line}\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("RUN yarn --mode skip-build install\n", "`yarn install` leaves yarn's cache in the layer"),
        ("RUN npm --cache /c ci\n", "(not fixed: `--cache` puts the cache where"),
        (
            "RUN yarn global add x && exit 0\n",
            "`yarn cache clean` missing after `yarn global add` (not fixed",
        ),
        (
            'SHELL ["pwsh", "-c"]\nRUN yarn\n',
            "after `yarn install` (not fixed: the RUN's shell is not a POSIX",
        ),
    ],
)
def test_yarn_npm_rule_reports(text: str, message: str) -> None:
    result = dockfix.fix(f"FROM node\n{text}", select=["DF111"])
    assert result.output == f"FROM node\n{text}"
    assert [message in f.message for f in result.findings] == [True]


def test_yarn_npm_rule_finds_the_cache_folder_with_tools_node() -> None:
    # yarn 1 keeps root's cache in /usr/local/share/.cache/yarn, another user's in ~/.cache/yarn
    root = "FROM node\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn\n"
    assert dockfix.fix(root, select=["DF111"]).output == root
    user = "FROM node\nUSER node\nRUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn\n"
    assert dockfix.fix(user, select=["DF111"]).output.endswith("yarn && yarn cache clean\n")
    npm = "FROM node\nENV npm_config_cache=/c\nRUN npm ci && rm -rf /c\n"
    assert dockfix.fix(npm, select=["DF111"]).output == npm


def test_cache_state_answers_the_tools_facts() -> None:
    assert State().root is True and State(user="app").root is False and State(user=None).root is None
    assert State(user="app").passwd_home == "/home/app"
    assert State(env={"HOME": "/h"}, user="app").home == "/h"
    assert State(env={"HOME": "/h"}, user="app").passwd_home == "/home/app"
    d = tools.cache_dir(tools.node.YARN_CLASSIC_CACHE, State(user="app"))
    assert d.path == "/home/app/.cache/yarn"
    assert tools.cache_dir(tools.node.YARN_CLASSIC_CACHE, State(user=None)).path is None
