"""What the compute budget costs on the engine's hot path, as a ratio measured in one run.

    python bench/bench_budget.py --in-process [--annotations 600] [--rounds 21] [--same]
    python bench/bench_budget.py --opcodes [--annotations 200]
    python bench/bench_budget.py --baseline REV [--annotations 600] [--rounds 7]

`--in-process` (the figure to quote on a shared machine): one process compiles the 25-rule
comparison ruleset (`bench/comparison/`) and the vehicles ruleset twice, with and without
the budget's charges, and alternates passes over the seeded workloads (image boxes,
sentiment, NER spans; vehicle boxes), so both sides see the same load; a pass is timed in
CPU time (`time.process_time`), which a busy machine disturbs less than wall time; `--same`
compiles both sides with the charges (an A/A run: the noise floor). `--baseline REV`:
this checkout against another commit's `src/` (and `schemas/`, which the package links to,
extracted with `git archive`), one process per side per round, alternating which goes
first; process-level noise on a busy machine is much larger than the budget's cost.
`--opcodes`: the Python bytecode instructions each annotation executes, with and without
the charges (`sys.settrace`): no noise at all, but an instruction is not a unit of time
(the budget's are cheap ones: local reads, integer arithmetic). The
ratio is with / without (current / baseline) of the medians, and in-process also the median of
each round's ratio: 1.00 = no cost. Not a test.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from baseline import alternate

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


def in_process(annotations: int, rounds: int, same: bool = False) -> None:
    """The checks alone, on a busy machine: one process, the same ruleset compiled with and
    without the budget's charges (`ExpressionGenerator.budget = None`), passes alternated.
    `same`: both sides with the charges."""
    import lsrules
    from lsrules.dsl.compiler.expressions import ExpressionGenerator

    workloads = _workloads(annotations)
    print(f"in one process: {annotations} annotations per workload, {rounds} rounds of one "
          f"pass each (median, CPU µs per annotation){'; A/A: both sides charged' if same else ''}")
    for name, (ruleset, items) in workloads.items():
        charged = lsrules.load(ruleset)
        ExpressionGenerator.budget = None if not same else "state"
        try:
            free = lsrules.load(ruleset)
        finally:
            ExpressionGenerator.budget = "state"
        assert (charged.source == free.source) is same
        times: dict[str, list[float]] = {"without": [], "with": []}
        engines = {"without": free.evaluate, "with": charged.evaluate}
        for number in range(rounds + 1):
            order = ["without", "with"] if number % 2 == 0 else ["with", "without"]
            for side_name in order:
                evaluate = engines[side_name]
                started = time.process_time()
                for task, annotation in items:
                    evaluate(task, annotation)
                if number:  # the first round warms up
                    times[side_name].append((time.process_time() - started)
                                            / len(items) * 1e6)
        before, after = statistics.median(times["without"]), statistics.median(times["with"])
        # each round's two passes ran back to back: their ratio is the least disturbed by a
        # load that changes during the run
        paired = statistics.median(w / o for w, o in zip(times["with"], times["without"]))
        print(f"  {name:36} without {before:7.1f}  with {after:7.1f}  "
              f"ratio {after / before:.3f}  (median of per-round ratios {paired:.3f})")


def opcodes(annotations: int) -> None:
    """Bytecode instructions per annotation, with and without the charges: deterministic."""
    workloads = _workloads(annotations)
    from lsrules.dsl.compiler.expressions import ExpressionGenerator
    import lsrules

    print(f"Python instructions per annotation ({annotations} annotations per workload)")
    for name, (ruleset, items) in workloads.items():
        counted = {}
        for side, budget in (("without", None), ("with", "state")):
            ExpressionGenerator.budget = budget
            try:
                engine = lsrules.load(ruleset)
            finally:
                ExpressionGenerator.budget = "state"
            for task, annotation in items:  # compiles the helpers a firing needs
                engine.evaluate(task, annotation)
            count = 0

            def tracer(frame, event, arg):
                nonlocal count
                if event == "call":
                    frame.f_trace_opcodes = True
                elif event == "opcode":
                    count += 1
                return tracer
            sys.settrace(tracer)
            try:
                for task, annotation in items:
                    engine.evaluate(task, annotation)
            finally:
                sys.settrace(None)
            counted[side] = count / len(items)
        print(f"  {name:36} without {counted['without']:8.0f}  with {counted['with']:8.0f}  "
              f"ratio {counted['with'] / counted['without']:.3f}")


def _workloads(annotations: int) -> dict:
    sys.path.insert(0, str(ROOT / "bench"))
    import random

    from bench_engine import make_task
    from comparison.workload import make_workload

    rng = random.Random(20261128)
    boxes = [(task, task["annotations"][0])
             for task in (make_task(rng, n) for n in range(1, annotations + 1))]
    return {
        "comparison (25 rules, 3 projects)": (ROOT / "bench" / "comparison" / "ruleset.yaml",
                                              make_workload(annotations)),
        "vehicles (image boxes)": (ROOT / "rulesets" / "vehicles.yaml", boxes),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", help="a commit without the budget (e.g. 8135bcf)")
    parser.add_argument("--annotations", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--in-process", action="store_true",
                        help="the budget's checks alone: with and without, in one process")
    parser.add_argument("--opcodes", action="store_true",
                        help="count bytecode instructions per annotation (no timing)")
    parser.add_argument("--same", action="store_true",
                        help="with --in-process: both sides with the charges (the noise floor)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.annotations)
        return
    if args.in_process:
        in_process(args.annotations, args.rounds, args.same)
        return
    if args.opcodes:
        opcodes(args.annotations)
        return
    if not args.baseline:
        parser.error("--baseline REV is required")
    runs = alternate(__file__, args.baseline, args.annotations, args.rounds)
    rounds = {name: [result["us"] for result in results]
              for name, results in runs.items()}
    print(f"baseline {args.baseline}, {args.annotations} annotations per workload, "
          f"{args.rounds} rounds (median of medians, µs per annotation)")
    for workload in rounds["baseline"][0]:
        before = statistics.median(found[workload] for found in rounds["baseline"])
        after = statistics.median(found[workload] for found in rounds["current"])
        print(f"  {workload:36} baseline {before:7.1f}  current {after:7.1f}  "
              f"ratio {after / before:.3f}")


if __name__ == "__main__":
    main()
