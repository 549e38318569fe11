"""The rules of bench/comparison/single/*.yaml hand-written the way a fast validation
script is written: one pass over the result items, each field bound to a local once, fixes
kept in locals, a patch operation only for a field that changed.

The same semantics as lsrules, including fix validation: when a fix changed an item, the
item's checks run again on the corrected values with fixes off; a finding is fixed when
its check no longer fails there, and what fails only there is added with
`introduced_by_fix` (the rules whose fixes changed something, in rule order). The rules
read one item each (or count items, which no fix changes), so re-checking the changed
items is the whole second pass. Findings come out item by item, lsrules' rule by rule:
the agreement check compares them sorted.

`evaluate(task, annotation) -> dict` with findings `(rule, severity, message, region_id,
fixed, introduced_by_fix)`, patch, fired, route and verdict, as a decision has them.
"""
from __future__ import annotations

ROUTE_REVIEW = {"name": "review", "priority": 10, "rules": None}


def _number(value):
    """A number as lsrules writes it in a message: 9.0 as 9 (JSON's one number type)."""
    return int(value) if value.__class__ is float and value.is_integer() else value


def _decide(findings: list, patch: list, routed: str | None) -> tuple[dict | None, str]:
    route = dict(ROUTE_REVIEW, rules=[routed]) if routed else None
    for finding in findings:
        if finding[1] == "error" and not finding[4]:
            return route, "reject"
    if route is not None:
        return route, "review"
    return None, "fixed" if patch else "accept"


def _out(findings, patch, fired, routed, introduced, fixers) -> dict:
    if introduced:
        by = [rule for rule in fixers[0] if rule in fixers[1]]
        for rule, severity, message, region_id in introduced:
            findings.append((rule, severity, message, region_id, False, by))
            fired.append(rule)
    route, verdict = _decide(findings, patch, routed)
    return {"findings": findings, "patch": patch, "fired": fired, "route": route,
            "verdict": verdict}


# -- boxes --------------------------------------------------------------------------------
BOX_VALID = frozenset(("Car", "Truck", "Bus", "Pedestrian"))
BOX_ALIAS = {"car": "Car", "auto": "Car", "truck": "Truck", "lorry": "Truck", "bike": "Bicycle"}
BOX_FIXERS = ("box-inside-image", "label-alias")


def boxes(task: dict, annotation: dict) -> dict:
    findings: list = []
    patch: list = []
    fired: list = []
    introduced: list = []
    fixers_used: set = set()
    routed = None
    count = 0
    for position, item in enumerate(annotation.get("result") or ()):
        if item.get("type") != "rectanglelabels":
            continue
        count += 1
        value = item["value"]
        rid = item["id"]
        labels = value.get("rectanglelabels")
        label = labels[0] if labels else None
        x, y, w, h = value["x"], value["y"], value["width"], value["height"]
        changed = False
        # first pass, rule by rule; a fix changes the locals the later rules read
        bad_label = label not in BOX_VALID
        degenerate = not (w > 0.1 and h > 0.1)
        if bad_label:
            findings.append(["box-label-valid", "error",
                             f"box {rid} has the unknown label {label}", rid, False, None])
            fired.append("box-label-valid")
        if degenerate:
            findings.append(["degenerate-box", "error",
                             f"box {rid} is degenerate ({_number(w)} x {_number(h)})", rid, False, None])
            fired.append("degenerate-box")
        outside = not (x >= 0 and y >= 0 and x + w <= 100 and y + h <= 100)
        if outside:
            findings.append(["box-inside-image", "error",
                             f"box {rid} leaves the image (x={_number(x)}, y={_number(y)})", rid, False, None])
            fired.append("box-inside-image")
            fixed_w = w + (x if x < 0 else 0)
            fixed_x = x if x > 0 else 0
            if fixed_w != w:
                patch.append({"op": "replace", "path": f"/result/{position}/value/width",
                              "value": fixed_w})
                w = fixed_w
                changed = True
                fixers_used.add("box-inside-image")
            if fixed_x != x:
                patch.append({"op": "replace", "path": f"/result/{position}/value/x",
                              "value": fixed_x})
                x = fixed_x
                changed = True
                fixers_used.add("box-inside-image")
        shape = label == "Pedestrian" and not h >= w * 0.8
        if shape:
            findings.append(["pedestrian-shape", "warning", f"pedestrian {rid} is wider ({_number(w)}) "
                             f"than tall ({_number(h)})", rid, False, None])
            fired.append("pedestrian-shape")
            routed = "pedestrian-shape"
        alias = BOX_ALIAS.get(label) if label.__class__ is str else None
        if alias is not None:
            findings.append(["label-alias", "info", f"label {label} of box {rid} is an alias",
                             rid, False, None])
            fired.append("label-alias")
            patch.append({"op": "replace",
                          "path": f"/result/{position}/value/rectanglelabels/0", "value": alias})
            label = alias
            changed = True
            fixers_used.add("label-alias")
        if changed:  # the second pass on this item: its checks on the corrected values
            again_label = label not in BOX_VALID
            again_degenerate = not (w > 0.1 and h > 0.1)
            again_outside = not (x >= 0 and y >= 0 and x + w <= 100 and y + h <= 100)
            again_shape = label == "Pedestrian" and not h >= w * 0.8
            for finding in findings:
                if finding[3] is rid:
                    rule = finding[0]
                    finding[4] = not (again_label if rule == "box-label-valid" else
                                      again_degenerate if rule == "degenerate-box" else
                                      again_outside if rule == "box-inside-image" else
                                      again_shape if rule == "pedestrian-shape" else False)
            if again_label and not bad_label:
                introduced.append(("box-label-valid", "error",
                                   f"box {rid} has the unknown label {label}", rid))
            if again_degenerate and not degenerate:
                introduced.append(("degenerate-box", "error",
                                   f"box {rid} is degenerate ({_number(w)} x {_number(h)})", rid))
            if again_outside and not outside:
                introduced.append(("box-inside-image", "error",
                                   f"box {rid} leaves the image (x={_number(x)}, y={_number(y)})", rid))
            if again_shape and not shape:
                introduced.append(("pedestrian-shape", "warning", f"pedestrian {rid} is wider "
                                   f"({_number(w)}) than tall ({_number(h)})", rid))
                routed = "pedestrian-shape"
    if count == 0 and annotation.get("was_cancelled") is not True:
        findings.append(["not-empty", "error", f"annotation {annotation['id']} has no boxes",
                         None, False, None])
        fired.append("not-empty")
    return _out(findings, patch, fired, routed, introduced, (BOX_FIXERS, fixers_used))


# -- spans --------------------------------------------------------------------------------
SPAN_VALID = frozenset(("PER", "ORG", "LOC", "MISC"))


def spans(task: dict, annotation: dict) -> dict:
    findings: list = []
    patch: list = []
    fired: list = []
    introduced: list = []
    routed = None
    text = task["data"].get("text")
    length = len(text) if text.__class__ is str else None
    for position, item in enumerate(annotation.get("result") or ()):
        if item.get("type") != "labels":
            continue
        value = item["value"]
        rid = item["id"]
        labels = value.get("labels")
        label = labels[0] if labels else None
        start, end, span = value["start"], value["end"], value["text"]
        out_of_bounds = length is None or not (0 <= start < end <= length)
        if out_of_bounds:
            findings.append(["span-bounds", "error", f"span {rid} ({start}..{end}) is reversed "
                             "or outside the text", rid, False, None])
            fired.append("span-bounds")
        if label not in SPAN_VALID:
            findings.append(["span-label-valid", "error",
                             f"span {rid} has the unknown label {label}", rid, False, None])
            fired.append("span-label-valid")
        wrong_length = len(span) != end - start
        if wrong_length:
            findings.append(["span-length", "error",
                             f"span {rid} '{span}' does not match its offsets", rid, False, None])
            fired.append("span-length")
        changed = False
        if span.endswith(" "):
            findings.append(["trailing-space", "info", f"span {rid} '{span}' ends in white "
                             "space", rid, False, None])
            fired.append("trailing-space")
            trimmed = span.strip()
            if trimmed != span:
                patch.append({"op": "replace", "path": f"/result/{position}/value/text",
                              "value": trimmed})
                span = trimmed
                changed = True
            new_end = start + len(span)
            if new_end != end:
                patch.append({"op": "replace", "path": f"/result/{position}/value/end",
                              "value": new_end})
                end = new_end
                changed = True
        if (label == "PER" or label == "ORG") and not len(span) >= 2:
            findings.append(["short-entity", "warning", f"{label.lower()} span {rid} is very "
                             "short", rid, False, None])
            fired.append("short-entity")
            routed = "short-entity"
        if changed:
            again_bounds = length is None or not (0 <= start < end <= length)
            again_length = len(span) != end - start
            again_space = span.endswith(" ")
            again_short = (label == "PER" or label == "ORG") and not len(span) >= 2
            for finding in findings:
                if finding[3] is rid:
                    rule = finding[0]
                    finding[4] = not (again_bounds if rule == "span-bounds" else
                                      again_length if rule == "span-length" else
                                      again_space if rule == "trailing-space" else
                                      again_short if rule == "short-entity" else
                                      rule == "span-label-valid")
            if again_bounds and not out_of_bounds:
                introduced.append(("span-bounds", "error", f"span {rid} ({start}..{end}) is "
                                   "reversed or outside the text", rid))
            if again_length and not wrong_length:
                introduced.append(("span-length", "error",
                                   f"span {rid} '{span}' does not match its offsets", rid))
    return _out(findings, patch, fired, routed, introduced,
                (("trailing-space",), ("trailing-space",)))


# -- choices ------------------------------------------------------------------------------
CHOICE_VALID = frozenset(("Positive", "Negative", "Neutral", "Sports", "Politics", "Tech",
                          "Good", "Bad"))
CHOICE_CASE = {"positive": "Positive", "negative": "Negative", "neutral": "Neutral",
               "sports": "Sports", "politics": "Politics", "tech": "Tech", "good": "Good",
               "bad": "Bad", "mixed": "Mixed"}


def choices(task: dict, annotation: dict) -> dict:
    findings: list = []
    patch: list = []
    fired: list = []
    routed = None
    sentiments = 0
    for position, item in enumerate(annotation.get("result") or ()):
        name = item.get("from_name")
        if name == "sentiment":
            sentiments += 1
        if item.get("type") != "choices":
            continue
        rid = item["id"]
        chosen = item["value"].get("choices")
        label = chosen[0] if chosen else None
        if len(chosen) != 1:
            findings.append(["choice-single", "error", f"{name} has {len(chosen)} choices",
                             rid, False, None])
            fired.append("choice-single")
        invalid = label not in CHOICE_VALID
        if invalid:
            findings.append(["choice-valid", "error", f"{name} choice {label} is not "
                             "configured", rid, False, None])
            fired.append("choice-valid")
        score = item.get("score")
        if score is not None and score < 0.5:
            findings.append(["low-confidence", "warning", f"{name} {label} has a score of "
                             f"{_number(score)}", rid, False, None])
            fired.append("low-confidence")
            routed = "low-confidence"
        fixed = CHOICE_CASE.get(label) if label.__class__ is str else None
        if fixed is not None:
            findings.append(["choice-case", "info", f"{name} choice {label} is in lower case",
                             rid, False, None])
            fired.append("choice-case")
            patch.append({"op": "replace", "path": f"/result/{position}/value/choices/0",
                          "value": fixed})
            # the second pass on this item: the case check passes now; validity again
            for finding in findings:
                if finding[3] is rid and finding[0] != "choice-single" \
                        and finding[0] != "low-confidence":
                    finding[4] = finding[0] == "choice-case" or fixed in CHOICE_VALID
    if sentiments != 1 and annotation.get("was_cancelled") is not True:
        findings.append(["sentiment-required", "error", f"annotation {annotation['id']} needs "
                         "exactly one sentiment", None, False, None])
        fired.append("sentiment-required")
    return _out(findings, patch, fired, routed, None, None)


EVALUATORS = {"boxes": boxes, "spans": spans, "choices": choices}


def normalized_reference(output: dict) -> tuple:
    findings = sorted((f[0], f[1], f[2], f[3], f[4], tuple(f[5] or ())) for f in output["findings"])
    return (findings, sorted(map(repr, output["patch"])), sorted(output["fired"]),
            output["route"], output["verdict"])


def normalized_decision(decision) -> tuple:
    findings = sorted((f.rule, f.severity, f.message, f.region_id, f.fixed,
                       tuple(f.introduced_by_fix or ())) for f in decision.findings)
    return (findings, sorted(map(repr, decision.patch)), sorted(decision.fired),
            decision.route, decision.verdict)


def disagreements(engine, evaluate, workload) -> list[str]:
    """Every annotation where lsrules and the reference differ (empty: they agree)."""
    problems = []
    for task, annotation in workload:
        mine = normalized_decision(engine.evaluate(task, annotation))
        theirs = normalized_reference(evaluate(task, annotation))
        if mine != theirs:
            problems.append(f"task {task['id']}: lsrules {mine} vs reference {theirs}")
    return problems
