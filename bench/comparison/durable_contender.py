"""durable-rules 2.0.28: the rules durable's condition language can state, as facts.

Per annotation, every region is asserted as a fact (its
result item plus `kind: region`, `sid` and `label`, the first label, since durable cannot
index arrays), then one `kind: ann` fact with the annotation's scalars and the task data,
last, so that `none(...)` conditions see every region. Pairs of regions are joins (`c.a`,
`c.b`); a join fires once per matching pair, so the action keeps one finding per region.
A never-completing join sinks every fact: durable refuses a batch in which any fact
matches no rule. After the annotation its facts are retracted (the annotation first);
`delete_state` of a session segfaults in durable's C engine (reproducibly on this
workload's first annotation), so there is one session, emptied each time.

durable conditions compare a field with a constant or with arithmetic on fields, but the
left side must be a plain field and the right side cannot mix the current fact with a
joined one; there is no array length, string length, substring, case-folding of a
field, count or sum. `support()` says which rules that leaves out.
"""
from __future__ import annotations

import itertools

import durable.engine as durable_engine
import durable.lang as dl
from durable.lang import c, m, none, when_all

from comparison.meta import SEVERITY, decide, normalize_output

_NAMES = itertools.count()


class _SynchronousHost(durable_engine.Host):
    """durable's Host without its two background threads, which call into the C engine
    every 0.2 s to dispatch queued actions and timers: this benchmark uses neither, and
    they race with `delete_state` on the main thread (a segfault within seconds)."""

    def _run(self):
        pass


if dl._main_host is None:
    dl._main_host = _SynchronousHost()

NOT_EXPRESSIBLE = {
    "box-single-label": "no array length",
    "duplicate-box": "no IoU (needs min/max of two facts' fields)",
    "bus-truck-confusion": "no IoU",
    "rider-on-motorcycle": "containment needs x+width on both sides of a join",
    "crowded-scene": "no count over a nested any",
    "total-coverage": "no sum",
    "rushed": "no count",
    "sentiment-single": "no array length",
    "speed-read": "no string length",
    "span-bounds": "no string length",
    "span-text": "no string length or characters",
    "inconsistent-label": "no case-insensitive comparison of two fields",
    "entity-density": "no sum",
}
NOTES = {
    "degenerate-box": "rewritten: width/height > 0.1 (the area term is implied; no field*field)",
    "span-whitespace": "regex on a leading or trailing space only (its regex has no \\s or escapes in classes)",
    "sentiment-required": "two rules: none(choice), or two distinct choices (join)",
    "image-only-boxes": "join of the annotation and a non-box region",
    "overlapping-spans": "join of two spans",
}
RULE_IDS = [rule_id for rule_id in SEVERITY if rule_id not in NOT_EXPRESSIBLE]


def support() -> dict:
    return {rule_id: ("no: " + NOT_EXPRESSIBLE[rule_id]) if rule_id in NOT_EXPRESSIBLE
            else NOTES.get(rule_id, "native") for rule_id in SEVERITY}


REGION = m.kind == "region"
BOX = (m.kind == "region") & (m.type == "rectanglelabels")
SPAN = (m.kind == "region") & (m.type == "labels")
SENTIMENT = (m.kind == "region") & (m.type == "choices") & (m.from_name == "sentiment")
ALIASES = {"car": "Car", "auto": "Car", "truck": "Truck", "lorry": "Truck"}


class Durable:
    name = "durable-rules 2.0.28"

    def __init__(self, rule_ids=None):
        wanted = [rule_id for rule_id in (rule_ids or RULE_IDS) if rule_id not in NOT_EXPRESSIBLE]
        self.rule_ids = wanted
        self.ruleset = f"bench_{next(_NAMES)}"
        self.found: dict = {}
        self.patch: list = []
        self.result: list = []
        self._define(set(wanted))

    def _define(self, wanted: set) -> None:
        found = self.found

        def record(rule_id, region_id=None, fixed=False):
            key = (rule_id, region_id)
            if key not in found:
                found[key] = fixed

        with dl.ruleset(self.ruleset):
            @when_all(c.sink << +m.kind, c.never << (m.kind == "never-asserted"))
            def sink(_context):  # pragma: no cover - never fires
                pass

            if "image-not-empty" in wanted:
                @when_all(c.a << ((m.kind == "ann") & +m.data.image & (m.was_cancelled != True)),  # noqa: E712
                          none(BOX))
                def image_not_empty(_context):
                    record("image-not-empty")

            if "image-only-boxes" in wanted:
                @when_all(c.a << ((m.kind == "ann") & +m.data.image),
                          c.b << (REGION & (m.type != "rectanglelabels")))
                def image_only_boxes(_context):
                    record("image-only-boxes")

            if "box-inside-image" in wanted:
                @when_all(BOX & ((m.value.x < 0) | (m.value.y < 0)
                                 | (m.value.width > m.value.x * -1 + 100)
                                 | (m.value.height > m.value.y * -1 + 100)))
                def box_inside_image(context):
                    record("box-inside-image", context.m.id)

            if "degenerate-box" in wanted:
                @when_all(BOX & ((m.value.width <= 0.1) | (m.value.height <= 0.1)))
                def degenerate_box(context):
                    record("degenerate-box", context.m.id)

            if "pedestrian-shape" in wanted:
                @when_all(REGION & (m.label == "Pedestrian")
                          & (m.value.height < m.value.width * 0.8))
                def pedestrian_shape(context):
                    record("pedestrian-shape", context.m.id)

            if "sentiment-required" in wanted:
                review = (m.kind == "ann") & +m.data.review & (m.was_cancelled != True)  # noqa: E712

                @when_all(c.a << review, none((m.kind == "region") & (m.type == "choices")))
                def sentiment_missing(_context):
                    record("sentiment-required")

                @when_all(c.a << ((m.kind == "ann") & +m.data.review & (m.was_cancelled != True)),  # noqa: E712
                          c.x << (REGION & (m.type == "choices")),
                          c.y << (REGION & (m.type == "choices") & (m.id != c.x.id)))
                def sentiment_several(_context):
                    record("sentiment-required")

            if "sentiment-valid" in wanted:
                @when_all(SENTIMENT & (m.label != "Positive") & (m.label != "Negative")
                          & (m.label != "Neutral"))
                def sentiment_valid(context):
                    record("sentiment-valid", context.m.id)

            if "low-confidence" in wanted:
                @when_all(SENTIMENT & (m.score < 0.5))
                def low_confidence(context):
                    record("low-confidence", context.m.id)

            if "span-whitespace" in wanted:
                @when_all(SPAN & (m.value.text.matches(" .*")
                                  | m.value.text.matches(".* ")))
                def span_whitespace(context):
                    record("span-whitespace", context.m.id)

            if "overlapping-spans" in wanted:
                @when_all(c.a << SPAN,
                          c.b << (SPAN & (m.id != c.a.id) & (m.value.start < c.a.value.end)
                                  & (m.value.end > c.a.value.start)))
                def overlapping_spans(context):
                    record("overlapping-spans", context.a.id)

            if "per-capitalized" in wanted:
                @when_all(REGION & (m.label == "PER") & m.value.text.matches("[^A-Z].*"))
                def per_capitalized(context):
                    record("per-capitalized", context.m.id)

            if "box-label-alias" in wanted:
                @when_all(BOX & (m.label != "Car") & (m.label != "Truck")
                          & m.label.imatches("car|auto|truck|lorry"))
                def box_label_alias(context):
                    region_id = context.m.id
                    position = next(i for i, item in enumerate(self.result)
                                    if item.get("id") == region_id)
                    self.patch.append({
                        "op": "replace", "path": f"/result/{position}/value/rectanglelabels/0",
                        "value": ALIASES[context.m.label.lower()]})
                    # the new label is Car or Truck, which the condition excludes: fixed
                    record("box-label-alias", region_id, fixed=True)

    def evaluate(self, task: dict, annotation: dict) -> dict:
        sid = "annotation"  # one session, emptied after each annotation (delete_state crashes)
        result = annotation.get("result") or []
        self.result = result
        self.found.clear()
        self.patch = []
        facts = []
        for item in result:
            if item.get("type") == "relation":
                continue
            value = item.get("value") or {}
            labels = value.get(item.get("type"))
            facts.append(dict(item, sid=sid, kind="region",
                              label=labels[0] if isinstance(labels, list) and labels else None))
        facts.append({"sid": sid, "kind": "ann", "id": annotation.get("id"),
                      "was_cancelled": annotation.get("was_cancelled"),
                      "lead_time": annotation.get("lead_time"), "data": task.get("data")})
        dl.assert_facts(self.ruleset, facts)
        # the annotation first, so no `none(...)` rule fires while its regions go
        facts.insert(0, facts.pop())
        dl.retract_facts(self.ruleset, facts)
        findings = [(rule_id, SEVERITY[rule_id], f"{rule_id} {region_id}", region_id, fixed)
                    for (rule_id, region_id), fixed in self.found.items()]
        route, verdict = decide(findings, self.patch)
        return {"findings": findings, "patch": self.patch, "route": route, "verdict": verdict}

    normalize = staticmethod(normalize_output)
