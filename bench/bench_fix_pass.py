"""What validating fixes costs (the second pass on the corrected annotation): this checkout
against a baseline commit, in one run, so that both see the same machine load.

    python bench/bench_fix_pass.py --baseline REV [--annotations 600] [--rounds 7]

Like bench_budget.py: the baseline's `src/` (and `schemas/`) is extracted (`git archive`) to a temporary
directory; each round starts one process per side, alternating which goes first. Each
process loads the vehicles ruleset (12 rules, the built-in pack, three rules with fixes)
and times two workloads of seeded image-box annotations (5-20 boxes each):

- fix-heavy: every annotation has a box leaving the image (cropped), a misspelt label
  (`car`, corrected) and a stray click (dropped): three corrections, so every annotation
  gets the second pass;
- as drawn: the boxes of bench_engine.py, where about one annotation in three needs a fix.

It prints the median time per annotation of each side and the ratio current / baseline
(1.00 = no cost), and the current side once more with the second pass running every rule
again instead of only those that read what a fix wrote. Not a test: figures go to stdout.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

from baseline import alternate

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))


def fix_heavy(rng: random.Random, task: dict) -> dict:
    """The task with three corrections to make in its annotation."""
    result = task["annotations"][0]["result"]
    result[0]["value"]["x"] = -2.0  # leaves the image: cropped
    result[1]["value"]["rectanglelabels"] = ["car"]  # an alias: relabelled
    stray = json.loads(json.dumps(result[2]))
    stray["id"] = f"{stray['id']}-stray"
    stray["value"].update(width=0.05, height=0.05, x=rng.uniform(0, 90))  # dropped
    result.append(stray)
    return task


def worker(annotations: int) -> None:
    """In a process whose PYTHONPATH picks the side: µs per annotation, per workload."""
    import lsrules
    from bench_engine import make_task

    rng = random.Random(20261202)
    drawn, heavy = [], []
    for task_id in range(1, annotations + 1):
        task = make_task(rng, task_id)
        drawn.append((task, task["annotations"][0]))
        task = fix_heavy(rng, make_task(rng, task_id))
        heavy.append((task, task["annotations"][0]))
    engine = lsrules.load(ROOT / "rulesets" / "vehicles.yaml")
    evaluate = engine.evaluate
    results = {}
    for name, items in {"fix-heavy (3 fixes each)": heavy, "as drawn": drawn}.items():
        fixed = sum(1 for task, annotation in items if evaluate(task, annotation).patch)
        results[name] = {"us": timed(evaluate, items), "corrected": fixed / len(items)}
        if hasattr(engine, "second_pass_shortcut"):  # without the read/write shortcut
            engine.second_pass_shortcut = False
            results[name]["us_every_rule"] = timed(evaluate, items)
            engine.second_pass_shortcut = True
    print(json.dumps({"lsrules": lsrules.__file__, "results": results}))


def timed(evaluate, items: list) -> float:
    """The median of three passes, µs per annotation."""
    passes = []
    for _ in range(3):
        started = time.perf_counter()
        for task, annotation in items:
            evaluate(task, annotation)
        passes.append((time.perf_counter() - started) / len(items) * 1e6)
    return statistics.median(passes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a commit without the second pass")
    parser.add_argument("--annotations", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.annotations)
        return
    if not args.baseline:
        parser.error("--baseline REV is required")
    runs = alternate(__file__, args.baseline, args.annotations, args.rounds)
    rounds = {name: [result["results"] for result in results]
              for name, results in runs.items()}
    print(f"baseline {args.baseline}, {args.annotations} annotations per workload, "
          f"{args.rounds} rounds (median of medians, µs per annotation)")
    for workload in rounds["baseline"][0]:
        before = statistics.median(found[workload]["us"] for found in rounds["baseline"])
        after = statistics.median(found[workload]["us"] for found in rounds["current"])
        every = statistics.median(found[workload]["us_every_rule"]
                                  for found in rounds["current"])
        corrected = rounds["current"][0][workload]["corrected"]
        print(f"  {workload:26} corrected {corrected:4.0%}  baseline {before:7.1f}  "
              f"current {after:7.1f}  ratio {after / before:.3f}  (every rule again: "
              f"{every:7.1f}, ratio {every / before:.3f})")


if __name__ == "__main__":
    main()
