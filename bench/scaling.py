"""File-size scaling benchmark (not a test).

Runs ``dockfix --check`` in a subprocess on generated Dockerfiles of about
10 KB, 100 KB and 1 MB for several shapes, measures wall time and peak RSS,
and prints a Markdown table with the cost per KB, so that linear growth
(a constant per-KB column) is visible at a glance.

    python bench/scaling.py                 # all shapes, 10 KB / 100 KB / 1 MB
    python bench/scaling.py --sizes 10,100  # sizes in KB
    python bench/scaling.py --shapes blocks,apt --unsafe-fixes
    python bench/scaling.py --shapes blocks --sizes 50 --trace 15

``--trace N`` runs the engine in-process under ``tracemalloc`` instead and
prints, per shape and size, the memory traced at the fullest moment seen
(after a pass of the rules) and the N source lines that hold the most of
it: where the memory per KB goes.

The generators are also used by ``tests/test_scaling.py``.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

# -- generators: each takes a count n and returns Dockerfile text whose size
# -- grows linearly with n ------------------------------------------------


def blocks(n: int) -> str:
    """Repeated blocks of ENV/RUN/LABEL/COPY/ARG/USER/WORKDIR in one stage."""
    out = ["FROM debian:bookworm\n"]
    for i in range(n):
        out.append(
            f"ARG V{i}=1\n"
            f"ENV K{i} v{i}\n"
            f"ENV A{i}=${{V{i}}} B{i}=$K{i}\n"
            f"LABEL l{i}=x{i}\n"
            f"WORKDIR app{i}\n"
            f"COPY f{i}.txt /app/\n"
            f"ADD g{i}.txt /app/\n"
            f"USER u{i}\n"
            f"RUN apt-get update && apt-get install -y curl{i} && pip install p{i} && npm install n{i}\n"
            f"RUN cd /tmp && echo $K{i} && wget http://x/{i}\n"
        )
    out.append("CMD python app.py\n")
    return "".join(out)


def stages(n: int) -> str:
    """Many stages, each built FROM the previous one, COPY --from between them."""
    out = ["ARG BASE=debian:bookworm\n", "FROM $BASE as s0\n", "RUN apt-get update && apt-get install -y a\n"]
    for i in range(1, n):
        out.append(
            f"FROM s{i - 1} as s{i}\n"
            f"ENV P{i} /opt/{i}\n"
            f"WORKDIR w{i}\n"
            f"COPY --from=s{i - 1} /opt /opt\n"
            f"RUN pip install q{i} && apk add b{i}\n"
        )
    return "".join(out)


def apt(n: int, cleanup: bool = False) -> str:
    """One RUN with n ``apt-get install`` continuation lines."""
    lines = [f"    pkg{i:05d} \\\n" for i in range(n)]
    tail = "    && rm -rf /var/lib/apt/lists/*\n" if cleanup else "    last\n"
    return "FROM debian:bookworm\nRUN apt-get update && apt-get install \\\n" + "".join(lines) + tail


def apt_clean(n: int) -> str:
    return apt(n, cleanup=True)


def apt_lines(n: int, cleanup: bool = False) -> str:
    """One RUN whose n continuation lines each run ``apt-get install``."""
    lines = [f"    && apt-get install -y pkg{i:05d} \\\n" for i in range(n)]
    tail = "    && rm -rf /var/lib/apt/lists/*\n" if cleanup else "    && true\n"
    return "FROM debian:bookworm\nRUN apt-get update \\\n" + "".join(lines) + tail


def apt_lines_clean(n: int) -> str:
    return apt_lines(n, cleanup=True)


def apk(n: int) -> str:
    lines = [f"    pkg{i:05d} \\\n" for i in range(n)]
    return "FROM alpine:3\nRUN apk add \\\n" + "".join(lines) + "    last\n"


def pip(n: int) -> str:
    lines = [f"    pkg{i:05d}==1.{i} \\\n" for i in range(n)]
    return "FROM python:3.12\nRUN pip install \\\n" + "".join(lines) + "    last\n"


def npm(n: int) -> str:
    lines = [f"    pkg{i:05d}@1.0.{i} \\\n" for i in range(n)]
    return "FROM node:20\nRUN npm install -g \\\n" + "".join(lines) + "    last\n"


def chain(n: int) -> str:
    """One RUN with a long ``&&`` chain, one command per line."""
    cmds = []
    for i in range(n):
        k = i % 5
        cmds.append(
            [
                f"apt-get install -y p{i}",
                f"cd /d{i}",
                f"echo {i} | tee /f{i}",
                f"pip install m{i}",
                f"apk add q{i}",
            ][k]
        )
    return "FROM debian:bookworm\nRUN apt-get update && \\\n    " + " && \\\n    ".join(cmds) + "\n"


def heredoc(n: int) -> str:
    """A RUN heredoc of n ``echo`` lines."""
    body = "".join(f"echo line {i} >> /log\n" for i in range(n))
    return "FROM debian:bookworm\nRUN <<EOF\n" + body + "EOF\n"


def args(n: int) -> str:
    """Many ARGs and variable expansions."""
    out = ["ARG G0=x\n", "FROM debian:bookworm\n"]
    for i in range(n):
        out.append(
            f"ARG A{i}=${{A{i - 1}:-v}}\nENV E{i}=$A{i}/${{E{max(i - 1, 0)}}}\nRUN echo $E{i} ${{A{i}}}\n"
        )
    return "".join(out)


SHAPES: dict[str, Callable[[int], str]] = {
    "blocks": blocks,
    "stages": stages,
    "apt": apt,
    "apt_clean": apt_clean,
    "apt_lines": apt_lines,
    "apt_lines_clean": apt_lines_clean,
    "apk": apk,
    "pip": pip,
    "npm": npm,
    "chain": chain,
    "heredoc": heredoc,
    "args": args,
}


def sized(shape: Callable[[int], str], kb: float) -> str:
    """Text of ``shape`` of about ``kb`` kilobytes."""
    per = len(shape(100)) / 100
    n = max(1, int(kb * 1024 / per))
    return shape(n)


# -- the benchmark ----------------------------------------------------------


def _run_one(path: str, unsafe: bool) -> tuple[float, float, int]:
    """(wall seconds, peak RSS in MB, exit code) of one ``dockfix --check``."""
    cmd = [sys.executable, "-m", "dockfix", "--check", path]
    if unsafe:
        cmd.insert(4, "--unsafe-fixes")
    # Each measurement in its own fork so RUSAGE_CHILDREN's maximum is this run's.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(r)
        t0 = time.perf_counter()
        p = subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        os.write(w, f"{wall} {rss} {p.returncode}".encode())
        os._exit(0)
    os.close(w)
    data = b""
    while chunk := os.read(r, 4096):
        data += chunk
    os.close(r)
    os.waitpid(pid, 0)
    wall_s, rss_s, rc_s = data.decode().split()
    return float(wall_s), int(rss_s) / 1024, int(rc_s)


def trace(text: str, top: int) -> list[str]:
    """Lines of a report on the memory ``engine.fix`` holds on ``text``:
    the memory traced at the fullest moment seen after a pass of the rules,
    and the ``top`` source lines holding the most of it."""
    import tracemalloc

    from dockfix import engine

    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "Dockerfile")
        engine.fix(
            "FROM debian\nRUN apt-get install -y x && pip install y\nCOPY . .\nCMD x\n", path
        )  # imports
        fullest: dict = {"size": 0, "snapshot": None}
        run_rules = engine.run_rules

        def watched(*args, **kwargs):
            out = run_rules(*args, **kwargs)
            # the snapshots themselves (made in tracemalloc.py) do not count
            snap = tracemalloc.take_snapshot().filter_traces(
                [tracemalloc.Filter(False, tracemalloc.__file__)]
            )
            size = sum(t.size for t in snap.traces)
            if size > fullest["size"]:
                fullest.update(size=size, snapshot=snap)
            return out

        engine.run_rules = watched
        tracemalloc.start()
        try:
            res = engine.fix(text, path)
        finally:
            tracemalloc.stop()
            engine.run_rules = run_rules
    size = fullest["size"]
    lines = [
        f"traced after the fullest of {res.passes} passes: {size / 1e6:.1f} MB "
        f"({size / len(text.encode()):.0f} B per input byte)"
    ]
    if fullest["snapshot"] is not None:
        for stat in fullest["snapshot"].statistics("lineno")[:top]:
            lines.append(f"  {stat.size / 1e6:8.2f} MB {stat.count:8d} objects  {stat.traceback}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100,1000", help="file sizes in KB (default 10,100,1000)")
    ap.add_argument(
        "--shapes", default="blocks,apt,apt_clean,heredoc", help=f"among {','.join(SHAPES)}, or all"
    )
    ap.add_argument("--unsafe-fixes", action="store_true", help="pass --unsafe-fixes too")
    ap.add_argument(
        "--trace", type=int, metavar="N", help="in-process tracemalloc: the N biggest source lines"
    )
    ns = ap.parse_args(argv)
    sizes = [float(s) for s in ns.sizes.split(",")]
    names = list(SHAPES) if ns.shapes == "all" else ns.shapes.split(",")
    if ns.trace:
        for name in names:
            for kb in sizes:
                text = sized(SHAPES[name], kb)
                print(
                    f"{name}, {len(text.encode()) / 1024:.0f} KB:",
                    *trace(text, ns.trace),
                    sep="\n",
                    flush=True,
                )
        return 0
    mode = "--check --unsafe-fixes" if ns.unsafe_fixes else "--check"
    print(f"`dockfix {mode}`, Python {sys.version.split()[0]}\n")
    print("| shape | size (KB) | lines | time (s) | peak RSS (MB) | ms / KB | MB RSS / KB | exit |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as d:
        for name in names:
            shape = SHAPES[name]
            for kb in sizes:
                text = sized(shape, kb)
                path = os.path.join(d, "Dockerfile")
                with open(path, "w", encoding="utf-8", newline="") as f:
                    f.write(text)
                size_kb = len(text.encode()) / 1024
                wall, rss, rc = _run_one(path, ns.unsafe_fixes)
                print(
                    f"| {name} | {size_kb:.0f} | {text.count(chr(10))} | {wall:.2f} | {rss:.0f} "
                    f"| {1000 * wall / size_kb:.2f} | {rss / size_kb:.3f} | {rc} |",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
