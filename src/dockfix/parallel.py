"""Compute the results of many files on a pool of worker processes.

The workers only read and fix (:func:`dockfix.runner.compute_file`); they
never write and never print.  The parent (:mod:`dockfix._cli_run`) takes the
results in the order of the discovered files, whatever finishes first, does
every write (with the "changed since it was read" check) and all printing.
A result computed before an earlier file of the same build context was
written (or proposed a side file such as a .dockerignore) may be stale: the
parent recomputes such a file in-process, so a run gives what ``--jobs 1``
gives.  Imported only when a run uses a pool.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from msgspec import Struct

from . import runner
from .runner import Computed, Options


class Task(Struct, frozen=True):
    """One file for a worker (picklable)."""

    path: str
    options: Options
    context: str | None
    side_files: bool


def _compute(task: Task) -> Computed:
    proposed: dict[str, str] | None = None if task.options.writes else {}
    return runner.compute_file(task.path, task.options, task.context, proposed, task.side_files)


def _init_worker() -> None:
    # Ctrl-C is the parent's to handle: it stops the run and the pool.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _mp_context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def computed(tasks: Sequence[Task], jobs: int) -> Generator[Computed | None, None, None]:
    """The workers' result of each task, in the order of ``tasks``; None for
    the tasks a broken pool (a worker killed) left undone: the caller
    computes those itself.  Closing the iterator (or Ctrl-C) stops the pool."""
    workers = max(1, min(jobs, len(tasks)))
    # Chunks cut the pickling round trips; several per worker keep the
    # workers evenly busy when some files take longer than others.
    chunksize = max(1, min(16, len(tasks) // (workers * 4)))
    pool = ProcessPoolExecutor(workers, mp_context=_mp_context(), initializer=_init_worker)
    done = 0
    finished = False
    try:
        try:
            for item in pool.map(_compute, tasks, chunksize=chunksize):
                done += 1
                yield item
        except BrokenProcessPool:
            for _ in range(done, len(tasks)):
                yield None
        finished = True
    finally:
        # Stopped early (Ctrl-C, an error): don't wait for the chunks under
        # way; the workers write nothing, so there is nothing to undo.
        pool.shutdown(wait=finished, cancel_futures=True)


class Touched:
    """The files a run has written or proposed so far, to tell whether a
    result a worker computed earlier may be stale: a Dockerfile's rules read
    only its build context, so a result is stale when a touched file lies
    inside its context.  Linear: each touched file adds its ancestors once."""

    def __init__(self) -> None:
        self._dirs: set[str] = set()

    def add(self, path: str) -> None:
        d = os.path.dirname(os.path.realpath(path))
        while d not in self._dirs:
            self._dirs.add(d)
            parent = os.path.dirname(d)
            if parent == d:
                break
            d = parent

    def inside(self, root: str) -> bool:
        """Whether a touched file lies inside the folder ``root``."""
        return os.path.realpath(root) in self._dirs
