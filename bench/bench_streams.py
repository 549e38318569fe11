"""Stream rules on a generated export with planted patterns (issue 6 figures).

    python bench/bench_streams.py [--annotations 100000] [--annotators 50] [--jobs 2]

Generates (seeded) a JSONL export of topic classifications (rulesets/annotators.yaml)
from 50 annotators over ten working days, with planted patterns: three rushers (one burst
of 12 annotations 4 s apart with lead times under 2 s), two bad streaks (4 annotations in
a row without a topic, which the rules reject), one label drift (one annotator's day with
80% "Other") and 20 tasks whose two annotators disagree. Background noise is there too:
isolated fast annotations, isolated rejections, 600 tasks annotated twice in agreement.

Then replays it through `lsrules run` (stream findings are records with a `stream`
block) and prints precision and recall of the planted (rule, key) pairs, annotations per
second end to end, and peak memory; and replays the same events through the stream
runtime alone (verdicts taken from the decisions) for its events per second, its state
size and peak memory. Not a test: figures go to stdout.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RULESET = ROOT / "rulesets" / "annotators.yaml"
LABELS = ["Sports", "Politics", "Business", "Science", "Culture", "Other"]
START = 1714554000.0  # 2024-05-01T09:00:00Z
DAY = 86400.0
WORKDAY = 8 * 3600.0


def iso(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{int(seconds % 1 * 1e6):06d}Z"


def result_for(label):
    if label is None:
        return []
    return [{"id": "t", "type": "choices", "from_name": "topic", "to_name": "text",
             "value": {"choices": [label]}}]


def generate(count: int, annotators: int, seed: int):
    """(tasks in export order, the planted (rule, key) pairs)."""
    rng = random.Random(seed)
    days = 10
    per_annotator = count // annotators
    rushers = rng.sample(range(1, annotators + 1), 3)
    rest = [a for a in range(1, annotators + 1) if a not in rushers]
    streaks = rng.sample(rest, 2)
    drifter = rng.choice([a for a in rest if a not in streaks])
    drift_day = 6
    planted = {("rushers", a) for a in rushers} | {("rejection-streak", a) for a in streaks}
    planted.add(("label-drift", drifter))
    annotations = []  # (time, annotator, label, lead_time)
    for annotator in range(1, annotators + 1):
        moments = sorted(START + rng.randrange(days) * DAY + rng.uniform(0, WORKDAY)
                         for _ in range(per_annotator))
        items = []
        for moment in moments:
            day = int((moment - START) // DAY)
            if annotator == drifter and day == drift_day and rng.random() < 0.8:
                label = "Other"
            else:
                label = rng.choice(LABELS)
            if rng.random() < 0.003:
                label = None  # an isolated annotation without a topic: rejected
            lead = rng.uniform(1.0, 1.9) if rng.random() < 0.01 else rng.lognormvariate(3, 0.5) + 2
            items.append([moment, annotator, label, round(lead, 2)])
        if annotator in rushers:  # one burst: 12 annotations, 4 s apart, under 2 s each
            where = rng.randrange(per_annotator // 4, per_annotator * 3 // 4)
            base = items[where][0]
            for offset in range(12):
                items[where + offset][0] = base + 4 * offset
                items[where + offset][3] = round(rng.uniform(0.8, 1.9), 2)
            items.sort(key=lambda item: item[0])
        if annotator in streaks:  # four rejected annotations in a row
            where = rng.randrange(per_annotator // 4, per_annotator * 3 // 4)
            for offset in range(4):
                items[where + offset][2] = None
        annotations += items
    annotations.sort(key=lambda item: item[0])
    tasks = []
    annotation_id = 0
    agreeing = set(rng.sample(range(len(annotations)), 620))
    disagreeing = set(rng.sample(sorted(agreeing), 20))
    for index, (moment, annotator, label, lead) in enumerate(annotations):
        annotation_id += 1
        task_id = 100000 + index
        task_annotations = [{"id": annotation_id, "task": task_id, "completed_by": annotator,
                             "lead_time": lead, "created_at": iso(moment),
                             "result": result_for(label)}]
        if index in agreeing and label is not None:  # a second annotator, seconds later
            other = rng.choice([a for a in range(1, annotators + 1) if a != annotator])
            second = label
            if index in disagreeing:
                second = rng.choice([name for name in LABELS if name != label])
                planted.add(("task-disagreement", task_id))
            annotation_id += 1
            task_annotations.append({"id": annotation_id, "task": task_id,
                                     "completed_by": other, "lead_time": 15.0,
                                     "created_at": iso(moment + rng.uniform(1, 20)),
                                     "result": result_for(second)})
        tasks.append({"id": task_id, "project": 1, "data": {"text": f"text {index}"},
                      "annotations": task_annotations})
    return tasks, planted


def write_export(tasks, path: Path) -> int:
    with path.open("w") as stream:
        for task in tasks:
            stream.write(json.dumps(task) + "\n")
    return sum(len(task["annotations"]) for task in tasks)


def score(found: set, planted: set) -> None:
    for rule in sorted({rule for rule, _ in planted | found}):
        want = {key for r, key in planted if r == rule}
        got = {key for r, key in found if r == rule}
        hit = want & got
        precision = len(hit) / len(got) if got else 1.0
        recall = len(hit) / len(want) if want else 1.0
        print(f"  {rule:18} planted {len(want):3}  found {len(got):3}  "
              f"precision {precision:.2f}  recall {recall:.2f}"
              + (f"  missed {sorted(want - got)}" if want - got else "")
              + (f"  extra {sorted(got - want)}" if got - want else ""))
    hit = planted & found
    print(f"  {'all':18} planted {len(planted):3}  found {len(found):3}  "
          f"precision {len(hit) / max(len(found), 1):.2f}  recall {len(hit) / len(planted):.2f}")


def replay(export: Path, decisions: Path, backend: str) -> None:
    """The stream runtime alone, fed the export's annotations with the decisions' verdicts."""
    from lsrules.engine.engine import check_and_load
    from lsrules.streams.runtime import StreamRuntime

    ruleset, _ = check_and_load(RULESET)
    verdicts = {}
    with decisions.open() as stream:
        for line in stream:
            record = json.loads(line)
            if "stream" not in record:
                verdicts[record["annotation_id"]] = (
                    record["verdict"], [f["rule"] for f in record["findings"]],
                    (record["route"] or {}).get("name"))
    events = []
    with export.open() as stream:
        for line in stream:
            task = json.loads(line)
            annotations = task.pop("annotations")
            for annotation in annotations:
                events.append((task, annotation, *verdicts[annotation["id"]]))
    runtime = StreamRuntime(ruleset, backend=backend)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    found = 0
    most_keys = most_events = 0
    for number, event in enumerate(events):
        found += len(runtime.feed(*event))
        if number % 1000 == 0:
            keys, held = runtime.state_size()
            most_keys, most_events = max(most_keys, keys), max(most_events, held)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sids = len(getattr(runtime.backend, "sids", ()))
    print(f"  {backend:7} {len(events) / elapsed:8.0f} events/s  {found} findings  "
          f"peak state {most_keys} keys / {most_events} events  durable states {sids}  "
          f"max RSS {after / 1024:.0f} MB (+{(after - before) / 1024:.0f} MB while replaying)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--annotations", type=int, default=100_000)
    parser.add_argument("--annotators", type=int, default=50)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--replay", nargs=3, metavar=("EXPORT", "DECISIONS", "BACKEND"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.replay:
        replay(Path(args.replay[0]), Path(args.replay[1]), args.replay[2])
        return
    with tempfile.TemporaryDirectory() as directory:
        export, decisions = Path(directory) / "export.jsonl", Path(directory) / "decisions.jsonl"
        tasks, planted = generate(args.annotations, args.annotators, args.seed)
        total = write_export(tasks, export)
        del tasks
        print(f"export: {total} annotations ({args.annotators} annotators, seed {args.seed}), "
              f"{len(planted)} planted patterns")
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lsrules.cli", "run", str(RULESET), "--input",
                        str(export), "--output", str(decisions), "--jobs", str(args.jobs),
                        "--fail-on", "never", "--no-progress"], check=True,
                       stderr=subprocess.DEVNULL)
        elapsed = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        found = set()
        with decisions.open() as stream:
            for line in stream:
                record = json.loads(line)
                if "stream" in record:
                    found.add((record["stream"]["rule"], record["stream"]["key"]))
        print(f"lsrules run --jobs {args.jobs}: {total / elapsed:.0f} annotations/s end to end "
              f"({elapsed:.1f} s), peak RSS of a process {rss:.0f} MB")
        print("planted patterns found (per rule and key):")
        score(found, planted)
        print("stream runtime alone (verdicts from the decisions):")
        for backend in ("durable", "direct"):
            subprocess.run([sys.executable, __file__, "--replay", str(export), str(decisions),
                            backend], check=True)


if __name__ == "__main__":
    main()
