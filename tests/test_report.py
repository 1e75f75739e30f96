"""``--report FILE.html``: the migration report, made through the real entry
point, read as HTML, and opened in headless Chromium (Debian's ``chromium``
package; .ci/run installs it when it can): it renders without a console
error, the filter box works, and a screenshot is taken.

``DOCKFIX_UPDATE_SCREENSHOT=1 python -m pytest tests/test_report.py``
rewrites ``docs/report.png`` (the README's picture) from the examples.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

API = "FROM alpine:3.20\nMAINTAINER Jane <j@example.com>\nCOPY app.py app/\n"
WEB = 'FROM python:3.12\nLABEL note="<script>alert(1)</script>"\nRUN pip install flask\nCMD python app.py\n'
BROKEN = "FROM alpine\nFOO bar\n"


def dockfix(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    return subprocess.run(
        [sys.executable, "-m", "dockfix", *args], cwd=cwd, env=env, capture_output=True, timeout=120
    )


class Page(HTMLParser):
    """What the tests look at in a report: the external references, the
    scripts, the rows of each table, the file sections."""

    def __init__(self) -> None:
        super().__init__()
        self.external: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        for key in ("src", "href"):
            if a.get(key):
                self.external.append(a[key] or "")
        if tag == "link":
            self.external.append(a.get("href") or "link")

    def handle_data(self, data):
        self.text.append(data)

    def items(self) -> list[dict]:
        return [a for tag, a in self.tags if "item" in (a.get("class") or "").split()]


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    return p


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "services" / "api").mkdir(parents=True)
    (tmp_path / "services" / "api" / "Dockerfile").write_text(API)
    (tmp_path / "web.Dockerfile").write_text(WEB)
    (tmp_path / "old.Dockerfile").write_text(BROKEN)
    return tmp_path


def test_report_of_a_check_run(tree):
    (tree / "out").mkdir()
    p = dockfix("--check", "--select=DF501,DF505,DF211,DF513", "--report", "out/report.html", ".", cwd=tree)
    assert p.returncode == 2, p.stderr  # old.Dockerfile cannot be parsed
    html = (tree / "out" / "report.html").read_text()
    page = parse(html)
    assert page.external == []  # self-contained: no stylesheet, script or image to fetch
    assert "<script src" not in html and "@import" not in html and "url(" not in html
    assert html.count("<style>") == 1 and html.count("<script>") == 1
    assert "<script>alert(1)</script>" not in html  # the Dockerfile's text is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    text = " ".join(page.text)
    # totals per rule, per safety class, per directory
    assert re.search(r"DF501.*maintainer-to-label", text)
    rows = {a.get("data-text", "").split()[0] for a in page.items()}
    assert {"DF501", "DF505", "DF211", "DF513", "services/api", "."} <= rows
    for safety in ("safe", "unsafe"):
        assert f'<td class="{safety}">{safety}</td>' in html
    # each changed file's diff, collapsible, coloured; the findings left; the broken file
    files = [a for tag, a in page.tags if tag == "details"]
    assert sorted(a["data-text"].split()[0] for a in files) == ["services/api/Dockerfile", "web.Dockerfile"]
    assert '<tr class="add"><td class="sign">+</td><td><span class="k">LABEL</span> maintainer=' in html
    assert '<tr class="del"><td class="sign">-</td><td><span class="k">MAINTAINER</span>' in html
    assert "web.Dockerfile:4:1" in text  # DF513 is unsafe: left
    assert "old.Dockerfile:2:1" in text and "unknown instruction" in text
    # --check wrote nothing but the report
    assert (tree / "services" / "api" / "Dockerfile").read_text() == API


def test_report_of_a_fix_run(tree):
    (tree / "old.Dockerfile").unlink()
    p = dockfix("--select=DF501", "--report", "r.html", cwd=tree)
    assert p.returncode == 0, p.stderr
    html = (tree / "r.html").read_text()
    assert "LABEL maintainer=" in (tree / "services" / "api" / "Dockerfile").read_text()
    assert "<b>1</b>fixed" in html and "Files that could not be processed" not in html
    assert oct((tree / "r.html").stat().st_mode & 0o777) == oct(0o644)


def test_report_cannot_be_written(tree):
    p = dockfix("--check", "--select=DF501", "--report", "missing/r.html", "services", cwd=tree)
    assert p.returncode == 2
    assert (
        p.stderr.decode().splitlines()[-1].startswith("dockfix: error: --report: cannot write missing/r.html")
    )


# ---------------------------------------------------------------------------
# in a real browser


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no headless Chromium here (Debian package `chromium`; .ci/run installs it as root)")


def browse(url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess:
    args = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
    args += ["--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", *extra, url]
    return subprocess.run(args, capture_output=True, text=True, timeout=180)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


def body_attrs(dom: str) -> dict[str, str]:
    m = re.search(r"<body([^>]*)>", dom)
    assert m, dom[:500]
    return dict(re.findall(r'([\w-]+)="([^"]*)"', m.group(1)))


def test_report_in_headless_chromium(tree, tmp_path):
    (tmp_path / "out").mkdir(exist_ok=True)
    report = tmp_path / "out" / "report.html"
    p = dockfix("--check", "--select=DF501,DF505,DF211,DF513", "--report", str(report), ".", cwd=tree)
    assert p.returncode == 2
    html = report.read_text()
    profile = tmp_path / "profile"

    # no filter: everything shown, no console message at all
    plain = browse(report.as_uri(), profile, "--dump-dom")
    assert plain.returncode == 0, plain.stderr[-2000:]
    assert console_messages(plain.stderr) == []
    attrs = body_attrs(plain.stdout)
    total = len(parse(html).items())
    assert attrs.get("data-ready") == "1" and "data-errors" not in attrs
    assert attrs["data-visible"] == str(total)

    # the filter (given in the address, as a shared link would) hides what does not match
    filtered = browse(report.as_uri() + "#filter=df501", profile, "--dump-dom")
    assert console_messages(filtered.stderr) == []
    attrs = body_attrs(filtered.stdout)
    expected = [a for a in parse(html).items() if "df501" in a["data-text"].lower()]
    assert 0 < len(expected) < total
    assert attrs["data-visible"] == str(len(expected))
    assert f"{len(expected)} of {total} shown" in filtered.stdout
    dom = parse(filtered.stdout)
    hidden = [a for a in dom.items() if "hidden" in a.get("class", "").split()]
    assert len(hidden) == total - len(expected)
    assert all("df501" not in a["data-text"].lower() for a in hidden)

    # two terms: both must match
    both = browse(report.as_uri() + "#filter=unsafe%20web", profile, "--dump-dom")
    want = [a for a in parse(html).items() if "unsafe" in a["data-text"] and "web" in a["data-text"].lower()]
    assert body_attrs(both.stdout)["data-visible"] == str(len(want))

    # the checks above can fail: a page with a script error is caught
    bad = tmp_path / "out" / "bad.html"
    bad.write_text(html.replace('"use strict";', '"use strict"; undefinedFunction();', 1))
    broken = browse(bad.as_uri(), profile, "--dump-dom")
    assert any("undefinedFunction" in m for m in console_messages(broken.stderr))
    assert "data-ready" not in body_attrs(broken.stdout)

    # a screenshot
    shot = tmp_path / "report.png"
    taken = browse(
        report.as_uri(), profile, "--hide-scrollbars", "--window-size=1280,900", f"--screenshot={shot}"
    )
    assert taken.returncode == 0, taken.stderr[-2000:]
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000


def test_update_readme_screenshot(tmp_path):
    """The README's picture: a report of the examples (only when asked)."""
    if not os.environ.get("DOCKFIX_UPDATE_SCREENSHOT"):
        pytest.skip("set DOCKFIX_UPDATE_SCREENSHOT=1 to rewrite docs/report.png")
    work = tmp_path / "repo"
    shutil.copytree(ROOT / "examples", work / "examples")
    (work / "services" / "api").mkdir(parents=True)
    (work / "services" / "api" / "Dockerfile").write_text(API)
    (work / "services" / "web.Dockerfile").write_text(WEB)
    report = tmp_path / "report.html"
    dockfix("--check", "--report", str(report), ".", cwd=work)
    taken = browse(
        report.as_uri(), tmp_path / "profile", "--hide-scrollbars", "--window-size=1280,1000",
        f"--screenshot={ROOT / 'docs' / 'report.png'}",
    )  # fmt: skip
    assert taken.returncode == 0, taken.stderr[-2000:]
