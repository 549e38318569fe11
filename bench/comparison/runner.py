"""bench/compare.py's work: agreement first, then timing, load time, memory, profile."""
from __future__ import annotations

import cProfile
import gc
import importlib
import io
import os
import platform
import pstats
import re
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from comparison import meta
from comparison.hand import HandWritten
from comparison.lsrules_contender import Lsrules
from comparison.workload import make_workload

# (module, class, sample size, repetitions) per peer; the slow peers run on the first
# annotations of the workload (projects interleaved) and lsrules and hand-written are
# timed again on exactly that sample and rule subset, so every ratio is like for like
PEERS = [
    ("durable_contender", "Durable", None, None),
    ("jsonlogic_contender", "JsonLogic", 150, None),
    ("ruleengine_contender", "RuleEngine", 24, 3),
    ("jsonschema_contender", "JsonSchema", None, None),
]
PROJECTS = ("boxes", "sentiment", "ner")


def project_of(task: dict) -> str:
    data = task["data"]
    return "boxes" if "image" in data else ("sentiment" if "review" in data else "ner")


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} cores (nproc), {model}, Python {platform.python_version()} "
            f"({platform.python_implementation()}), {platform.system()} {platform.release()}")


def load_peers(names=None) -> list:
    peers = []
    for module_name, class_name, sample, reps in PEERS:
        if names and module_name.split("_")[0] not in names:
            continue
        try:
            module = importlib.import_module(f"comparison.{module_name}")
        except ImportError as error:
            print(f"skipping {module_name}: {error} (pip install -r bench/requirements-compare.txt)")
            continue
        peers.append((module, getattr(module, class_name), sample, reps))
    return peers


# -- agreement ------------------------------------------------------------------------------
def agreement(workload, contender, reference) -> list[str]:
    """Differences between a contender and the hand-written reference on every annotation."""
    problems = []
    for task, annotation in workload:
        mine = contender.normalize(contender.evaluate(task, annotation), task, annotation)
        theirs = reference.normalize(reference.evaluate(task, annotation), task, annotation)
        if mine != theirs:
            extra = sorted(set(mine[0]) - set(theirs[0]), key=repr)
            missing = sorted(set(theirs[0]) - set(mine[0]), key=repr)
            problems.append(f"task {task['id']}: {contender.name} adds {extra}, misses "
                            f"{missing}; route/verdict/fixes {mine[1:]} vs {theirs[1:]}")
    return problems


# -- timing ---------------------------------------------------------------------------------
def time_pass(evaluate, items) -> float:
    started = time.perf_counter()
    for task, annotation in items:
        evaluate(task, annotation)
    return time.perf_counter() - started


def alternate(contenders: dict, items, reps: int) -> dict:
    """Median seconds per annotation of each contender; contenders alternate within each
    repetition (order rotated every repetition), after one warm-up pass each."""
    names = list(contenders)
    for name in names:
        time_pass(contenders[name], items[: max(1, len(items) // 10)])
    times: dict = {name: [] for name in names}
    for rep in range(reps):
        order = names[rep % len(names):] + names[: rep % len(names)]
        for name in order:
            gc.collect()
            times[name].append(time_pass(contenders[name], items) / len(items))
    return {name: statistics.median(values) for name, values in times.items()}


# -- load time and memory --------------------------------------------------------------------
def varied_ruleset(copies: int) -> str:
    """ruleset.yaml with every rule repeated `copies` times: ids suffixed, numbers nudged
    (so no two copies compile to the same code)."""
    text = meta.RULESET_PATH.read_text()
    head, rules = text.split("\nrules:\n", 1)
    blocks = re.split(r"\n(?=  - id: )", rules.split("\n  # -- the fix")[0])
    blocks = [block for block in blocks if block.strip().startswith("- id:")
              or block.lstrip().startswith("- id:")]
    fix = "  - id:" + rules.split("\n  # -- the fix, last ---")[1].split("  - id:", 1)[1]
    out = []
    for copy in range(copies):
        for block in blocks + [fix]:
            block = "\n".join(line for line in block.splitlines()
                              if not line.lstrip().startswith("# --"))
            if copy:
                block = re.sub(r"(?<![\w.-])(\d+\.\d+|\d{2,})(?![\w.])",
                               lambda found: _nudge(found.group(1), copy), block)
            block = re.sub(r"- id: (\S+)", lambda found: f"- id: {found.group(1)}-{copy}", block)
            out.append(block.rstrip("\n"))
    return head + "\nrules:\n" + "\n\n".join(out) + "\n"


def _nudge(number: str, copy: int) -> str:
    if "." in number:
        return repr(round(float(number) * (1 + copy / 1000), 6))
    return str(int(number) + copy)


def load_times(reps: int) -> dict:
    """lsrules.load (YAML, checks, codegen, compile) for 25 and 500 rules: median seconds,
    plus traced memory held by one loaded engine."""
    import lsrules

    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for copies in (1, 20):
            path = Path(directory) / f"rules-{copies}.yaml"
            path.write_text(varied_ruleset(copies))
            engine = lsrules.load(str(path))  # warms Lark's table cache and imports
            rule_count = len(engine.rules)
            samples = []
            for _ in range(reps):
                gc.collect()
                started = time.perf_counter()
                lsrules.load(str(path))
                samples.append(time.perf_counter() - started)
            del engine
            gc.collect()
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            engine = lsrules.load(str(path))
            held = tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            # the rare-path helpers (messages, fixes, re-checks) compile on first use:
            # memory once every rule has fired at least once is the upper bound
            tracemalloc.start()
            before = tracemalloc.get_traced_memory()[0]
            for name in list(engine.namespace.helpers):
                engine.namespace[f"check_{name}"]
            held_all = held + tracemalloc.get_traced_memory()[0] - before
            tracemalloc.stop()
            results[rule_count] = {"load_s": statistics.median(samples), "memory_bytes": held,
                                   "memory_all_helpers_bytes": held_all}
    return results


def peer_load(peer_class, rule_ids=None) -> dict:
    gc.collect()
    started = time.perf_counter()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    contender = peer_class(rule_ids)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    elapsed = time.perf_counter() - started  # includes tracemalloc's overhead: an upper bound
    del contender
    return {"load_s": elapsed, "memory_bytes": held}


def per_rule(workload, reps: int) -> list:
    """Each rule alone: lsrules (a one-rule ruleset) vs its hand-written function. The
    per-annotation floor (regions, Evaluation, Decision) is in every lsrules figure, so
    the first row times a rule that never applies."""
    rows = []
    floor = {"lsrules": Lsrules(["rushed"]).evaluate, "hand": HandWritten(["rushed"]).evaluate}
    empty = [(task, annotation) for task, annotation in workload if "image" not in task["data"]]
    medians = alternate(floor, empty, reps)
    rows.append(("(floor: a rule that never applies)", medians))
    for rule_id in meta.RULE_IDS:
        contenders = {"lsrules": Lsrules([rule_id]).evaluate,
                      "hand": HandWritten([rule_id]).evaluate}
        rows.append((rule_id, alternate(contenders, workload, reps)))
    print("\n## each rule alone (median µs per annotation over the whole workload)")
    print("| rule | lsrules µs | hand-written µs | lsrules - hand µs | speed vs hand |")
    print("|---|---|---|---|---|")
    for rule_id, medians in rows:
        ls, hand = medians["lsrules"], medians["hand"]
        print(f"| {rule_id} | {ls * 1e6:,.1f} | {hand * 1e6:,.1f} | {(ls - hand) * 1e6:,.1f} | "
              f"{hand / ls:.2f}x |")
    return rows


# -- profile ----------------------------------------------------------------------------------
def profile_lsrules(workload, top: int = 25) -> str:
    contender = Lsrules()
    evaluate = contender.evaluate
    for task, annotation in workload[:50]:
        evaluate(task, annotation)
    profiler = cProfile.Profile()
    profiler.enable()
    for task, annotation in workload:
        evaluate(task, annotation)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# -- the run --------------------------------------------------------------------------------
def run(quick: bool = False, annotations: int | None = None, reps: int | None = None,
        only: list | None = None, profile: bool = False, rules_alone: bool = False) -> dict:
    count = annotations or (90 if quick else 600)
    reps = reps or (3 if quick else 7)
    workload = make_workload(count)
    print(f"machine: {machine()}")
    print(f"workload: {count} annotations (seed 20261128), 3 projects interleaved; "
          f"{len(meta.RULE_IDS)} rules; {reps} repetitions")

    hand = HandWritten()
    ls = Lsrules()
    peers = load_peers(only)

    # 1. agreement, on the whole workload, before any timing
    print("\n## agreement (rule id + item, route, verdict, fixes) on the whole workload")
    failures = agreement(workload, ls, hand)
    print(f"lsrules vs hand-written, all {len(meta.RULE_IDS)} rules: "
          f"{'identical' if not failures else f'{len(failures)} annotations differ'}")
    support = {}
    peer_subsets = {}
    for module, peer_class, _sample, _reps in peers:
        peer = peer_class()
        rule_ids = [rule_id for rule_id in meta.RULE_IDS
                    if not module.support()[rule_id].startswith("no")]
        peer_subsets[peer_class.name] = rule_ids
        support[peer_class.name] = module.support()
        started = time.perf_counter()
        problems = agreement(workload, peer, HandWritten(rule_ids))
        print(f"{peer.name} vs hand-written, its {len(rule_ids)} rules: "
              f"{'identical' if not problems else f'{len(problems)} annotations differ'}"
              f" ({time.perf_counter() - started:.0f} s)")
        failures += problems
    if failures:
        print("\n".join(failures[:20]))
        raise SystemExit("contenders disagree: no timing")

    # 2. what each peer can express
    print("\n## which rules each peer expresses")
    names = list(support)
    print("| rule | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for rule_id in meta.RULE_IDS:
        print(f"| {rule_id} | " + " | ".join(support[name][rule_id] for name in names) + " |")

    # 3. timing: lsrules vs hand-written on everything, then per peer on its subset
    results = {"machine": machine(), "annotations": count, "reps": reps, "rows": []}
    print("\n## timing (median per annotation; speed = hand-written time / contender time)")
    print("| comparison | rules | annotations | contender | median µs | speed vs hand-written "
          "| lsrules faster by |")
    print("|---|---|---|---|---|---|---|")
    medians = alternate({"lsrules": ls.evaluate, "hand": hand.evaluate}, workload, reps)
    _row(results, "all rules", len(meta.RULE_IDS), count, medians, None)
    for project in PROJECTS:
        items = [pair for pair in workload if project_of(pair[0]) == project]
        medians = alternate({"lsrules": ls.evaluate, "hand": hand.evaluate}, items, reps)
        _row(results, f"{project} only", len(meta.RULE_IDS), len(items), medians, None)
    for _module, peer_class, sample, peer_reps in peers:
        rule_ids = peer_subsets[peer_class.name]
        items = workload[: min(sample or count, count)]
        contenders = {"lsrules": Lsrules(rule_ids).evaluate,
                      "hand": HandWritten(rule_ids).evaluate,
                      peer_class.name: peer_class(rule_ids).evaluate}
        medians = alternate(contenders, items, peer_reps or reps)
        _row(results, f"vs {peer_class.name}", len(rule_ids), len(items), medians,
             peer_class.name)

    # 4. load + compile, memory
    print("\n## ruleset load + compile (lsrules.load: YAML, checks, codegen, compile)")
    loads = load_times(3 if quick else 7)
    results["load"] = loads
    print("| rules | median load s | traced memory held (KiB) | with every rule's helpers compiled (KiB) |")
    print("|---|---|---|---|")
    for rules, row in loads.items():
        print(f"| {rules} | {row['load_s']:.3f} | {row['memory_bytes'] / 1024:,.0f} | "
              f"{row['memory_all_helpers_bytes'] / 1024:,.0f} |")
    print("\npeers, their own subset of the 25 rules (construct once, tracemalloc on):")
    for _module, peer_class, _sample, _reps in peers:
        row = peer_load(peer_class, peer_subsets[peer_class.name])
        print(f"- {peer_class.name}: {len(peer_subsets[peer_class.name])} rules, "
              f"{row['load_s']:.3f} s, {row['memory_bytes'] / 1024:,.0f} KiB")

    if rules_alone:
        per_rule(workload, reps)
    if profile:
        print("\n## cProfile of Engine.evaluate on the workload")
        print(profile_lsrules(workload))
    return results


def _row(results, label, rules, count, medians, peer) -> None:
    hand = medians["hand"]
    for name, seconds in medians.items():
        speed = hand / seconds
        faster = ""
        if peer is not None and name == peer:
            faster = f"{seconds / medians['lsrules']:.1f}x"
        shown = "hand-written" if name == "hand" else name
        print(f"| {label} | {rules} | {count} | {shown} | {seconds * 1e6:,.1f} | {speed:.2f}x "
              f"| {faster} |")
        results["rows"].append({"comparison": label, "rules": rules, "annotations": count,
                                "contender": shown, "median_s": seconds, "speed_vs_hand": speed})
    sys.stdout.flush()
