"""The decision record: one per evaluated annotation, the same in `run`'s output, `serve`'s
audit store and the Python API (`schemas/decision.schema.json` is its JSON form)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

ERROR_RULE = "lsrules-error"  # the finding of an annotation the engine failed on


@dataclass(slots=True)
class Finding:
    """What one rule found on one annotation (or one of its regions).

    `rule` is the rule's id (a built-in pack rule's, or `lsrules-budget`/`lsrules-error`
    when the engine could not finish); `severity` is `error`, `warning` or `info`;
    `message` is the rule's message with its placeholders filled; `region_id` is the
    region's `id` for a rule over regions, else None. `fixed` says a fix repaired it (the
    rule no longer fires on the corrected annotation); `introduced_by_fix` names the rules
    whose fixes brought in a problem only the corrected annotation has.
    """

    rule: str
    severity: str
    message: str
    region_id: object = None
    fixed: bool = False
    # the rules whose fixes ran, on a finding only the corrected annotation has
    introduced_by_fix: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        record = {"rule": self.rule, "severity": self.severity, "message": self.message,
                  "region_id": self.region_id, "fixed": self.fixed}
        if self.introduced_by_fix:
            record["introduced_by_fix"] = list(self.introduced_by_fix)
        return record


@dataclass(slots=True)
class Decision:
    """The judgement of one annotation: what `Engine.evaluate` returns.

    - `verdict`: `reject` (an error not fixed) > `review` (a route) > `fixed` (a fix wrote)
      > `accept`: the first that holds.
    - `findings`: every `Finding`, the built-in pack's first, then the ruleset's.
    - `patch`: the corrections, as JSON Patch (RFC 6902) operations on the annotation;
      `patch_to_apply` only those of rules whose fix policy is `apply` (what `serve` writes
      back); `task_patch` and `task_patch_to_apply` the same on the task (`set task.meta.KEY`).
    - `route`: `{"name", "priority", "rules"}` of the highest-priority route asked for, or
      None.
    - `suggestions`: the suggester's label and confidence, when the ruleset has one.
    - `fired`: the ids of the rules that fired, in order, each once per firing.
    - the audit fields: `ruleset`, `version`, `sha256` (of the ruleset), `lsrules_version`,
      `rules` (every rule that could fire), `time` (Unix seconds), `duration_us`, and
      `input_sha256` (of the annotation's canonical JSON).

    `to_dict()` is the record `run` writes, one JSON line per annotation. A decision holds
    the annotation it judged (to hash it on demand), not a copy: do not change it after.
    """

    task_id: object
    annotation_id: object
    verdict: str
    findings: list[Finding]
    patch: list[dict[str, Any]]
    route: dict[str, Any] | None
    suggestions: list[dict[str, Any]]
    ruleset: str
    version: str
    sha256: str
    lsrules_version: str
    rules: list[str]
    time: float
    duration_us: int
    annotation: dict[str, Any] | None = field(repr=False, default=None)  # the input, hashed lazily
    patch_to_apply: list[dict[str, Any]] = field(default_factory=list)
    task_patch: list[dict[str, Any]] = field(default_factory=list)
    task_patch_to_apply: list[dict[str, Any]] = field(default_factory=list)  # what `serve` writes
    fired: list[str] = field(default_factory=list)
    _input_sha256: str | None = field(default=None, repr=False)

    @property
    def input_sha256(self) -> str:
        """sha256 of the judged annotation's canonical JSON: which input this decision is of."""
        if self._input_sha256 is None:
            self._input_sha256 = canonical_sha256(self.annotation)
        return self._input_sha256

    def to_dict(self) -> dict[str, Any]:
        """The decision record as JSON values (`schemas/decision.schema.json`): the audit
        fields under `audit`, the time as ISO 8601 UTC."""
        record: dict[str, Any] = {
            "task_id": self.task_id,
            "annotation_id": self.annotation_id,
            "verdict": self.verdict,
            "findings": [finding.to_dict() for finding in self.findings],
            "patch": self.patch,
            "route": self.route,
            "suggestions": self.suggestions,
            "audit": {
                "ruleset": self.ruleset,
                "version": self.version,
                "sha256": self.sha256,
                "lsrules_version": self.lsrules_version,
                "input_sha256": self.input_sha256,
                "time": datetime.fromtimestamp(self.time, timezone.utc).strftime(
                    "%Y-%m-%dT%H:%M:%S.%fZ"),
                "duration_us": self.duration_us,
                "rules": list(self.rules),
            },
        }
        if self.task_patch:
            record["task_patch"] = self.task_patch
        return record


def canonical_sha256(value: object) -> str:
    """sha256 of the value's canonical JSON (sorted keys, no spaces): stable across runs."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    # `surrogatepass`: a lone surrogate (valid JSON: "\ud800") hashes instead of raising
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
