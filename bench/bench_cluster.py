"""`lsrules run --cluster` with 2 workers vs 1, Dask's overhead per task, and a paper estimate.

    python bench/bench_cluster.py [--annotations 200000] [--shards 8] [--repeat 3]

Generates (seeded, with bench_engine's generator: image boxes, 5-20 per annotation) a
JSONL export cut into shards, starts two real Dask clusters on 127.0.0.1 (`dask scheduler`
with one `dask worker`, and another with two; one thread each), then runs
`lsrules run rulesets/vehicles.yaml --input 'shards/*.jsonl' --cluster tcp://...` on each,
alternating, `--repeat` times. Prints the wall time of every run, the median speed-up of
2 workers over 1, the driver's CPU time per annotation (the part that does not spread),
the scheduler's round trip per task (2,000 empty tasks), and from these an estimate of
100 million annotations on 64 workers. The machine is shared: the load average is printed
with the figures. Not a test: figures go to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from bench_engine import make_task  # noqa: E402

RULESET = ROOT / "rulesets" / "vehicles.yaml"
DASK = Path(sys.executable).parent / "dask"


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def write_shards(directory: Path, annotations: int, shards: int) -> int:
    import random

    random_ = random.Random(20261128)
    size = -(-annotations // shards)
    total = 0
    for shard in range(shards):
        with open(directory / f"part-{shard:03d}.jsonl", "w") as stream:
            for task_id in range(shard * size + 1, min((shard + 1) * size, annotations) + 1):
                line = json.dumps(make_task(random_, task_id), separators=(",", ":")) + "\n"
                stream.write(line)
                total += len(line)
    return total


class Cluster:
    """A scheduler and `workers` worker processes (one thread each, no nanny)."""

    def __init__(self, directory: Path, workers: int):
        directory.mkdir()
        scheduler_file = directory / "scheduler.json"
        self.processes = [subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--idle-timeout", "900", "--scheduler-file", str(scheduler_file)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for number in range(workers):
            self.processes.append(subprocess.Popen(
                [str(DASK), "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1",
                 "--no-nanny", "--no-dashboard", "--memory-limit", "0", "--death-timeout", "60",
                 "--local-directory", str(directory / f"worker-{number}")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=120)

    def stop(self) -> None:
        """Workers first: a worker whose scheduler is gone keeps trying to reach it."""
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def timed_run(pattern: str, address: str, output: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the lsrules process: the driver)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lsrules.cli", "run", str(RULESET), "--input", pattern,
                    "--output", str(output), "--cluster", address, "--fail-on", "never",
                    "--no-progress"], check=True, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def task_overhead(address: str, count: int = 2000) -> float:
    """Seconds per empty task, submitted together and gathered (the scheduler's share)."""
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.gather(client.map(int, range(100), pure=False))  # warm
        started = time.perf_counter()
        client.gather(client.map(int, range(count), pure=False))
        return (time.perf_counter() - started) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=200_000)
    parser.add_argument("--shards", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average at start: {load()} (nproc {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        shards = directory / "shards"
        shards.mkdir()
        size = write_shards(shards, args.annotations, args.shards)
        print(f"export: {args.annotations} annotations (5-20 boxes each) in {args.shards} JSONL "
              f"shards, {size / 1e6:.0f} MB")
        pattern = str(shards / "*.jsonl")
        clusters = {1: Cluster(directory / "one", 1), 2: Cluster(directory / "two", 2)}
        try:
            walls: dict[int, list[float]] = {1: [], 2: []}
            drivers: list[float] = []
            outputs = {}
            for repetition in range(args.repeat):
                for workers in (1, 2) if repetition % 2 == 0 else (2, 1):
                    output = directory / f"decisions-{workers}.jsonl"
                    wall, driver = timed_run(pattern, clusters[workers].address, output)
                    walls[workers].append(wall)
                    drivers.append(driver)
                    outputs[workers] = output
                    print(f"  run {repetition + 1}, {workers} worker(s): {wall:6.1f} s wall, "
                          f"driver CPU {driver:5.1f} s, load {load()}")
            same = outputs[1].read_bytes().count(b"\n") == outputs[2].read_bytes().count(b"\n")
            overhead = task_overhead(clusters[2].address)
        finally:
            for cluster in clusters.values():
                cluster.stop()
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    per_annotation = one / args.annotations  # one worker: evaluation plus everything else
    driver = statistics.median(drivers) / args.annotations
    print(f"median wall: 1 worker {one:.1f} s, 2 workers {two:.1f} s: speed-up {one / two:.2f}x "
          f"(same number of records: {same})")
    print(f"per annotation: {per_annotation * 1e6:.0f} us with one worker (end to end); "
          f"driver CPU {driver * 1e6:.1f} us")
    print(f"scheduler round trip per task: {overhead * 1e3:.2f} ms (2,000 empty tasks, 2 workers)")
    estimate(per_annotation, driver, overhead)
    print(f"load average at end: {load()}")


def estimate(per_annotation: float, driver: float, overhead: float) -> None:
    """100 million annotations on 64 workers, on paper: the workers' share, the driver's
    (which does not spread: it writes every record), and the scheduler's (per task)."""
    annotations, workers = 100_000_000, 64
    blocks = workers * 8  # BLOCKS_PER_WORKER: 512 blocks of about 195,000 annotations
    work = annotations * per_annotation / workers
    writing = annotations * driver
    scheduling = blocks * overhead
    total = max(work, writing) + scheduling
    print(f"estimate, 100M annotations on 64 workers: workers {work / 60:.0f} min, driver "
          f"{writing / 60:.0f} min (in parallel with them), scheduler {scheduling:.1f} s for "
          f"{blocks} blocks: about {total / 60:.0f} min, bound by the "
          f"{'driver' if writing > work else 'workers'}")


if __name__ == "__main__":
    main()
