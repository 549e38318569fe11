"""The hand-written script `lsrules run` is compared with end to end: read a Label Studio
JSON export, evaluate every annotation with the single-pass reference, write one JSON line
per annotation with the decision's content (ids, verdict, findings, patch, route).

    python bench/comparison/single_pass_script.py boxes|spans|choices EXPORT.json OUT.jsonl
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from comparison.single_pass import EVALUATORS  # noqa: E402


def main() -> None:
    shape, source, target = sys.argv[1:4]
    evaluate = EVALUATORS[shape]
    dumps = json.dumps
    with open(source, encoding="utf-8") as file:
        tasks = json.load(file)
    with open(target, "w", encoding="utf-8") as out:
        write = out.write
        for task in tasks:
            for annotation in task["annotations"]:
                decision = evaluate(task, annotation)
                findings = []
                for rule, severity, message, region_id, fixed, by in decision["findings"]:
                    record = {"rule": rule, "severity": severity, "message": message,
                              "region_id": region_id, "fixed": fixed}
                    if by:
                        record["introduced_by_fix"] = by
                    findings.append(record)
                write(dumps({"task_id": task["id"], "annotation_id": annotation["id"],
                             "verdict": decision["verdict"], "findings": findings,
                             "patch": decision["patch"], "route": decision["route"]},
                            ensure_ascii=False, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    main()
