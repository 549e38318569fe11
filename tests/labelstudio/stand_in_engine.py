"""A tiny engine honouring the contract of docs/architecture.md, for unit tests only.

Rules, on `choices` results: a lower-case label is corrected to its capitalised form
(`fixed`); "Negative" asks for the `review` route; an empty result is an error (`reject`).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StandInDecision:
    record: dict[str, Any]
    patch_to_apply: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return json.loads(json.dumps(self.record))


@dataclass
class StandInEngine:
    name: str = "stand-in"
    version: str = "1"
    sha256: str = "0" * 64
    routes: dict[str, int] = field(default_factory=lambda: {"review": 10})
    fixes: str = "apply"
    uses_others: bool = False
    config: Any = None  # no labeling config: predictions use the event's parsed config
    suggester: Any = None
    evaluated: list[tuple[Any, Any]] = field(default_factory=list)
    learned: list[Any] = field(default_factory=list)

    def evaluate(self, task: dict, annotation: dict, others: list | None = None) -> StandInDecision:
        self.evaluated.append((task.get("id"), annotation.get("id")))
        findings, patch, route = [], [], None
        result = annotation.get("result") or []
        if not result and annotation.get("id") is not None:
            findings.append({"rule": "not-empty", "severity": "error",
                             "message": "empty result", "region_id": None, "fixed": False})
        for index, item in enumerate(result):
            for position, label in enumerate((item.get("value") or {}).get("choices") or []):
                if label != label.capitalize():
                    findings.append({"rule": "label-case", "severity": "info",
                                     "message": f"{label} is not capitalised",
                                     "region_id": item.get("id"), "fixed": True})
                    patch.append({"op": "replace",
                                  "path": f"/result/{index}/value/choices/{position}",
                                  "value": label.capitalize()})
                if label.capitalize() == "Negative":
                    findings.append({"rule": "negative-review", "severity": "warning",
                                     "message": "negative", "region_id": item.get("id"),
                                     "fixed": False})
                    route = {"name": "review", "priority": 10, "rules": ["negative-review"]}
        if any(f["severity"] == "error" and not f["fixed"] for f in findings):
            verdict = "reject"
        elif route:
            verdict = "review"
        elif patch:
            verdict = "fixed"
        else:
            verdict = "accept"
        suggestions = []
        if annotation.get("id") is None:
            suggestions.append({"region_id": None, "label": "Positive", "confidence": 0.9,
                                "model_version": "stand-in-suggester-1"})
        record = {
            "task_id": task.get("id"), "annotation_id": annotation.get("id"),
            "verdict": verdict, "findings": findings, "patch": patch, "route": route,
            "suggestions": suggestions,
            "audit": {"ruleset": self.name, "version": self.version, "sha256": self.sha256,
                      "lsrules_version": "0.1.0",
                      "input_sha256": hashlib.sha256(json.dumps(annotation, sort_keys=True)
                                                     .encode()).hexdigest(),
                      "time": "2026-01-01T00:00:00Z", "duration_us": 1,
                      "rules": ["not-empty", "label-case", "negative-review"]},
        }
        return StandInDecision(record, patch if self.fixes == "apply" else [])

    def learn(self, task: dict, annotation: dict, approved_by: str = "engine",
              prediction: dict | None = None) -> bool:
        self.learned.append(annotation.get("id"))
        return True
