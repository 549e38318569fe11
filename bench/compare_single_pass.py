"""lsrules against a single-pass hand-written evaluator of the same rules, on small
annotations with frequent fixes (boxes, spans, choices; no pack).

    python bench/compare_single_pass.py [--annotations 2000] [--rounds 7] [--run-annotations 20000] [--split] [--profile]
    python bench/compare_single_pass.py --baseline REV [--annotations 2000] [--rounds 7] [--run-annotations 20000]

Needs only the project's own venv. First checks, on every annotation of every workload,
that lsrules and the reference (bench/comparison/single_pass.py) give the same findings
(rule, severity, message, region, fixed, introduced_by_fix), fired rules, patch, route and
verdict, and stops if not. Then:

- engine only (the JSON is loaded before timing): CPU time (time.process_time) of one pass
  over the workload, lsrules and the reference alternating, best of --rounds; the ratio is
  reference / lsrules time, i.e. lsrules' speed as a fraction of the reference's;
- end to end: `lsrules run` (one job) against bench/comparison/single_pass_script.py on
  the same JSON export, each a fresh process, CPU time of the child (user + system), best
  of --rounds, alternating.

With `--baseline REV`, the same comparison before and after a change, in one run: the
baseline's `src/` is extracted (bench/baseline.py) and each round runs one process per side
(baseline, this checkout; alternating), each timing lsrules and the reference on every
workload once; end to end, `lsrules run` of both sides and the script alternate. Each
side's ratio uses the reference timed beside it.

CPU time, not wall time, because the machine may be shared; the load average is printed
with the figures. Not a test: figures go to stdout.
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import lsrules  # noqa: E402
from comparison.single_pass import EVALUATORS, disagreements  # noqa: E402
from comparison.single_workload import make_workload  # noqa: E402

SHAPES = ("boxes", "spans", "choices")
RULESETS = {shape: BENCH / "comparison" / "single" / f"{shape}.yaml" for shape in SHAPES}
SCRIPT = BENCH / "comparison" / "single_pass_script.py"


def agree(workloads: dict, engines: dict) -> None:
    for shape, items in workloads.items():
        problems = disagreements(engines[shape], EVALUATORS[shape], items)
        if problems:
            sys.exit(f"{shape}: lsrules and the reference disagree on {len(problems)} "
                     "annotations:\n" + "\n".join(problems[:5]))
        decisions = [engines[shape].evaluate(task, annotation) for task, annotation in items]
        fixed = sum(1 for decision in decisions if decision.patch)
        introduced = sum(1 for decision in decisions
                         if any(f.introduced_by_fix for f in decision.findings))
        unrepaired = sum(1 for decision in decisions if decision.patch and any(
            f.severity == "error" and not f.fixed and not f.introduced_by_fix
            for f in decision.findings))
        verdicts: dict = {}
        for decision in decisions:
            verdicts[decision.verdict] = verdicts.get(decision.verdict, 0) + 1
        print(f"  {shape:8} agree on {len(items)}: a fix on {fixed / len(items):.0%}, "
              f"a finding introduced by a fix on {introduced}, an error still standing in a "
              f"corrected annotation on {unrepaired}; verdicts {dict(sorted(verdicts.items()))}")


def one_pass(evaluate, items) -> float:
    started = time.process_time()
    for task, annotation in items:
        evaluate(task, annotation)
    return time.process_time() - started


def best_of(contenders: dict, rounds: int) -> dict:
    """Best (least) CPU seconds of each contender, alternating within every round."""
    best = {name: float("inf") for name in contenders}
    names = list(contenders)
    for round_number in range(rounds):
        order = names if round_number % 2 == 0 else names[::-1]
        for name in order:
            gc.collect()
            best[name] = min(best[name], contenders[name]())
    return best


def engine_only(workloads: dict, engines: dict, rounds: int) -> dict:
    rows = {}
    for shape, items in workloads.items():
        evaluate, reference = engines[shape].evaluate, EVALUATORS[shape]
        one_pass(evaluate, items[:200])
        one_pass(reference, items[:200])
        best = best_of({"lsrules": lambda: one_pass(evaluate, items),
                        "reference": lambda: one_pass(reference, items)}, rounds)
        rows[shape] = {name: seconds / len(items) * 1e6 for name, seconds in best.items()}
    return rows


def by_fix(workloads: dict, engines: dict, rounds: int) -> None:
    """The engine-only comparison again, on the annotations with a fix and on the rest."""
    print(f"\nengine only, split by whether the decision has a patch, µs CPU, best of {rounds}")
    for shape, items in workloads.items():
        engine = engines[shape]
        with_fix = [(t, a) for t, a in items if engine.evaluate(t, a).patch]
        without = [(t, a) for t, a in items if not engine.evaluate(t, a).patch]
        for name, part in (("with a fix", with_fix), ("no fix", without)):
            row = engine_only({shape: part}, engines, rounds)[shape]
            print(f"  {shape:8} {name:11} {len(part):5} annotations: lsrules "
                  f"{row['lsrules']:6.1f}  reference {row['reference']:5.1f}  ratio "
                  f"{row['reference'] / row['lsrules']:.2f}")


def child_cpu(command: list[str], environment: dict | None = None) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=environment)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def end_to_end(shape: str, count: int, rounds: int, directory: Path,
               sources: dict | None = None) -> dict:
    """CPU seconds of `lsrules run` (per source tree in `sources`, else the one imported
    here: "lsrules run") and of the script, best of `rounds`, alternating."""
    export = directory / f"{shape}.json"
    export.write_text(json.dumps([task for task, _ in make_workload(shape, count, seed=16)]))
    script_out = directory / f"{shape}.hand.jsonl"
    script = [sys.executable, str(SCRIPT), shape, str(export), str(script_out)]
    contenders = {}
    outputs = []
    for name, source in (sources or {"lsrules run": None}).items():
        output = directory / f"{shape}.{name.replace(' ', '-')}.jsonl"
        outputs.append(output)
        run = [sys.executable, "-c", "import sys; from lsrules.cli import main; sys.exit(main())",
               "run", str(RULESETS[shape]), "--input", str(export), "--output", str(output),
               "--jobs", "1", "--no-progress", "--quiet", "--fail-on", "never"]
        environment = None if source is None else dict(
            os.environ, PYTHONPATH=str(source), LSRULES_NO_CACHE="1")
        contenders[name] = lambda run=run, environment=environment: child_cpu(run, environment)
    contenders["script"] = lambda: child_cpu(script)
    best = best_of(contenders, rounds)
    for output in outputs:
        same_content(output, script_out, shape)
    return {**best, "annotations": count}


def same_content(lsrules_out: Path, script_out: Path, shape: str) -> None:
    """The two outputs carry the same decisions (findings and patch compared sorted)."""
    def content(record: dict) -> tuple:
        return (record["task_id"], record["annotation_id"], record["verdict"],
                sorted(json.dumps(f, sort_keys=True) for f in record["findings"]),
                sorted(json.dumps(op, sort_keys=True) for op in record["patch"]),
                record["route"])
    with open(lsrules_out) as mine, open(script_out) as theirs:
        left = [content(json.loads(line)) for line in mine]
        right = [content(json.loads(line)) for line in theirs]
    if left != right:
        sys.exit(f"{shape}: lsrules run and the script wrote different decisions")


def profile(items, engine) -> None:
    profiler = cProfile.Profile()
    evaluate = engine.evaluate
    profiler.enable()
    for task, annotation in items:
        evaluate(task, annotation)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime").print_stats(18)
    print(f"cProfile of lsrules on {len(items)} box annotations (tottime):")
    print("\n".join(stream.getvalue().splitlines()[:45]))


def worker(count: int) -> None:
    """One side of `--baseline`: each workload timed once (lsrules, reference), after a
    warm-up and the agreement check; JSON on the last line."""
    workloads = {shape: make_workload(shape, count) for shape in SHAPES}
    engines = {shape: lsrules.load(str(RULESETS[shape])) for shape in SHAPES}
    rows = {}
    for shape, items in workloads.items():
        problems = disagreements(engines[shape], EVALUATORS[shape], items)
        if problems:
            sys.exit(f"{shape}: {lsrules.__file__} and the reference disagree")
        rows[shape] = engine_only({shape: items}, engines, 1)[shape]
    print(json.dumps({"lsrules": lsrules.__file__, "rows": rows}))


def before_and_after(args) -> None:
    from baseline import extract, side

    print(f"load average {os.getloadavg()} at the start")
    best: dict = {side_name: {} for side_name in ("baseline", "current")}
    with tempfile.TemporaryDirectory() as temporary:
        sources = {"baseline": extract(args.baseline, Path(temporary)),
                   "current": BENCH.parent / "src"}
        for number in range(args.rounds):
            order = ["baseline", "current"] if number % 2 == 0 else ["current", "baseline"]
            for name in order:
                found = side(__file__, sources[name], args.annotations)["rows"]
                for shape, row in found.items():
                    kept = best[name].setdefault(shape, {"lsrules": float("inf"),
                                                         "reference": float("inf")})
                    for key in kept:
                        kept[key] = min(kept[key], row[key])
        print(f"\nengine only, µs CPU per annotation, {args.annotations} per workload, best of "
              f"{args.rounds} processes per side (ratio = reference / lsrules, each side's "
              "reference timed in its own processes)")
        print(f"  {'workload':10} {'before':>7} {'after':>7} {'reference':>10} "
              f"{'ratio before':>13} {'ratio after':>12}")
        totals = {"baseline": [0.0, 0.0], "current": [0.0, 0.0]}
        for shape in SHAPES:
            before, after = best["baseline"][shape], best["current"][shape]
            for name, row in (("baseline", before), ("current", after)):
                totals[name][0] += row["lsrules"]
                totals[name][1] += row["reference"]
            print(f"  {shape:10} {before['lsrules']:7.1f} {after['lsrules']:7.1f} "
                  f"{after['reference']:10.1f} {before['reference'] / before['lsrules']:13.2f} "
                  f"{after['reference'] / after['lsrules']:12.2f}")
        print(f"  {'overall':10} {totals['baseline'][0]:7.1f} {totals['current'][0]:7.1f} "
              f"{totals['current'][1]:10.1f} {totals['baseline'][1] / totals['baseline'][0]:13.2f} "
              f"{totals['current'][1] / totals['current'][0]:12.2f}")
        if args.run_annotations:
            print(f"\nend to end, CPU seconds of the process, best of {args.rounds}, "
                  f"{args.run_annotations} annotations per export")
            print(f"  {'workload':10} {'run before':>10} {'run after':>10} {'script':>7} "
                  f"{'ratio before':>13} {'ratio after':>12}")
            for shape in SHAPES:
                row = end_to_end(shape, args.run_annotations, args.rounds, Path(temporary),
                                 sources)
                print(f"  {shape:10} {row['baseline']:10.2f} {row['current']:10.2f} "
                      f"{row['script']:7.2f} {row['script'] / row['baseline']:13.2f} "
                      f"{row['script'] / row['current']:12.2f}")
    print(f"load average {os.getloadavg()} at the end")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=2000, help="per workload, engine only")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--run-annotations", type=int, default=20000,
                        help="per export, end to end (0: skip)")
    parser.add_argument("--split", action="store_true",
                        help="also time annotations with and without a fix apart")
    parser.add_argument("--profile", action="store_true", help="cProfile the box workload")
    parser.add_argument("--baseline", help="a commit to compare this checkout with, in one run")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.annotations)
        return
    if args.baseline:
        before_and_after(args)
        return
    print(f"lsrules {lsrules.__file__}; load average {os.getloadavg()} at the start")
    workloads = {shape: make_workload(shape, args.annotations) for shape in SHAPES}
    engines = {shape: lsrules.load(str(RULESETS[shape])) for shape in SHAPES}
    print("agreement:")
    agree(workloads, engines)
    rows = engine_only(workloads, engines, args.rounds)
    print(f"\nengine only, µs CPU per annotation, best of {args.rounds} "
          "(ratio = reference / lsrules: 1.00 is as fast as the reference)")
    print(f"  {'workload':10} {'lsrules':>8} {'reference':>10} {'ratio':>6}")
    for shape, row in rows.items():
        print(f"  {shape:10} {row['lsrules']:8.1f} {row['reference']:10.1f} "
              f"{row['reference'] / row['lsrules']:6.2f}")
    total_lsrules = sum(row["lsrules"] for row in rows.values())
    total_reference = sum(row["reference"] for row in rows.values())
    print(f"  {'overall':10} {total_lsrules:8.1f} {total_reference:10.1f} "
          f"{total_reference / total_lsrules:6.2f}   (all three workloads, same count each)")
    if args.split:
        by_fix(workloads, engines, args.rounds)
    if args.run_annotations:
        print(f"\nend to end, CPU seconds of the process, best of {args.rounds}, "
              f"{args.run_annotations} annotations per export")
        print(f"  {'workload':10} {'lsrules run':>11} {'script':>7} {'ratio':>6}")
        with tempfile.TemporaryDirectory() as directory:
            for shape in SHAPES:
                row = end_to_end(shape, args.run_annotations, args.rounds, Path(directory))
                print(f"  {shape:10} {row['lsrules run']:11.2f} {row['script']:7.2f} "
                      f"{row['script'] / row['lsrules run']:6.2f}")
    print(f"load average {os.getloadavg()} at the end")
    if args.profile:
        profile(workloads["boxes"], engines["boxes"])


if __name__ == "__main__":
    main()
