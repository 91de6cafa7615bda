"""Worker processes that end with the process that started them.

A worker blocked on its task queue never hears that its parent was killed (`kill -9` of an
import midway): it holds that queue's writing end itself, so it would wait there forever.
Each worker watches its parent instead and leaves once it is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor

WATCH_SECONDS = 0.5


def pool(workers: int) -> ProcessPoolExecutor:
    """`workers` processes, spawned (a fork would copy this process's open database
    connections), each leaving when this process is gone."""
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_leave_with,
        initargs=(os.getpid(),),
    )


def _leave_with(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(WATCH_SECONDS)
        os._exit(1)  # orphaned: nobody will take what this worker would return

    threading.Thread(target=watch, name="leave-with-parent", daemon=True).start()
