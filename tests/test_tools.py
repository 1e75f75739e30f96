"""dockfix.tools: one grammar per tool, cache folders, project files."""

from __future__ import annotations

import pytest

from dockfix import tools
from dockfix.shell import Script
from dockfix.tools import SimpleFacts, cache_dir


def parse(line: str, **kw: object) -> tools.Parsed:
    p = tools.parse(line.split(), **kw)  # type: ignore[arg-type]
    assert p is not None, line
    return p


def keys(p: tools.Parsed) -> list[tuple[str, str | None]]:
    return [(o.key, o.value) for o in p.options]


def shell_cmd(text: str):
    return Script(text, lambda i: i, lambda i: i).commands[0]


# -- the engine -------------------------------------------------------------------


def test_a_command_is_read_once_per_unwrap_and_the_tool_filter_still_applies(monkeypatch):
    calls = []
    real = tools._parse

    def counting(words, unwrap):
        calls.append(unwrap)
        return real(words, unwrap)

    monkeypatch.setattr(tools, "_parse", counting)
    cmd = shell_cmd("sudo pip install pkg")
    assert tools.parse(cmd).tool == "sudo"  # type: ignore[union-attr]
    p = tools.parse(cmd, unwrap=True)
    assert p is not None and p.tool == "pip" and p.via == "sudo"
    assert tools.parse(cmd, unwrap=True) is p
    assert tools.parse(cmd, unwrap=True, tool="pip") is p
    assert tools.parse(cmd, unwrap=True, tool="npm") is None
    assert calls == [False, True]
    # another command with the same text is read for itself
    other = shell_cmd("sudo pip install pkg")
    assert tools.parse(other, unwrap=True) is not p
    assert calls == [False, True, True]
    # word lists are not remembered
    tools.parse(["pip", "install", "x"])
    tools.parse(["pip", "install", "x"])
    assert calls == [False, True, True, False, False]


def test_parse_a_shell_command_keeps_spans_and_args():
    cmd = shell_cmd("pip install --cache-dir=/c -r 'req s.txt' pkg")
    p = tools.parse(cmd)
    assert p is not None and p.cmd is cmd
    opt = p.option("--requirement")
    assert opt is not None and opt.value == "req s.txt" and opt.value_token is not None
    assert opt.value_token.arg is cmd.args[3]  # the shell.Arg itself, for cut_arg & co
    assert cmd.args[2].start == opt.start and opt.end == cmd.args[3].end
    assert [t.text for t in p.operands] == ["pkg"]
    assert p.insert_at == cmd.args[0].end  # right after `install`


def test_expanding_words():
    cmd = shell_cmd('pip install --cache-dir="$D" -r $REQ x')
    p = tools.parse(cmd)
    assert p is not None and p.expands
    d = p.option("--cache-dir")
    assert d is not None and d.value is None and d.expands and d.raw == '"$D"'
    r = p.option("-r")
    assert r is not None and r.value is None and r.raw == "$REQ"
    # where the subcommand should be, an expansion stops the search
    q = tools.parse(shell_cmd("apt-get $VERB -y x"))
    assert q is not None and not q.sub_known and not q.is_sub("install")
    # an attached short value that expands: useradd -u$UID
    u = tools.parse(shell_cmd("useradd -u$UID app"))
    assert u is not None and u.option("--uid") is not None and u.value("--uid") is None
    assert [t.value for t in u.operands] == ["app"]


def test_double_dash_ends_options():
    p = parse("rm -rf -- -weird /x")
    assert keys(p) == [("--recursive", None), ("--force", None)]
    assert p.operand_values == ("-weird", "/x") and p.dashdash is not None


def test_unknown_program_and_expanding_program():
    assert tools.parse(["frobnicate", "install"]) is None
    assert tools.parse(shell_cmd("$PIP install x")) is None
    assert tools.parse(["npm", "ci"], tool="pip") is None


def test_exec_form_words():
    p = tools.parse(["/usr/bin/mvn", "-o", "package"])
    assert p is not None and p.tool == "mvn" and p.has("--offline")


def test_after_leading_options():
    cmd = shell_cmd("apt-get install -y -o Dpkg::Options::=--force-confold curl")
    p = tools.parse(cmd)
    assert p is not None
    assert p.after_leading_options() == cmd.args[3].end  # after the `-o` value, before `curl`


# -- pip / uv / poetry --------------------------------------------------------------------


@pytest.mark.parametrize(
    "line,via",
    [
        ("pip install x", ""),
        ("pip3 install x", ""),
        ("pip3.12 install x", ""),
        ("python -m pip install x", "python -m pip"),
        ("python3 -m pip install x", "python3 -m pip"),
        ("python3.12 -I -X dev -m pip install x", "python3.12 -m pip"),
        ("python3 -mpip install x", "python3 -m pip"),
    ],
)
def test_pip_programs(line, via):
    p = parse(line)
    assert (p.tool, p.sub, p.via, p.operand_values) == ("pip", "install", via, ("x",))


def test_python_that_is_not_pip():
    assert tools.parse(["python3", "-c", "import", "pip"]) is None
    assert tools.parse(["python3", "setup.py", "install"]) is None
    assert tools.parse(["python3", "-m", "venv", "/v"]) is None


def test_pip_options():
    p = parse("pip --cache-dir /c install --no-cache-dir -r a.txt --requirement=b.txt -c c.txt -e . -U x")
    assert p.sub == "install" and p.option("--cache-dir") is not None
    assert p.option("--cache-dir").before_sub  # type: ignore[union-attr]
    assert p.values("-r") == ("a.txt", "b.txt")
    assert p.value("--constraint") == "c.txt" and p.value("-e") == "."
    assert p.has("--no-cache-dir") and p.has("--upgrade")
    assert p.operand_values == ("x",)


def test_pip_log_file_is_a_value_option():
    """python_cache.py's table had --log-file, cache_python.py's did not:
    `pip --log-file /l install` must find `install`."""
    assert parse("pip --log-file /tmp/l install x").sub == "install"
    assert parse("pip --local-log /tmp/l install x").sub == "install"


def test_pip_cache_clean():
    assert tools.pip.is_cache_clean(parse("pip cache purge"))
    assert tools.pip.is_cache_clean(parse("python3 -m pip cache remove foo"))
    assert not tools.pip.is_cache_clean(parse("pip cache dir"))


def test_uv():
    p = parse("uv --native-tls pip install -r req.txt x")
    assert (p.tool, p.sub) == ("uv", "pip install")  # --native-tls is a flag, not a value option
    assert p.values("--requirements") == ("req.txt",)
    assert tools.pip.fills_cache(p)
    assert parse("uv sync --no-install-project --frozen").has("--no-install-project")
    assert tools.pip.is_cache_clean(parse("uv cache clean"))
    assert parse("uv -n pip install x").has("--no-cache")
    # `--python`/`-p` is a global option with a value (`uv -p 3.12 sync`), and
    # `--no-cache-dir` is uv's alias of `--no-cache`
    assert parse("uv -p 3.12 pip install x").sub == "pip install"
    assert parse("uv --python 3.12 sync").sub == "sync"
    assert parse("uv --no-cache-dir pip install x").has("--no-cache")
    assert parse("uv pip install --no-cache-dir x").has("-n")


def test_poetry():
    p = parse("poetry -C /app install --no-root --with dev -E extra")
    assert p.sub == "install" and p.value("--directory") == "/app"
    assert p.has("--no-root") and p.value("--extras") == "extra" and p.value("--with") == "dev"
    assert tools.pip.is_cache_clean(parse("poetry cache clear --all pypi"))


def test_pip_and_uv_pip_requirement_files():
    """What DF220 reads of `pip install` and `uv pip install`: the names in
    PIP_REQUIREMENT_OPTIONS resolve through each grammar (uv spells them
    --requirements, --constraints, --overrides, --build-constraints)."""
    req = tools.pip.PIP_REQUIREMENT_OPTIONS
    p = parse("uv pip install -r a --requirements=b -c c --constraints d --override e --overrides=f -b g x")
    assert p.values(*req) == ("a", "b", "c", "d", "e", "f", "g") and p.operand_values == ("x",)
    p = parse("pip install -ra -c b --build-constraint c -Ur d x")
    assert p.values(*req) == ("a", "b", "c", "d") and p.has("--upgrade") and p.operand_values == ("x",)
    p = parse("uv pip install -e ./lib --editable=. --target /t --prefix=/p")
    assert p.values(*tools.pip.PIP_EDITABLE_OPTIONS) == ("./lib", ".")
    assert [o.value for o in p.options_named(*tools.pip.PIP_PATH_OPTIONS)] == ["/t", "/p"]
    assert parse("uv pip sync r.txt").is_sub(*tools.pip.REQUIREMENTS_AS_OPERANDS)
    assert parse("uv --native-tls pip install -r r").is_sub(*tools.pip.UV_PIP_INSTALL.subcommands)


@pytest.mark.parametrize(
    "line, found",
    [
        ("python -m venv /v", ("venv", 2)),
        ("python3.12 -I -X dev -m venv /v", ("venv", 5)),
        ("python3 -Im pip install x", ("pip", 2)),
        ("python3 -mpip install x", ("pip", 1)),
        ("python3 -W error -m pip", ("pip", 4)),
        ("python -c import sys", None),
        ("python script.py -m pip", None),
        ("python --version", None),
        ("python3 -m", None),
        ("pythonista -m pip", None),
    ],
)
def test_python_module(line, found):
    program, *args = line.split()
    assert tools.pip.python_module(program, tools.tokens(args)) == found


# -- node --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word,canon",
    [
        ("i", "install"),
        ("isntall", "install"),
        ("add", "install"),
        ("ic", "ci"),
        ("install-clean", "ci"),
        ("clean-install", "ci"),
        ("it", "install-test"),
        ("cit", "install-ci-test"),
        ("up", "update"),
    ],
)
def test_npm_aliases(word, canon):
    assert parse(f"npm {word}").sub == canon


def test_npm_global_options_before_the_subcommand():
    p = parse("npm --prefix x ci --omit=dev")
    assert p.sub == "ci" and p.value("-C") == "x" and p.value("--omit") == "dev"
    p = parse("npm -w pkg install")
    assert p.sub == "install" and p.value("--workspace") == "pkg"
    assert tools.node.is_cache_clean(parse("npm cache clean --force"))
    assert tools.node.is_global(parse("npm i -g typescript"))


def test_yarn():
    assert parse("yarn").implicit and parse("yarn").sub == "install"
    assert parse("yarn --frozen-lockfile").sub == "install"
    assert parse("yarn --version").sub == ""
    p = parse("yarn build")
    assert p.sub == "build" and not p.sub_known  # a package.json script
    p = parse("yarn workspaces focus --production")
    assert p.is_sub("workspaces focus") and p.has("--production")
    assert tools.node.fills_cache(p)
    p = parse("yarn --cwd app global add x")
    assert p.is_sub("global add") and p.value("--cwd") == "app"
    assert tools.node.is_cache_clean(parse("yarn cache clean"))


def test_pnpm_and_bun_and_corepack():
    p = parse("pnpm install --prod --frozen-lockfile")
    assert p.sub == "install" and p.has("-P") and p.has("--frozen-lockfile")
    p = parse("pnpm -C sub --filter app install")
    assert p.value("--dir") == "sub" and p.value("-F") == "app"
    assert tools.node.is_cache_clean(parse("pnpm store prune"))
    assert tools.node.is_cache_clean(parse("bun pm cache rm"))
    p = parse("corepack yarn install --immutable")
    assert (p.tool, p.sub, p.via) == ("yarn", "install", "corepack yarn")


# -- go, cargo, jvm, ruby, php -------------------------------------------------------------


def test_go():
    p = parse("go build -o /out/app -ldflags=-s ./cmd/app -v")
    assert p.sub == "build" and p.value("-o") == "/out/app" and p.value("-ldflags") == "-s"
    assert p.operand_values == ("./cmd/app", "-v")  # Go's flags end at the first package
    p = parse("go mod download -x")
    assert p.is_sub("mod download") and tools.go.fills_cache(p) and not tools.go.compiles(p)
    assert tools.go.is_cache_clean(parse("go clean -modcache"))
    assert not tools.go.is_cache_clean(parse("go clean -modcache ./..."))


def test_cargo():
    p = parse("cargo +nightly b --release -p app")
    assert (p.sub, tools.cargo.toolchain(p), p.value("--package")) == ("build", "nightly", "app")
    assert tools.cargo.fills_cache(parse("cargo chef cook --release --recipe-path recipe.json"))
    assert tools.cargo.offline(parse("cargo build --frozen"))


def test_maven_options():
    p = parse("mvn -B -e -pl core -am -Dmaven.repo.local=/r -Pprod -T 4 dependency:go-offline")
    assert p.has("--errors") and p.value("--projects") == "core" and p.has("--also-make")
    assert p.values("-D") == ("maven.repo.local=/r",) and p.value("-P") == "prod" and p.value("-T") == "4"
    assert p.operand_values == ("dependency:go-offline",)


def test_maven_e_is_a_flag():
    """_lockfile._MVN_VALUE had `-e` as an option taking a value: `mvn -e
    dependency:go-offline` then had no goal.  Maven: `-e,--errors` is a flag."""
    assert parse("mvn -e dependency:go-offline").operand_values == ("dependency:go-offline",)


def test_wrappers_and_gradle():
    p = parse("sh ./gradlew --offline -g /gh dependencies")
    assert (p.tool, p.via) == ("gradle", "sh ./gradlew") and tools.jvm.wrapper(p)
    assert p.value("--gradle-user-home") == "/gh" and p.operand_values == ("dependencies",)
    assert parse("./mvnw -o package").tool == "mvn" and tools.jvm.wrapper(parse("./mvnw -o package"))
    p = parse("gradle -Dorg.gradle.jvmargs=-Xmx1g -x test build")
    assert p.value("-D") == "org.gradle.jvmargs=-Xmx1g" and p.value("--exclude-task") == "test"


def test_bundler_and_gem():
    assert parse("bundle").implicit and parse("bundle --jobs 4").sub == "install"
    p = parse("bundle install --without development --jobs=4")
    assert p.value("--without") == "development" and p.value("-j") == "4"
    p = parse("gem install -N bundler -v 2.5.0")
    assert p.sub == "install" and p.value("--version") == "2.5.0" and p.operand_values == ("bundler",)


def test_composer():
    p = parse("php -d memory_limit=-1 composer.phar i --no-dev -o")
    assert (p.tool, p.sub, p.via) == ("composer", "install", "php composer.phar")
    assert p.has("--optimize-autoloader") and p.has("--no-dev")
    assert parse("composer global require x").is_sub("global require")
    assert tools.composer.is_cache_clean(parse("composer cc"))
    assert parse("composer -d /app install").value("--working-dir") == "/app"


# -- system package managers ------------------------------------------------------------------


def test_apt():
    p = parse("apt-get -o Dpkg::Options::=--force-confold install -y x")
    assert p.sub == "install" and p.has("-y") and p.operand_values == ("x",)
    assert tools.apt.config(p) == {"dpkg::options::": "--force-confold"}
    for line in (
        "apt-get -qqy install x",
        "apt-get -q=2 install x",
        "apt-get --quiet=2 install x",
        "apt-get install --assume-yes x",
        "apt-get -o APT::Get::Assume-Yes=true install x",
    ):
        assert tools.apt.assumes_yes(parse(line)), line
    assert not tools.apt.assumes_yes(parse("apt-get -q install x"))
    assert not tools.apt.assumes_yes(parse("apt-get --yes=false install x"))
    assert parse("apt full-upgrade").sub == "dist-upgrade"
    assert tools.apt.is_cache_clean(parse("apt-get clean"))


def test_apk():
    p = parse("apk add --no-cache --virtual .build-deps gcc musl-dev")
    assert p.has("--no-cache") and p.value("-t") == ".build-deps"
    assert tools.apk.packages(p) == p.operands and p.operand_values == ("gcc", "musl-dev")
    assert tools.apk.updates_index(parse("apk add --update curl"))  # getopt abbreviation of --update-cache
    assert tools.apk.updates_index(parse("apk -U add curl"))
    assert tools.apk.is_cache_clean(parse("apk cache clean"))


def test_rpm_family():
    p = parse("dnf -y --setopt=tsflags=nodocs install x")
    assert p.sub == "install" and tools.rpm.answers_yes(p) and p.value("--setopt") == "tsflags=nodocs"
    assert tools.rpm.prompts(p) and tools.rpm.fills_cache(p)
    p = parse("yum groups install -y Development")
    assert p.sub == "group install" and tools.rpm.prompts(p)
    assert parse("microdnf --nodocs install x").tool == "microdnf"
    assert parse("dnf5 install x").tool == "dnf"
    assert tools.rpm.is_cache_clean(parse("yum clean all"))


def test_dnf_use_host_config_is_a_flag():
    """yum_dnf_zypper._RPM_LONG_VAL had --use-host-config taking a value:
    the subcommand after it was read as its value.  dnf5: a flag."""
    assert parse("dnf --use-host-config install x").sub == "install"


def test_zypper_global_and_subcommand_options():
    p = parse("zypper -n install -n x")  # global -n: non-interactive; install -n: --name
    assert [o.key for o in p.options] == ["--non-interactive", "--name"]
    assert tools.rpm.answers_yes(p)
    assert not tools.rpm.answers_yes(parse("zypper install -n x"))
    assert tools.rpm.answers_yes(parse("zypper in -y x"))
    assert parse("zypper --plus-repo http://r in x").sub == "install"


# -- posix -------------------------------------------------------------------------------------


def test_useradd():
    p = parse("useradd -r -u 1000 -g app -d /home/app -s /bin/sh app")
    acct = tools.posix.account(p)
    assert acct is not None
    assert (acct.kind, acct.name, acct.uid, acct.group, acct.home, acct.shell, acct.system) == (
        "user",
        "app",
        "1000",
        "app",
        "/home/app",
        "/bin/sh",
        True,
    )
    assert tools.posix.account(parse("useradd -lmu100000 -G a,b bob")) == tools.posix.Account(
        "user",
        "bob",
        "100000",
        None,
        None,
        ("a", "b"),
        None,
        None,
        False,
        True,
        parse("useradd -lmu100000 -G a,b bob"),
    )


def test_adduser_and_addgroup():
    a = tools.posix.account(parse("adduser -D -h /srv/app -G app -u 1001 app"))  # BusyBox
    assert a is not None and (a.name, a.home, a.group, a.uid) == ("app", "/srv/app", "app", "1001")
    a = tools.posix.account(parse("adduser --system --ingroup app --home /app --uid 999 app"))  # Debian
    assert a is not None and (a.name, a.home, a.group, a.system) == ("app", "/app", "app", True)
    assert tools.posix.account(parse("adduser app wheel")).kind == "member"  # type: ignore[union-attr]
    g = tools.posix.account(parse("addgroup -g 1000 -S app"))
    assert g is not None and (g.kind, g.name, g.gid) == ("group", "app", "1000")
    m = tools.posix.account(parse("addgroup app wheel"))
    assert m is not None and (m.kind, m.name, m.group) == ("member", "app", "wheel")


def test_adduser_add_extra_groups_is_a_flag():
    """_cache._VALUE_OPTS_USERADD had --add_extra_groups taking a value, so
    `adduser --add_extra_groups app` had no user name.  Debian: a flag."""
    a = tools.posix.account(parse("adduser --add_extra_groups app"))
    assert a is not None and a.name == "app"


def test_rm_wget_cd():
    assert tools.posix.rm_plain(parse("rm -rf /x"))
    assert tools.posix.rm_plain(parse("rm --recursive --force -v /x"))
    assert not tools.posix.rm_plain(parse("rm -rfi /x"))
    assert tools.posix.wget_quiet(parse("wget -nv https://x"))
    assert tools.posix.wget_quiet(parse("wget --progress=dot:giga https://x"))
    assert not tools.posix.wget_quiet(parse("wget -nc https://x"))
    assert tools.posix.cd_target(parse("cd -P /app")).value == "/app"  # type: ignore[union-attr]
    p = parse("curl -fsSLo /tmp/x https://x")
    assert p.value("--output") == "/tmp/x" and p.operand_values == ("https://x",)


def test_unwrap():
    p = parse("sudo -E -u root pip install x", unwrap=True)
    assert (p.tool, p.via, p.sub) == ("pip", "sudo", "install")
    p = parse("env A=1 B=2 npm ci", unwrap=True)
    assert (p.tool, p.assignments) == ("npm", ("A=1", "B=2"))
    p = parse("timeout 60 nice -n 5 yarn install", unwrap=True)
    assert (p.tool, p.via) == ("yarn", "timeout nice")
    assert tools.parse(["command", "-v", "pip"], unwrap=True) is None
    assert parse("sudo pip install x").tool == "sudo"  # not unwrapped unless asked


# -- cache folders -------------------------------------------------------------------------------


def test_pip_cache_folder_order():
    spec = tools.pip.PIP_CACHE
    root = SimpleFacts()
    assert cache_dir(spec, root).path == "/root/.cache/pip"
    assert cache_dir(spec, SimpleFacts({"HOME": "/home/u"}, user_root=False)).path == "/home/u/.cache/pip"
    assert cache_dir(spec, SimpleFacts({"XDG_CACHE_HOME": "/x"})).path == "/x/pip"
    assert cache_dir(spec, SimpleFacts({"XDG_CACHE_HOME": "/x", "PIP_CACHE_DIR": "/p"})).path == "/p"
    d = cache_dir(spec, SimpleFacts({"PIP_CACHE_DIR": "/p"}), parse("pip install --cache-dir=/o x"))
    assert d.path == "/o" and d.option is not None
    assert cache_dir(spec, SimpleFacts(unknown=frozenset({"PIP_CACHE_DIR"}))).path is None
    assert cache_dir(spec, SimpleFacts({"PIP_CACHE_DIR": "rel"})).reason
    assert cache_dir(spec, SimpleFacts(user_root=False)).path is None  # another user, HOME unknown
    assert tools.cache_off(spec, SimpleFacts({"PIP_NO_CACHE_DIR": "1"})) is True
    assert tools.cache_off(spec, SimpleFacts(), parse("pip install --no-cache-dir x")) is True


def test_option_value_through_facts():
    facts = SimpleFacts({"D": "/from/var"})
    p = tools.parse(shell_cmd('pip install --cache-dir "$D" x'))
    assert cache_dir(tools.pip.PIP_CACHE, facts, p).path == "/from/var"
    p = tools.parse(shell_cmd("pip install --cache-dir ~/c x"))
    assert cache_dir(tools.pip.PIP_CACHE, SimpleFacts({"HOME": "/h"}), p).path == "/h/c"


def test_yarn_classic_root_cache():
    spec = tools.node.YARN_CLASSIC_CACHE
    assert cache_dir(spec, SimpleFacts({"HOME": "/app"})).path == "/usr/local/share/.cache/yarn"
    assert cache_dir(spec, SimpleFacts({"XDG_CACHE_HOME": "/x"})).path == "/x/yarn"  # XDG wins over root
    assert cache_dir(spec, SimpleFacts({"HOME": "/home/n"}, user_root=False)).path == "/home/n/.cache/yarn"
    assert cache_dir(spec, SimpleFacts({}, user_root=None)).path is None


def test_node_caches():
    assert cache_dir(tools.node.NPM_CACHE, SimpleFacts()).path == "/root/.npm"
    assert cache_dir(tools.node.NPM_CACHE, SimpleFacts({"npm_config_cache": "/n"})).path == "/n"
    assert cache_dir(tools.node.NPM_CACHE, SimpleFacts(), parse("npm ci --cache /c")).path == "/c"
    assert cache_dir(tools.node.PNPM_STORE, SimpleFacts()).path == "/root/.local/share/pnpm/store"
    assert cache_dir(tools.node.PNPM_STORE, SimpleFacts({"PNPM_HOME": "/pn"})).path == "/pn/store"
    assert cache_dir(tools.node.YARN_BERRY_CACHE, SimpleFacts()).path == "/root/.yarn/berry/cache"
    assert cache_dir(tools.node.BUN_CACHE, SimpleFacts()).path == "/root/.bun/install/cache"


def test_go_caches():
    f = SimpleFacts({"GOPATH": "/go:/other"})
    assert cache_dir(tools.go.MODCACHE, f).path == "/go/pkg/mod"
    assert cache_dir(tools.go.MODCACHE, SimpleFacts({"GOMODCACHE": "/m", "GOPATH": "/go"})).path == "/m"
    d = cache_dir(tools.go.MODCACHE, SimpleFacts())
    assert d.path == "/root/go/pkg/mod" and d.by_default
    assert cache_dir(tools.go.BUILDCACHE, SimpleFacts()).path == "/root/.cache/go-build"


def test_cargo_and_gradle_caches():
    assert cache_dir(tools.cargo.REGISTRY, SimpleFacts({"CARGO_HOME": "/usr/local/cargo"})).path == (
        "/usr/local/cargo/registry"
    )
    g = tools.jvm.GRADLE_CACHES
    assert cache_dir(g, SimpleFacts()).path == "/root/.gradle/caches"
    assert cache_dir(g, SimpleFacts({"GRADLE_USER_HOME": "/g"})).path == "/g/caches"
    assert (
        cache_dir(g, SimpleFacts({"GRADLE_USER_HOME": "/g"}), parse("gradle -g /o build")).path == "/o/caches"
    )
    opts_env = SimpleFacts({"GRADLE_OPTS": "-Dgradle.user.home=/p", "GRADLE_USER_HOME": "/g"})
    assert cache_dir(g, opts_env).path == "/p/caches"  # the system property wins over the variable


def test_maven_repository_uses_the_passwd_home():
    """cache_jvm.py used $HOME for ~/.m2; Java's user.home is the passwd
    entry's home (OpenJDK java_props_md.c: getpwuid), so `ENV HOME=/app`
    as root still means /root/.m2."""
    spec = tools.jvm.MAVEN_REPO
    assert cache_dir(spec, SimpleFacts({"HOME": "/app"})).path == "/root/.m2/repository"
    p = parse("mvn -Dmaven.repo.local=/r package")
    assert cache_dir(spec, SimpleFacts(), p).path == "/r"
    assert cache_dir(spec, SimpleFacts({"MAVEN_OPTS": "-Xmx1g -Dmaven.repo.local=/m"})).path == "/m"
    assert cache_dir(spec, SimpleFacts(unknown=frozenset({"MAVEN_OPTS"}))).path is None


def test_composer_cache():
    spec = tools.composer.CACHE
    assert cache_dir(spec, SimpleFacts({"COMPOSER_HOME": "/tmp"})).path == "/tmp/cache"
    assert cache_dir(spec, SimpleFacts({"COMPOSER_CACHE_DIR": "/c", "COMPOSER_HOME": "/tmp"})).path == "/c"
    # PHP reads "0" as false: COMPOSER_CACHE_DIR=0 does not move (nor disable) the cache
    assert (
        cache_dir(spec, SimpleFacts({"COMPOSER_CACHE_DIR": "0", "COMPOSER_HOME": "/tmp"})).path
        == "/tmp/cache"
    )
    d = cache_dir(spec, SimpleFacts())
    assert d.path == "/root/.composer/cache" and "/etc/xdg" in d.caveat


def test_bundler_gem_cache():
    p = parse("bundle install")
    assert tools.bundler.gem_cache(SimpleFacts({"GEM_HOME": "/usr/local/bundle"}), p).path == (
        "/usr/local/bundle/cache"
    )
    assert (
        tools.bundler.gem_cache(SimpleFacts({"BUNDLE_PATH": "/b"}), p, "3.3.0").path == "/b/ruby/3.3.0/cache"
    )
    assert tools.bundler.gem_cache(SimpleFacts({"BUNDLE_PATH": "/b"}), p).path is None
    assert (
        tools.bundler.gem_cache(SimpleFacts({"GEM_HOME": "/g"}), parse("bundle install --path v")).path
        is None
    )


def test_system_caches():
    assert [cache_dir(s, SimpleFacts()).path for s in tools.CACHES["apt-get"]] == [
        "/var/cache/apt",
        "/var/lib/apt/lists",
    ]
    assert cache_dir(tools.apk.CACHE, SimpleFacts()).path == "/var/cache/apk"
    assert tools.rpm.CACHE_DIRS["dnf"] == ("/var/cache/dnf", "/var/cache/libdnf5")


# -- project files, registry ------------------------------------------------------------------


def test_install_tables():
    npm = tools.INSTALLS["npm"]
    assert npm.files.manifests == ("package.json",) and "package-lock.json" in npm.files.locks
    assert tools.INSTALLS["poetry"].deps_only[0] == "--no-root"
    assert tools.INSTALLS["uv"].deps_only[0] == "--no-install-project"
    assert tools.INSTALLS["composer"].deps_only == ("--no-autoloader",)
    assert tools.INSTALLS["go"].files.refuses == ("go.work",)
    assert tools.INSTALLS["gradle"].files.manifests == ("build.gradle", "build.gradle.kts")


def test_bundler_lock_files_pair_with_their_manifests():
    files = tools.INSTALLS["bundle"].files
    assert tuple(tools.bundler.LOCK_OF) == files.manifests
    assert tuple(tools.bundler.LOCK_OF.values()) == files.locks


def test_python_markers_are_python_lock_files_only():
    """dockerignore.ECOSYSTEMS had `*.lock` as a Python marker: it matches
    yarn.lock, Cargo.lock, composer.lock, Gemfile.lock.  The Python lock
    files are named."""
    assert "*.lock" not in tools.pip.MARKERS
    assert {"poetry.lock", "pdm.lock", "uv.lock", "Pipfile.lock"} <= set(tools.pip.MARKERS)


def test_every_grammar_parses_its_programs():
    for g in tools.GRAMMARS:
        for prog in g.programs:
            p = tools.parse([prog])
            if g.tool in tools.posix.WRAPPERS or g.tool in ("gosu", "doas"):
                continue
            assert p is not None and p.tool == g.tool, prog
        for s in g.subs:
            for word in (s.name, *s.aliases):
                assert g.find(word) is s


def test_generic_questions():
    assert tools.fills_cache(parse("npm ci")) and tools.fills_cache(parse("apt-get install -y x"))
    assert tools.fills_cache(parse("apk add x")) and tools.fills_cache(parse("dnf install -y x"))
    assert not tools.fills_cache(parse("npm run build"))
    assert tools.is_cache_clean(parse("npm cache clear")) and tools.is_cache_clean(parse("go clean -cache"))
    assert not tools.is_cache_clean(parse("apt-get install x"))


def test_label_names_the_program_behind_wrappers() -> None:
    assert (
        tools.parse(["sudo", "dnf", "group", "install", "x"], unwrap=True).label == "sudo dnf group install"
    )
    assert tools.parse(["python3", "-m", "pip", "install", "x"]).label == "python3 -m pip install"
    assert tools.parse(["npm", "ci"]).label == "npm ci"


# -- `--` before the subcommand ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "sub", "operands", "options"),
    [
        # yum 3 (optparse), dnf 4 (argparse), apt and npm take the command from the words after `--`,
        # and read no option after it (`dnf -- install -y x`: "unrecognized arguments: -y")
        ("yum -- install x", "install", ("x",), []),
        ("dnf -y -- install -y x", "install", ("-y", "x"), ["--assumeyes"]),
        ("dnf -- group install x", "group install", ("x",), []),
        ("apt-get -- install -y x", "install", ("-y", "x"), []),
        ("npm -- ci --force", "ci", ("--force",), []),
        # zypper: `--` ends its global options; the command then reads its own
        ("zypper -- in -y x", "install", ("x",), ["--no-confirm"]),
        # uv (clap): "unexpected argument 'pip' found; to use it, remove the '--' before it"
        ("uv -- pip install x", "", ("pip", "install", "x"), []),
        ("uv pip -- install x", "pip", ("install", "x"), []),
        # yarn 1: `yarn -- x` is `yarn install x`; microdnf, tdnf: not known to take a command there
        ("yarn -- add x", "", ("add", "x"), []),
        ("microdnf -- install x", "", ("install", "x"), []),
        # after the subcommand, `--` ends the options as everywhere
        ("dnf install -- -y", "install", ("-y",), []),
    ],
)
def test_subcommand_after_double_dash(line, sub, operands, options):
    p = parse(line)
    assert p.dashdash is not None
    assert (p.sub, p.operand_values, [o.key for o in p.options]) == (sub, operands, options)


def test_double_dash_grammars_say_what_follows():
    from dockfix.tools._grammar import DashDash

    assert tools.rpm.DNF.after_dashdash is DashDash.SUBCOMMAND
    assert tools.rpm.ZYPPER.after_dashdash is DashDash.GLOBALS
    uv = tools.grammar("uv")
    assert uv is not None and uv.after_dashdash is DashDash.OPERANDS


def test_subcommand_after_double_dash_reads_an_odd_first_word_as_the_subcommand():
    p = parse("dnf -- -y install")  # dnf 4: "No such command: -y"
    assert not p.sub_known and p.sub == "-y" and p.options == () and p.operand_values == ("install",)
    assert not tools.rpm.prompts(p)
    q = tools.parse(shell_cmd("dnf -- $VERB x"))
    assert q is not None and not q.sub_known and q.expands and q.operand_values == ("x",)


def test_new_options_go_before_a_double_dash_the_subcommand_follows():
    cmd = shell_cmd("dnf --setopt x=1 -- install y")
    p = tools.parse(cmd)
    assert p is not None and p.sub_after_dashdash
    assert p.insert_at == cmd.args[1].end == p.after_leading_options()  # `dnf --setopt x=1| -- install y`
    p = tools.parse(shell_cmd("apt-get -- install y"))
    assert p is not None and p.insert_at == p.name_end  # `apt-get| -- install y`
    cmd = shell_cmd("zypper -- in -y x")
    p = tools.parse(cmd)
    assert p is not None and p.sub_after_dashdash and p.insert_at == cmd.args[1].end  # zypper reads `in -y`
    assert p.after_leading_options() == cmd.args[2].end
    cmd = shell_cmd("dnf install -- y")
    p = tools.parse(cmd)
    assert p is not None and not p.sub_after_dashdash and p.insert_at == cmd.args[0].end


def test_written_is_the_program_and_subcommand_as_given():
    assert tools.parse(["sudo", "dnf5", "group", "install", "x"], unwrap=True).written == "dnf5 group install"
    assert parse("zypper -n in x").written == "zypper in"
    assert parse("yarn").written == "yarn" and parse("yarn").implicit


def test_yarn_versions_and_berry_options():
    assert tools.node.yarn_version_set(parse("yarn set version 4.1.0")) == "4.1.0"
    assert tools.node.yarn_version_set(parse("yarn policies set-version")) == ""
    assert tools.node.yarn_version_set(parse("yarn install")) is None
    assert tools.node.is_berry_version("stable") and not tools.node.is_berry_version("classic")
    assert not tools.node.is_berry_version("1.22.19")
    assert parse("yarn install --immutable").has(*tools.node.YARN_BERRY_OPTIONS)
    assert parse("yarn --mode skip-build install").sub == "install"  # --mode takes a value


def test_apt_config_flag_reads_booleans_as_apt_does():
    flag = tools.apt.config_flag
    assert (
        flag(parse("apt-get -o APT::Install-Recommends=false install x"), "APT::Install-Recommends") is False
    )
    assert (
        flag(parse("apt-get -o apt::install-recommends=Disable install x"), "APT::Install-Recommends")
        is False
    )
    assert flag(parse("apt-get -o APT::Install-Recommends=with install x"), "APT::Install-Recommends") is True
    assert (
        flag(parse("apt-get -o APT::Install-Recommends=maybe install x"), "APT::Install-Recommends") is None
    )
    assert flag(parse("apt-get install x"), "APT::Install-Recommends") is None


def test_rpm_prompt_and_cache_tables():
    for line, prompts, fills in (
        ("dnf remove x", True, False),
        ("dnf group install x", True, True),
        ("dnf module disable x", True, False),
        ("zypper verify", True, False),
        ("zypper dup", True, True),
        ("yum makecache", False, False),
    ):
        p = parse(line)
        assert (tools.rpm.prompts(p), tools.rpm.fills_cache(p)) == (prompts, fills), line


def test_gradle_user_home_folders():
    facts = SimpleFacts(env={"GRADLE_USER_HOME": "/g"})
    assert cache_dir(tools.jvm.GRADLE_CACHES, facts).path == "/g/caches"
    assert cache_dir(tools.jvm.GRADLE_WRAPPER, facts).path == "/g/wrapper"
    p = parse("gradle -Dgradle.user.home=/d build")
    assert cache_dir(tools.jvm.GRADLE_WRAPPER, SimpleFacts(), p).path == "/d/wrapper"


def test_tilde_in_a_variable_is_not_the_home():
    """The shell expands `~` in words, not in variable values: pip and npm
    expand it themselves, uv, go and cargo take it as a relative path, Java
    neither (`-Dmaven.repo.local=~/r` is the folder `~/r` below the working
    directory).  The folder is then not known."""
    facts = SimpleFacts({"HOME": "/h"})
    assert cache_dir(tools.pip.UV_CACHE, SimpleFacts({"UV_CACHE_DIR": "~/u"})).path is None
    assert cache_dir(tools.go.MODCACHE, SimpleFacts({"GOPATH": "~/go"})).path is None
    assert cache_dir(tools.jvm.MAVEN_REPO, facts, parse("mvn -Dmaven.repo.local=~/r package")).path is None
    assert cache_dir(tools.jvm.MAVEN_REPO, SimpleFacts({"MAVEN_OPTS": "-Dmaven.repo.local=~/r"})).path is None
    # an option's word: the shell (or the tool) expands it
    assert cache_dir(tools.pip.UV_CACHE, facts, parse("uv sync --cache-dir ~/u")).path == "/h/u"


def test_cache_dir_set_by():
    """`CacheDir.set_by`: an option or the tool's own variable names the
    folder (a config file would not override it); `$XDG_CACHE_HOME` or the
    home only lead to the default."""
    spec = tools.pip.PIP_CACHE
    assert cache_dir(spec, SimpleFacts(), parse("pip install --cache-dir /o x")).set_by()
    assert cache_dir(spec, SimpleFacts({"PIP_CACHE_DIR": "/p"})).set_by("PIP_CACHE_DIR")
    assert not cache_dir(spec, SimpleFacts({"XDG_CACHE_HOME": "/x"})).set_by("PIP_CACHE_DIR")
    assert not cache_dir(spec, SimpleFacts()).set_by("PIP_CACHE_DIR")
    maven = cache_dir(tools.jvm.MAVEN_REPO, SimpleFacts(), parse("mvn -Dmaven.repo.local=/r package"))
    assert maven.set_by() and maven.option is not None


def test_apk_package_cache():
    spec = tools.apk.PACKAGE_CACHE
    assert cache_dir(spec, SimpleFacts()).path == "/etc/apk/cache"
    assert cache_dir(spec, SimpleFacts(), parse("apk add --cache-dir /c x")).path == "/c"
    assert tools.cache_off(spec, SimpleFacts(), parse("apk add --no-cache x")) is True


def test_tools_exports_every_name():
    """`from dockfix.tools import *` works: every name of `__all__` exists."""
    for name in tools.__all__:
        assert hasattr(tools, name), name


# -- R1: the last tool facts moved into dockfix.tools ---------------------------------


def test_apk_caches_beside_each_other():
    from dockfix.tools import _dirs

    assert tools.CACHES["apk"] == (tools.apk.CACHE, tools.apk.PACKAGE_CACHE)
    assert not hasattr(_dirs, "APK_PACKAGES")  # one name, in tools.apk


@pytest.mark.parametrize(
    "line, expected",
    [
        ("npm i -g typescript", True),
        ("npm i --global typescript", True),
        ("npm i --location=global typescript", True),
        ("npm i --location global typescript", True),
        ("npm i --location=project typescript", False),
        ("npm i --location=user typescript", False),
        ("npm i typescript", False),
        ("yarn global add typescript", True),
        ("pnpm add -g typescript", True),
    ],
)
def test_npm_global_only_for_the_global_location(line: str, expected: bool):
    assert tools.node.is_global(parse(line)) is expected


def test_a_location_that_expands_may_be_global():
    cmd = shell_cmd('npm i --location="$LOC" typescript')
    p = tools.parse(cmd)
    assert p is not None and tools.node.is_global(p)


@pytest.mark.parametrize(
    "line, sub, operands",
    [
        ("pip -- list", "list", []),
        ("pip3 -q -- install x", "install", ["x"]),
        # the command's own parser reads what follows as operands
        ("pip -- install --user x", "install", ["--user", "x"]),
        ("pip install -- x", "install", ["x"]),
    ],
)
def test_pip_takes_its_command_after_dashdash(line: str, sub: str, operands: list[str]):
    p = parse(line)
    assert tools.pip.PIP.after_dashdash is tools.DashDash.SUBCOMMAND
    assert p.sub == sub and p.sub_known and list(p.operand_values) == operands


def test_pip_option_goes_before_the_dashdash():
    p = parse("pip -- install x")
    assert p.insert_at == len("pip")


def test_bundle_path_at_the_root_gives_one_slash():
    p = parse("bundle install")
    d = tools.bundler.gem_cache(SimpleFacts({"BUNDLE_PATH": "/"}), p, "3.3.0")
    assert d.path == "/ruby/3.3.0/cache"
    d = tools.bundler.gem_cache(SimpleFacts({"BUNDLE_PATH": "/b/"}), p, "3.3.0")
    assert d.path == "/b/ruby/3.3.0/cache"


@pytest.mark.parametrize(
    "value, true",
    [
        ("true", True),
        ("1", True),
        ("off", True),  # bundler: anything but false/f/no/n/0/"" is true
        ("disable", True),
        ("f", False),
        ("F", False),
        ("No", False),
        ("0", False),
        ("", False),
        ("false", False),
    ],
)
def test_bundler_reads_booleans_its_own_way(value: str, true: bool):
    assert tools.bundler.setting_true(value) is true
    p = parse("bundle install")
    d = tools.bundler.gem_cache(SimpleFacts({"BUNDLE_DEPLOYMENT": value, "GEM_HOME": "/g"}), p)
    assert (d.path is None) is true, d
    if not true:
        assert d.path == "/g/cache"


def test_bundler_off_is_not_tools_falsy():
    # the reason bundler has its own reading: `off` is false for pip/npm, true for bundler
    assert tools.falsy("off") and tools.bundler.setting_true("off")
    assert not tools.falsy("f") and not tools.bundler.setting_true("f")


@pytest.mark.parametrize(
    "version, major, berry",
    [
        ("classic", 1, False),
        ("1", 1, False),
        ("1.22.19", 1, False),
        ("4.1.0", 4, True),
        ("3", 3, True),
        ("stable", 4, True),
        ("berry", 4, True),
        ("latest", 4, True),
        ("10.0.0", 10, True),  # was read as yarn 1 (a "1" prefix)
        ("canary", None, True),
    ],
)
def test_yarn_major(version: str, major: int | None, berry: bool):
    assert tools.node.yarn_major(version) == major
    assert tools.node.is_berry_version(version) is berry


def test_project_yarn_from_files():
    Yarn, project = tools.node.Yarn, tools.node.project_yarn
    assert project(None, None) == Yarn("classic")
    assert project(None, '{"packageManager": "yarn@1.22.19"}') == Yarn("classic", 1)
    assert project(None, '{"packageManager": "yarn@4.1.0"}') == Yarn("berry", 4)
    assert project("nodeLinker: pnp\n", None) == Yarn("berry")
    assert project("yarnPath: .yarn/releases/yarn-3.6.4.cjs\nenableGlobalCache: true\n", None) == Yarn(
        "berry", 3, True
    )
    assert project("cacheFolder: /c\n", None) == Yarn("unknown")
    assert project(None, "not json") == Yarn("classic")


def test_yarn_switched_by_a_version():
    Yarn = tools.node.Yarn
    assert Yarn("classic").switched(None) == Yarn("classic")
    assert Yarn("classic").switched("4.1.0") == Yarn("berry", 4, True)
    assert Yarn("berry", 4).switched(None) == Yarn("berry", 4, True)
    assert Yarn("berry", 3).switched(None) == Yarn("berry", 3, False)
    assert Yarn("berry", 3, True).switched(None) == Yarn("berry", 3, True)  # enableGlobalCache: true
    assert Yarn("berry").switched(None) == Yarn("berry")  # the global cache is not known
    assert Yarn("berry", 4).switched("classic") == Yarn("classic")
    assert Yarn("unknown").switched("4.1.0") == Yarn("unknown")  # a .yarnrc.yml moves the cache


@pytest.mark.parametrize(
    "line, expected",
    [
        ("apt-get purge -y x", True),
        ("apt autoclean", True),
        ("apk del .deps", True),
        ("dnf -y remove x", True),
        ("zypper rm x", True),
        ("npm uninstall x", True),
        ("npm un x", True),
        ("pnpm store prune", True),
        ("yarn cache clean", True),
        ("go clean -modcache", True),
        ("cargo clean", True),
        ("composer clearcache", True),
        ("bundle clean --force", True),
        ("gem cleanup", True),
        ("poetry cache clear pypi --all", True),
        ("uv pip uninstall x", True),
        ("mvn clean package", True),
        ("npm ci", False),
        ("apt-get install -y x", False),
        ("gradle clean", False),  # not in the table (it deletes build/, not an install's files)
    ],
)
def test_removes(line: str, expected: bool):
    assert tools.removes(parse(line)) is expected


def test_every_removes_table_names_a_grammar():
    for tool, names in tools.REMOVES.items():
        g = tools.grammar(tool)
        assert g is not None and g.tool == tool
        assert names


def test_pnpm_store_every_spelling_of_store_dir():
    spec = tools.node.PNPM_STORE
    for name in tools.node.PNPM_STORE_ENV:
        d = cache_dir(spec, SimpleFacts({name: "/s"}))
        assert d.path == "/s" and d.set_by(*tools.node.PNPM_STORE_ENV), name
    assert not cache_dir(spec, SimpleFacts({"PNPM_HOME": "/p"})).set_by(*tools.node.PNPM_STORE_ENV)


def test_gradle_lock_writers_are_gradle_options():
    assert tools.jvm.GRADLE_WRITES_LOCKS
    for name in tools.jvm.GRADLE_WRITES_LOCKS:
        assert tools.jvm.GRADLE.options.known(name), name
        assert parse(f"gradle dependencies {name}").has(name)
    assert parse("gradle dependencies -M sha256").has("--write-verification-metadata")
