"""A `dask worker --preload` module: the worker kills itself (SIGKILL) when it starts its
second block of a cluster run, so a test loses a worker mid-run at a known moment: after it
finished one block (whose result it holds) and while it computes another."""
from __future__ import annotations

import os
import signal

from distributed import WorkerPlugin


class KillOnSecondBlock(WorkerPlugin):
    def __init__(self):
        self.started = 0

    def transition(self, key, start, finish, *args, **kwargs):
        name = key if isinstance(key, str) else str(key)
        if finish == "executing" and name.startswith("evaluate_block"):
            self.started += 1
            if self.started == 2:
                os.kill(os.getpid(), signal.SIGKILL)


async def dask_setup(worker):
    await worker.plugin_add(KillOnSecondBlock(), name="lsrules-test-killer")
