"""wget ↔ curl rewrites (dockfix.tools.download), used by DF720."""

from __future__ import annotations

import pytest

from dockfix import tools
from dockfix.shell import Script
from dockfix.tools import download


def _rewrite(line: str, busybox: bool = False) -> str:
    """The command rewritten with the other tool, or ``REASON: …``."""
    script = Script(line, lambda i: i, lambda i: i)
    p = tools.parse(script.commands[0], unwrap=True)
    assert p is not None
    r = download.to_curl(p) if p.tool == "wget" else download.to_wget(p, busybox)
    if r.reason:
        assert not r.changes
        return "REASON: " + r.reason
    out, pos = [], 0
    for c in sorted(r.changes, key=lambda c: c.start):
        out += [line[pos : c.start], c.text]
        pos = c.end
    return "".join([*out, line[pos:]])


@pytest.mark.parametrize(
    ("line", "want"),
    [
        ("wget -qO- https://x/i.sh | sh", "curl -fsSL https://x/i.sh | sh"),
        ("wget -O - https://x/k", "curl -fsSL https://x/k"),
        ("wget https://x/a/b.tgz", "curl -fsSL -O https://x/a/b.tgz"),
        ("wget -q -O /tmp/f 'https://x/f'", "curl -fsSL -o /tmp/f 'https://x/f'"),
        ("wget --output-document=/f https://x/f", "curl -fsSL -o /f https://x/f"),
        ("wget -nv -c https://x/y.zip -O /y.zip", "curl -fsSL -C - https://x/y.zip -o /y.zip"),
        ("wget --no-check-certificate -O f https://x/f", "curl -fsSL -k -o f https://x/f"),
        ("wget --header='A: b' -U agent -O f https://x/f", "curl -fsSL -H 'A: b' -A agent -o f https://x/f"),
        ("wget --tries=3 -O f https://x/f", "curl -fsSL --retry 2 -o f https://x/f"),
        ("wget -t 1 -O f https://x/f", "curl -fsSL -o f https://x/f"),
        (
            "wget -T 30 -O f https://x/f",
            "curl -fsSL --connect-timeout 30 --speed-limit 1 --speed-time 30 -o f https://x/f",
        ),
        ("wget --progress=dot:giga -P /opt -O /f https://x/f", "curl -fsSL -o /f https://x/f"),
        ("sudo wget -q https://x/${V}/a-${V}.tgz", "sudo curl -fsSL -O https://x/${V}/a-${V}.tgz"),
        ('wget -O "$F" "https://x/$F"', 'curl -fsSL -o "$F" "https://x/$F"'),
    ],
)
def test_wget_to_curl(line: str, want: str) -> None:
    assert _rewrite(line) == want


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("wget --spider https://x/", "`wget --spider` has no curl equivalent"),
        ("wget -r https://x/", "`wget -r` has no curl equivalent"),
        ("wget --tries=0 -O f https://x/f", "`wget --tries 0` has no curl equivalent"),
        ("wget $URL", "the file name it saves to cannot be told from the URL"),
        ("wget https://x/dl?f=a", "the file name it saves to cannot be told from the URL"),
        ("wget https://x/", "the file name it saves to cannot be told from the URL"),
        ("wget -P /opt https://x/a.tgz", "`wget -P DIR` without `-O`"),
        ("wget -O f https://x/a https://x/b", "`wget` with 2 URLs"),
        ("wget -O a -O b https://x/a", "several `-O`"),
        ("wget $OPTS -O f https://x/f", "`wget` with 2 URLs"),
    ],
)
def test_wget_to_curl_reports(line: str, reason: str) -> None:
    got = _rewrite(line)
    assert got.startswith("REASON: ") and reason in got


@pytest.mark.parametrize(
    ("line", "busybox", "want"),
    [
        ("curl -fsSL https://x/i.sh | sh", False, "wget -nv -O- https://x/i.sh | sh"),
        ("curl -fsSL https://x/i.sh | sh", True, "wget -qO- https://x/i.sh | sh"),
        ("curl -fsL https://x/i.sh | sh", False, "wget -qO- https://x/i.sh | sh"),
        ("curl https://x/k", False, "wget --progress=dot:giga -O- https://x/k"),
        ("curl -fsSL -o /tmp/a https://x/a", False, "wget -nv -O /tmp/a https://x/a"),
        ("curl -fsSLo/tmp/a https://x/a", True, "wget -q -O /tmp/a https://x/a"),
        ("curl -o - https://x/a", True, "wget -qO- https://x/a"),
        ("curl -OL https://x/a/b.tgz", False, "wget --progress=dot:giga https://x/a/b.tgz"),
        ("curl -C - -O https://x/a.iso", False, "wget --progress=dot:giga -c https://x/a.iso"),
        ("curl -fsSL --output-dir /opt -O https://x/a.iso", False, "wget -nv -P /opt https://x/a.iso"),
        ("curl -fsSL -H 'X: y' https://x/a | sh", True, "wget -qO- --header 'X: y' https://x/a | sh"),
        ('curl -fsSL -H"$H" -o "$F" https://x/a', False, 'wget -nv --header="$H" -O "$F" https://x/a'),
        ("curl --retry 3 -fsSLo /a https://x/a", False, "wget -nv --tries=4 -O /a https://x/a"),
        (
            "curl -fsSLk --create-dirs -o a https://x/a",
            False,
            "wget -nv --no-check-certificate -O a https://x/a",
        ),
    ],
)
def test_curl_to_wget(line: str, busybox: bool, want: str) -> None:
    assert _rewrite(line, busybox) == want


@pytest.mark.parametrize(
    ("line", "busybox", "reason"),
    [
        ("curl --retry 3 -fsSLo /a https://x/a", True, "`curl --retry` has no BusyBox wget equivalent"),
        ("curl -X POST https://x/a", False, "`curl -X` has no wget equivalent"),
        ("curl -s --proto '=https' --tlsv1.2 https://sh.rustup.rs", False, "`curl --proto`"),
        ("curl -fsSL --create-dirs -o /opt/x/a https://x/a", False, "`curl --create-dirs`"),
        ("curl -fsSL -o a -O https://x/a", False, "several `-o`/`-O`"),
        ("curl -C 100 -o a https://x/a", False, "`curl -C 100`"),
        ("curl -fsSLO https://x/dl?f=1", False, "cannot be told from the URL"),
    ],
)
def test_curl_to_wget_reports(line: str, busybox: bool, reason: str) -> None:
    got = _rewrite(line, busybox)
    assert got.startswith("REASON: ") and reason in got


def test_every_table_key_is_an_option_of_its_grammar() -> None:
    """The tables name options by their canonical names in the grammars."""
    wget = download.WGET.options.canon.values()
    curl = download.CURL.options.canon.values()
    assert set(download.WGET_TO_CURL) <= set(wget)
    assert set(download.CURL_TO_WGET) <= set(curl)


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("apt-get install -y --no-install-recommends curl wget", {"curl", "wget"}),
        ("apt-get install -y curl=7.88.1-10", {"curl"}),
        ("apk add --no-cache wget", {"wget"}),
        ("dnf install -y curl", {"curl"}),
        ("apt-get remove -y wget", set()),
        ("apt-get install -y wget2 libcurl4", set()),
    ],
)
def test_installs(line: str, found: set[str]) -> None:
    p = tools.parse(line.split())
    assert p is not None
    assert set(download.installs(p)) == found


def test_posix_still_exports_the_grammars() -> None:
    assert tools.posix.WGET is download.WGET and tools.posix.CURL is download.CURL
    assert tools.posix.wget_quiet is download.wget_quiet


@pytest.mark.parametrize(
    ("line", "removes"),
    [
        ("apk del .build-deps", True),
        ("apt-get purge -y --auto-remove curl", True),
        ("apt-get autoremove -y", True),
        ("dnf remove -y wget", True),
        ("apt-get clean", False),
        ("apt-get install -y curl", False),
        ("rm -rf /usr/bin/wget", False),
    ],
)
def test_uninstalls(line: str, removes: bool) -> None:
    p = tools.parse(line.split())
    assert p is not None
    assert download.uninstalls(p) is removes
