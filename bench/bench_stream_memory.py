"""Peak memory of `lsrules run` with stream rules, against a baseline commit, in one run.

    python bench/bench_stream_memory.py --baseline COMMIT [--annotations 200000]
        [--annotators 50000]

Generates (seeded) a JSONL export of topic classifications as Label Studio exports them
(every annotation with its 19 fields, every task with its 15), from 50,000 annotators over
one working day (patterns planted, see `write_export`), and runs `lsrules run --jobs 1` on it with three stream rules of
rulesets/annotators.yaml (rushers, rejection-streak, label-drift: each keeps a day of each
annotator's events) and, for reference, with no stream rules. Each run is a fresh process
whose peak RSS is read from `wait4`; the baseline's `src/` comes from `git archive` (see
`baseline.py`). Before printing, it checks that the baseline and this checkout wrote the
same decisions and stream findings (apart from the audit block's time and duration).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from baseline import extract

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["Sports", "Politics", "Business", "Science", "Culture", "Other"]
START = 1714554000.0  # 2024-05-01T09:00:00Z
WORKDAY = 8 * 3600.0
STREAM_RULES = ("rushers", "rejection-streak", "label-drift")


def iso(seconds: float) -> str:
    return (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds))
            + f".{int(seconds % 1 * 1e6):06d}Z")


def write_export(path: Path, count: int, annotators: int, seed: int) -> None:
    """One task per annotation, in time order, with Label Studio's fields. Some patterns
    are planted so that the rules find something: every 5,000th annotation starts a burst
    of 12 by one person 4 s apart in under 2 s each, every 7,000th three without a topic
    by one person, and 20 busy annotators make 5% of the annotations (one of them
    labelling "Other" half the time)."""
    rng = random.Random(seed)
    moments = sorted(START + rng.uniform(0, WORKDAY) for _ in range(count))
    rows = []  # [time, annotator, label, lead time]
    for moment in moments:
        busy = rng.random() < 0.05
        annotator = rng.randint(1, 20) if busy else rng.randint(21, annotators + 20)
        label = rng.choice(LABELS) if rng.random() > 0.01 else None
        if annotator == 1 and rng.random() < 0.5:
            label = "Other"
        rows.append([moment, annotator, label, round(rng.lognormvariate(2.5, 0.8), 3)])
    for start in range(2500, count - 12, 5000):
        rusher = rng.randint(21, annotators + 20)
        for offset in range(12):
            rows[start + offset][1:] = [rusher, rng.choice(LABELS), 1.0]
            rows[start + offset][0] = rows[start][0] + 4 * offset
    for start in range(3500, count - 3, 7000):
        careless = rng.randint(21, annotators + 20)
        for offset in range(3):
            rows[start + offset][1:3] = [careless, None]
    rows.sort(key=lambda row: row[0])
    with path.open("w") as stream:
        for number, (moment, annotator, label, lead_time) in enumerate(rows, 1):
            created, updated = iso(moment), iso(moment + rng.uniform(0, 30))
            annotation = {
                "id": number, "completed_by": annotator,
                "result": [] if label is None else [{
                    "id": f"r{number}", "type": "choices", "from_name": "topic",
                    "to_name": "text", "origin": "manual", "value": {"choices": [label]}}],
                "was_cancelled": False, "ground_truth": False, "created_at": created,
                "updated_at": updated, "draft_created_at": created, "lead_time": lead_time,
                "prediction": {}, "result_count": 1,
                "unique_id": f"{rng.getrandbits(128):032x}", "import_id": None,
                "last_action": None, "bulk_created": False, "task": number, "project": 1,
                "updated_by": annotator, "parent_prediction": None, "parent_annotation": None,
                "last_created_by": None,
            }
            task = {
                "id": number, "annotations": [annotation], "file_upload": "upload.json",
                "drafts": [], "predictions": [],
                "data": {"text": f"A short news text number {number} about something."},
                "meta": {}, "created_at": created, "updated_at": updated,
                "inner_id": number, "total_annotations": 1, "cancelled_annotations": 0,
                "total_predictions": 0, "comment_count": 0, "unresolved_comment_count": 0,
                "last_comment_updated_at": None, "project": 1, "updated_by": annotator,
                "comment_authors": [],
            }
            stream.write(json.dumps(task) + "\n")


def write_rulesets(directory: Path) -> dict[str, Path]:
    """annotators.yaml with the three stream rules, and without any (its stream tests go)."""
    source = yaml.safe_load((ROOT / "rulesets" / "annotators.yaml").read_text())
    shutil.copy(ROOT / "rulesets" / "annotators.xml", directory / "annotators.xml")
    source["tests"] = [test for test in source.get("tests", []) if "events" not in test]
    paths = {}
    streams = dict(source, streams=[rule for rule in source["streams"]
                                    if rule["id"] in STREAM_RULES])
    plain = {key: value for key, value in source.items() if key != "streams"}
    for name, ruleset in (("streams", streams), ("none", plain)):
        paths[name] = directory / f"{name}.yaml"
        paths[name].write_text(yaml.safe_dump(ruleset, sort_keys=False))
    return paths


def run(source: Path, ruleset: Path, export: Path, output: Path) -> float:
    """Peak RSS (MB) of `lsrules run --jobs 1` with `source` as the package."""
    environment = dict(os.environ, PYTHONPATH=str(source), LSRULES_NO_CACHE="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "lsrules.cli", "run", str(ruleset), "--input", str(export),
         "--output", str(output), "--jobs", "1", "--fail-on", "never", "--no-progress",
         "--isolated"], env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"lsrules run failed ({status}) with {source}")
    return usage.ru_maxrss / 1024


def comparable(path: Path) -> tuple[list[str], int]:
    """The records without their audit time and duration; how many are stream findings."""
    lines, streams = [], 0
    with path.open() as stream:
        for line in stream:
            record = json.loads(line)
            del record["audit"]["time"], record["audit"]["duration_us"]
            streams += "stream" in record
            lines.append(json.dumps(record, sort_keys=True))
    return lines, streams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="the commit to compare with")
    parser.add_argument("--annotations", type=int, default=200_000)
    parser.add_argument("--annotators", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        export = directory / "export.jsonl"
        write_export(export, args.annotations, args.annotators, args.seed)
        rulesets = write_rulesets(directory)
        sources = {"baseline": extract(args.baseline, directory / "baseline"),
                   "current": ROOT / "src"}
        peaks: dict[tuple[str, str], float] = {}
        for ruleset in ("streams", "none"):
            for side in ("baseline", "current"):
                output = directory / f"{side}-{ruleset}.jsonl"
                peaks[side, ruleset] = run(sources[side], rulesets[ruleset], export, output)
        baseline, findings = comparable(directory / "baseline-streams.jsonl")
        current, _ = comparable(directory / "current-streams.jsonl")
        if baseline != current:
            raise SystemExit("the baseline and this checkout wrote different records")
        print(f"{args.annotations} annotations, {args.annotators} annotators, seed "
              f"{args.seed}: the same {len(current)} records on both sides, {findings} of "
              f"them stream findings")
        print("| stream rules | baseline " + args.baseline[:7] + " | this checkout |")
        print("|---|---|---|")
        for ruleset, title in (("streams", ", ".join(STREAM_RULES)), ("none", "none")):
            print(f"| {title} | {peaks['baseline', ruleset]:.0f} MB | "
                  f"{peaks['current', ruleset]:.0f} MB |")


if __name__ == "__main__":
    main()
