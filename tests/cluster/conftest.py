"""A real Dask cluster for the tests: `dask scheduler` and two `dask worker` processes on
127.0.0.1 (ports chosen by the system), started once per test session, stopped at its end.

Each process is started from this interpreter's environment and inherits PYTHONPATH, so the
workers import the lsrules under test. A worker runs without a nanny: the process started
here is the worker itself, so a test can kill it for good. A test run killed before its
teardown leaves nothing behind for long: a worker without its scheduler stops after 60 s,
an idle scheduler after 15 minutes.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DASK = Path(sys.executable).parent / "dask"
START_TIMEOUT = 90.0


@dataclass
class DaskCluster:
    address: str
    directory: Path
    processes: list = field(default_factory=list)

    def start_worker(self, name: str, *extra: str) -> subprocess.Popen:
        log = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [str(DASK), "worker", self.address, "--name", name, "--host", "127.0.0.1",
             "--nthreads", "1", "--no-nanny", "--no-dashboard", "--memory-limit", "0",
             "--death-timeout", "60",
             "--local-directory", str(self.directory / name), *extra],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()
        self.processes.append(process)
        return process

    def wait_for_workers(self, count: int) -> None:
        """Until the scheduler has `count` workers (asked from another process: the client's
        threads and warnings stay out of the test process)."""
        script = ("import sys; from distributed import Client\n"
                  "with Client(sys.argv[1], timeout='30s') as client:\n"
                  "    client.wait_for_workers(int(sys.argv[2]), timeout=float(sys.argv[3]))\n")
        done = subprocess.run([sys.executable, "-c", script, self.address, str(count),
                               str(START_TIMEOUT)], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f"the Dask cluster did not get {count} workers: "
                        f"{done.stderr.strip()[-2000:]}\n{self.logs()}")

    def logs(self) -> str:
        return "\n".join(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}"
                         for path in sorted(self.directory.glob("*.log")))

    def stop(self) -> None:
        """Workers first, one at a time: a worker whose scheduler is gone keeps trying to
        reach it instead of exiting."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory):
    if importlib.util.find_spec("distributed") is None or not DASK.exists():
        pytest.fail("the cluster tests need Dask's scheduler and workers: "
                    "pip install -e '.[cluster]' (scripts/test.sh installs it)")
    directory = tmp_path_factory.mktemp("dask")
    scheduler_file = directory / "scheduler.json"
    log = (directory / "scheduler.log").open("wb")
    scheduler = subprocess.Popen(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--idle-timeout", "900",
         "--scheduler-file", str(scheduler_file)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    log.close()
    cluster = DaskCluster("", directory, [scheduler])
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if scheduler.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"`dask scheduler` did not start:\n{cluster.logs()}")
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written whole, but give it a moment
        cluster.address = json.loads(scheduler_file.read_text())["address"]
        cluster.start_worker("worker-1")
        cluster.start_worker("worker-2")
        cluster.wait_for_workers(2)
        yield cluster
    finally:
        cluster.stop()
