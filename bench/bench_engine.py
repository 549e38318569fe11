"""Engine and `lsrules run` throughput on a generated image-box export (issue 3 figures).

    python bench/bench_engine.py [--annotations 1000000] [--ruleset rulesets/vehicles.yaml]

Generates (seeded) an export of image-box annotations with 5 to 20 boxes each, as JSON and
JSONL, then measures: annotations/s of `Engine.evaluate` alone (in memory), and of
`lsrules run` end to end with --jobs 1 and --jobs 2 on both files, with each run's peak
memory (max RSS of the process tree). Not a test: timings go to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LABELS = ["Car", "Truck", "Bus", "Motorcycle", "Pedestrian"]


def make_task(random_: random.Random, task_id: int) -> dict:
    result = []
    for index in range(random_.randint(5, 20)):
        x, y = random_.uniform(0, 75), random_.uniform(0, 75)
        label = random_.choice(LABELS)
        if random_.random() < 0.02:
            x = -random_.uniform(0.5, 5)
        if random_.random() < 0.01:
            label = "car"
        result.append({"id": f"{task_id}-{index}", "from_name": "label", "to_name": "image",
                       "type": "rectanglelabels", "original_width": 1920,
                       "original_height": 1080, "image_rotation": 0,
                       "value": {"x": round(x, 2), "y": round(y, 2),
                                 "width": round(random_.uniform(1, 24), 2),
                                 "height": round(random_.uniform(1, 24), 2), "rotation": 0,
                                 "rectanglelabels": [label]}})
    return {"id": task_id, "data": {"image": f"/data/upload/7/frame-{task_id:07d}.jpg"},
            "meta": {}, "project": 7,
            "annotations": [{"id": task_id * 10, "completed_by": 1 + task_id % 40,
                             "result": result, "was_cancelled": False, "ground_truth": False,
                             "lead_time": round(random_.uniform(1, 90), 1),
                             "created_at": "2026-11-20T10:00:00.000000Z", "task": task_id,
                             "project": 7}],
            "predictions": []}


def write_exports(directory: Path, count: int) -> tuple[Path, Path]:
    random_ = random.Random(20261128)
    json_path, jsonl_path = directory / "export.json", directory / "export.jsonl"
    with open(json_path, "w") as json_file, open(jsonl_path, "w") as jsonl_file:
        json_file.write("[\n")
        for task_id in range(1, count + 1):
            line = json.dumps(make_task(random_, task_id), separators=(",", ":"))
            json_file.write(line + (",\n" if task_id < count else "\n"))
            jsonl_file.write(line + "\n")
        json_file.write("]\n")
    return json_path, jsonl_path


def engine_alone(ruleset: str, sample: int) -> float:
    import lsrules

    engine = lsrules.load(ruleset)
    random_ = random.Random(1)
    tasks = [make_task(random_, task_id) for task_id in range(1, sample + 1)]
    items = [(task, task["annotations"][0]) for task in tasks]
    for task, annotation in items[:1000]:
        engine.evaluate(task, annotation)
    started = time.perf_counter()
    for task, annotation in items:
        engine.evaluate(task, annotation)
    return sample / (time.perf_counter() - started)


def run_end_to_end(ruleset: str, export: Path, jobs: int, output: Path
                   ) -> tuple[float, float, float]:
    """Wall seconds, peak RSS of the main process (MB), and CPU seconds of the whole process
    tree (the workers are reaped by the main process, so wait4 counts them): on a loaded
    machine the CPU time still shows what --jobs costs in pickling and copying."""
    command = [sys.executable, "-m", "lsrules.cli", "run", ruleset, "--input", str(export),
               "--output", str(output), "--jobs", str(jobs), "--fail-on", "never",
               "--no-progress"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    stderr = process.stderr.read().decode()
    if status != 0:
        raise SystemExit(f"lsrules run failed: {stderr}")
    cpu = usage.ru_utime + usage.ru_stime
    return elapsed, max(usage.ru_maxrss, 0) / 1024, cpu  # MB (Linux reports KiB)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--annotations", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000, help="for the engine alone")
    parser.add_argument("--ruleset", default="rulesets/vehicles.yaml")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    rate = engine_alone(args.ruleset, args.sample)
    print(f"Engine.evaluate alone ({args.ruleset}, {args.sample} annotations, 5-20 boxes): "
          f"{rate:,.0f} annotations/s")
    with tempfile.TemporaryDirectory() as directory:
        directory = Path(directory)
        started = time.perf_counter()
        json_path, jsonl_path = write_exports(directory, args.annotations)
        print(f"generated {args.annotations:,} annotations in {time.perf_counter() - started:.0f} s "
              f"({json_path.stat().st_size / 1e6:,.0f} MB JSON)")
        results = {}
        for export in (json_path, jsonl_path):
            for jobs in (1, 2):
                elapsed, peak, cpu = run_end_to_end(args.ruleset, export, jobs,
                                                    directory / "out.jsonl")
                results[(export.suffix, jobs)] = elapsed
                print(f"lsrules run {export.name} --jobs {jobs}: {args.annotations / elapsed:,.0f} "
                      f"annotations/s, peak RSS of the main process {peak:,.0f} MB, CPU "
                      f"{1e6 * cpu / args.annotations:,.0f} µs per annotation (all processes)")
        for suffix in (".json", ".jsonl"):
            print(f"--jobs 2 speed-up on {suffix}: {results[(suffix, 1)] / results[(suffix, 2)]:.2f}x")


if __name__ == "__main__":
    main()
