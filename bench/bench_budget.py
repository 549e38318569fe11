"""What the compute budget costs on the engine's hot path: this checkout against a baseline
commit, in one run, so that both see the same machine load.

    python bench/bench_budget.py --baseline REV [--annotations 600] [--rounds 7]

The baseline's `src/` is extracted (`git archive`) to a temporary directory. Each round
starts one process per side, alternating which goes first; each process loads the 25-rule
comparison ruleset (`bench/comparison/`) and the vehicles ruleset, evaluates the seeded
workloads (image boxes, sentiment, NER spans; vehicle boxes) once to warm up and then three
times, and prints the median time per annotation. The ratio is current / baseline of the
medians over rounds (1.00 = no cost). Not a test: figures go to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(annotations: int) -> None:
    """In a process whose PYTHONPATH picks the side: µs per annotation, per workload."""
    sys.path.insert(0, str(ROOT / "bench"))
    import lsrules
    from bench_engine import make_task
    from comparison.workload import make_workload
    import random

    mixed = make_workload(annotations)
    rng = random.Random(20261128)
    boxes = []
    for task_id in range(1, annotations + 1):
        task = make_task(rng, task_id)
        boxes.append((task, task["annotations"][0]))
    workloads = {
        "comparison (25 rules, 3 projects)": (ROOT / "bench" / "comparison" / "ruleset.yaml", mixed),
        "vehicles (image boxes)": (ROOT / "rulesets" / "vehicles.yaml", boxes),
    }
    results = {}
    for name, (ruleset, items) in workloads.items():
        engine = lsrules.load(ruleset)
        evaluate = engine.evaluate
        for task, annotation in items:  # warm-up
            evaluate(task, annotation)
        passes = []
        for _ in range(3):
            started = time.perf_counter()
            for task, annotation in items:
                evaluate(task, annotation)
            passes.append((time.perf_counter() - started) / len(items) * 1e6)
        results[name] = statistics.median(passes)
    print(json.dumps({"lsrules": lsrules.__file__, "us": results}))


def extract(revision: str, directory: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "src"],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(directory, filter="data")
    return directory / "src"


def side(source: Path, annotations: int) -> dict:
    environment = dict(os.environ, PYTHONPATH=str(source), LSRULES_NO_CACHE="1")
    output = subprocess.run([sys.executable, __file__, "--worker", "--annotations",
                             str(annotations)], env=environment, check=True,
                            capture_output=True, text=True).stdout
    found = json.loads(output.splitlines()[-1])
    assert found["lsrules"].startswith(str(source)), found["lsrules"]
    return found["us"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a commit without the budget (e.g. 8135bcf)")
    parser.add_argument("--annotations", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.annotations)
        return
    if not args.baseline:
        parser.error("--baseline REV is required")
    with tempfile.TemporaryDirectory() as temporary:
        sources = {"baseline": extract(args.baseline, Path(temporary)), "current": ROOT / "src"}
        rounds: dict[str, list[dict]] = {"baseline": [], "current": []}
        for number in range(args.rounds):
            order = ["baseline", "current"] if number % 2 == 0 else ["current", "baseline"]
            for name in order:
                rounds[name].append(side(sources[name], args.annotations))
    print(f"baseline {args.baseline}, {args.annotations} annotations per workload, "
          f"{args.rounds} rounds (median of medians, µs per annotation)")
    for workload in rounds["baseline"][0]:
        before = statistics.median(found[workload] for found in rounds["baseline"])
        after = statistics.median(found[workload] for found in rounds["current"])
        print(f"  {workload:36} baseline {before:7.1f}  current {after:7.1f}  "
              f"ratio {after / before:.3f}")


if __name__ == "__main__":
    main()
