"""The static checker (`lsrules.dsl.checker`): each diagnostic it emits, at the right
`line:column`, with its did-you-mean where there is one; and silence on a clean ruleset."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from lsrules.diagnostics import ERROR, WARNING

from .support import CONFIG, HEADER, load

SOURCE = Path(__file__).resolve().parents[2] / "src" / "lsrules"
CHECKERS = (SOURCE / "dsl" / "checker.py", SOURCE / "ruleset" / "checks.py")

# (code, rules, the text the diagnostic points at (first occurrence; `@@` marks the exact
#  spot when it is not the start), severity, did-you-mean)
CASES = [
    ("LSR102", "  - id: a\n    assert: " + " + ".join(["1"] * 202) + " > 0\n",
     "assert: @@1 + 1", ERROR, None),
    ("LSR110", "  - id: a\n    assert: len(regons) > 0\n", "regons", ERROR, "regions"),
    ("LSR110", "  - id: a\n    assert: any(task.x > 0 for task in regions)\n",
     "any(task", WARNING, None),  # a loop variable hiding a name
    ("LSR111", "  - id: a\n    assert: lenn(regions) > 0\n", "lenn", ERROR, "len"),
    ("LSR111", "  - id: a\n    assert: cnt(r.x > 0 for r in regions) > 0\n", "cnt(", ERROR,
     "count"),
    ("LSR111", "  - id: a\n    assert: len(config.label('label')) > 0\n", "config.label",
     ERROR, "labels"),
    ("LSR112", "  - id: a\n    assert: annotation.lead_tme > 1\n", "annotation.@@lead_tme",
     ERROR, "lead_time"),
    ("LSR112", "  - id: a\n    assert: task.data.__class__ == 1\n", "task.data.@@__class__",
     ERROR, None),
    ("LSR112", "  - id: a\n    for: region\n    when: region.lable == 'Car'\n",
     "region.@@lable", ERROR, "label"),
    ("LSR113", "  - id: a\n    assert: clamp(1, 2) > 0\n", "clamp(", ERROR, None),
    ("LSR113", "  - id: a\n    assert: any(regions)\n", "any(", ERROR, None),
    ("LSR114", "  - id: a\n    assert: '\"a\" < 3'\n", '"a" < 3', ERROR, None),
    ("LSR114", "  - id: a\n    assert: task.id.x == 1\n", "task.id.@@x", ERROR, None),
    ("LSR114", "  - id: a\n    assert: abs('x') > 1\n", "'x'", ERROR, None),
    ("LSR114", "  - id: a\n    assert: annotation.lead_time == 'slow'\n",
     "annotation.lead_time ==", WARNING, None),
    ("LSR114", "  - id: a\n    for: region\n    assert: region.labels == 'Car'\n",
     "region.labels ==", WARNING, "'Car' in region.labels"),  # a list is never a string
    ("LSR114", "  - id: a\n    assert: annotation.was_cancelled + 1 > 0\n",
     "annotation.was_cancelled", ERROR, None),  # true + 1 is not 2
    ("LSR114", "  - id: a\n    assert: -annotation.ground_truth < 0\n",
     "annotation.ground_truth", ERROR, None),
    ("LSR114", "  - id: a\n    when: not annotation.lead_time\n", "annotation.lead_time",
     ERROR, None),  # like `and` and `or`, `not` takes true/false values
    ("LSR115", "  - id: a\n    assert: region.x > 0\n", "region.x", ERROR, None),
    ("LSR116", "  - id: a\n    assert: matches(task.data.t, '(a+)+$')\n", "'(a+)+$'", ERROR,
     None),
    ("LSR116", "  - id: a\n    assert: matches(task.data.t, task.data.p)\n", "task.data.p",
     ERROR, None),
    ("LSR117", ("  - id: a\n    assert: any(any(any(any(true for d in regions) for c in regions)"
               " for b in regions) for a in regions)\n"), "any(true", ERROR, None),
    ("LSR118", "  - id: a\n    assert: has('task.data.image')\n", "has(", ERROR, None),
    ("LSR119", "  - id: a\n    when: true\n    fix: set region.x = 1\n", "set @@region", ERROR,
     None),
    ("LSR119", "  - id: a\n    for: region\n    when: true\n    fix: set region.id = 'x'\n",
     "set @@region.id", ERROR, None),
    ("LSR119", "  - id: a\n    for: region\n    when: true\n    fix: set region.widht = 1\n",
     "set @@region.widht", ERROR, "width"),
    ("LSR119", "  - id: a\n    when: true\n    fix: drop region\n", "drop @@region", ERROR, None),
    ("LSR119", "  - id: a\n    when: true\n    fix: set task.data.x = 1\n", "set @@task", ERROR,
     None),
    ("LSR120", "  - id: a\n    when: true\n  - id: a\n    when: false\n",
     "id: a\n    when: false", ERROR, None),  # the second rule (its mapping starts at `id`)
    ("LSR121", "  - id: a\n    severity: info\n", "id: a", ERROR, None),
    ("LSR122", "  - id: a\n    when: true\n    route: reveiw\n", "reveiw", ERROR, "review"),
    ("LSR123", ("  - id: a\n    when: true\ntests:\n  - name: t\n    task: {id: 1}\n"
               "    annotation: {id: 1, result: []}\n    expect: {fired: [aa]}\n"),
     "name: t", ERROR, "a"),
    ("LSR123", ("  - id: a\n    when: true\ntests:\n  - name: t\n    task: {id: 1}\n"
               "    annotation: {id: 1, result: []}\n    expect: {route: reveiw}\n"),
     "name: t", ERROR, "review"),
    ("LSR125", ("  - id: a\n    when: len(regions) > 0 and not annotation.was_cancelled\n"
                "    assert: false\n"), "not @@annotation", WARNING,
     "annotation.was_cancelled != true"),  # null skips the rule when the field is missing
    # 3 x 4 iterations over list literals, more than the 10 `limits:` allows
    ("LSR124", ("  - id: a\n    assert: count(count(a == b for b in [1, 2, 3, 4]) > 0 "
                "for a in [1, 2, 3]) > 0\nlimits:\n  loop_product: 10\n"),
     "count(count", ERROR, None),
    # a definition that uses itself (more in tests/ruleset/test_definitions.py)
    ("LSR129", "  - id: a\n    assert: d > 0\ndefs:\n  d: d + 1\n", "d + 1", ERROR, None),
]

CONFIG_CASES = [
    ("LSR130", "  - id: a\n    for: region\n    when: region.from_name == 'lable'\n",
     "'lable'", ERROR, "label"),
    ("LSR130", "  - id: a\n    for: region\n    when: region.to_name == 'img'\n", "'img'",
     ERROR, "image"),
    ("LSR131", "  - id: a\n    for: region\n    when: region.type == 'rectanglelabel'\n",
     "'rectanglelabel'", ERROR, "rectanglelabels"),
    ("LSR132", ("  - id: a\n    for: region\n    when: region.label == 'Bus'\n"
               "    fix: set region.label = 'Cars'\n"), "'Cars'", ERROR, "Car"),
    ("LSR132", "  - id: a\n    for: region\n    when: region.label in ['Bus', 'Buss']\n",
     "'Buss'", WARNING, "Bus"),
    ("LSR133", ("  - id: a\n    for: region where region.type == 'rectanglelabels'\n"
                "    assert: region.value.widht > 0\n"), "region.value.@@widht", WARNING,
     "width"),
    ("LSR133", "  - id: a\n    assert: any(r.value.rectanglelabel != null for r in regions)\n",
     "r.value.@@rectanglelabel", WARNING, "rectanglelabels"),  # any region: the config's types
    ("LSR133", "  - id: a\n    when: task.data.imgae == ''\n    assert: false\n",
     "task.data.@@imgae", WARNING, "image"),
    # the config says x is a number: ordering it with a string is a warning (data may differ)
    ("LSR114", "  - id: a\n    for: region\n    assert: region.value.x <= '2'\n",
     "region.value.x <=", WARNING, None),
    ("LSR003", "  - id: a\n    when: true\n", "extends: @@[builtin", ERROR, None),
    ("LSR126", "  - id: a\n    for: region\n    assert: not self_intersects(region)\n",
     "self_intersects", ERROR, None),
    ("LSR126", ("  - id: a\n    for: region where region.type == 'rectanglelabels'\n"
                "    assert: all(box_at(r, 3) != null for r in regions)\n"),
     "box_at", ERROR, None),
    ("LSR127", "  - id: lc-empty-labels\n    assert: true\nextends: [builtin:labeling-config]\n",
     "lc-empty-labels", ERROR, None),
    ("LSR128", ("  - id: a\n    assert: true\nextends: [builtin:labeling-config]\n"
                "disable: [lc-empty-label]\n"), "lc-empty-label]", ERROR, "lc-empty-labels"),
    ("LSR128", ("  - id: a\n    assert: true\nextends: [builtin:labeling-config]\n"
                "overrides:\n  lc-scor-out-of-range: {severity: info}\n"),
     "lc-scor-out-of-range", ERROR, "lc-score-out-of-range"),
]


def locate(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of `needle` (of its `@@` mark, when it has one) in `text`."""
    before, _, after = needle.partition("@@")
    position = text.index(before + after if "@@" in needle else needle) + len(before) * (
        "@@" in needle)
    line = text.count("\n", 0, position) + 1
    return line, position - (text.rfind("\n", 0, position) + 1) + 1


def run(code, rules, tmp_path=None, with_config=False):
    header = HEADER
    path = "dsl.yaml"
    if with_config:
        (tmp_path / "c.xml").write_text(CONFIG)
        path = tmp_path / "r.yaml"
        header += "labeling_config: c.xml\n"
        if code == "LSR003":
            header = HEADER + "extends: [builtin:labeling-config]\n"
    text = header + "rules:\n" + rules
    _, diagnostics = load(text, path)
    return text, diagnostics


def _assert_one(text, diagnostics, code, needle, severity, suggestion):
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [str(d) for d in diagnostics]
    diagnostic = found[0]
    others = [str(d) for d in diagnostics if d.code != code and d.severity == ERROR]
    assert not others, others
    assert (diagnostic.location.line, diagnostic.location.column) == locate(text, needle), (
        str(diagnostic))
    assert diagnostic.severity == severity
    assert diagnostic.suggestion == suggestion
    assert diagnostic.message and "\n" not in diagnostic.message


@pytest.mark.parametrize("code, rules, needle, severity, suggestion", CASES)
def test_diagnostic(code, rules, needle, severity, suggestion):
    text, diagnostics = run(code, rules)
    _assert_one(text, diagnostics, code, needle, severity, suggestion)


@pytest.mark.parametrize("code, rules, needle, severity, suggestion", CONFIG_CASES)
def test_diagnostic_against_the_labeling_config(tmp_path, code, rules, needle, severity,
                                                suggestion):
    text, diagnostics = run(code, rules, tmp_path, with_config=True)
    _assert_one(text, diagnostics, code, needle, severity, suggestion)


def test_every_code_of_the_checker_has_a_case():
    """Stream codes (LSR140-LSR149) belong to the stream rules and are tested with them."""
    emitted = {code for checker in CHECKERS for code in re.findall(r"\"(LSR\d{3})\"", checker.read_text())}
    emitted = {code for code in emitted if not "LSR140" <= code <= "LSR149"}
    tested = {case[0] for case in CASES + CONFIG_CASES}
    assert emitted <= tested, sorted(emitted - tested)


def test_all_problems_are_reported_not_just_the_first():
    _, diagnostics = load(HEADER + "rules:\n  - id: a\n    assert: lenn(regons) > annotation.x\n")
    assert sorted(d.code for d in diagnostics) == ["LSR110", "LSR111", "LSR112"]


def test_a_location_inside_a_folded_block_scalar(tmp_path):
    text = HEADER + "rules:\n  - id: a\n    assert: >-\n      len(regions) > 0\n      and annotation.lead_tme > 1\n"
    _, diagnostics = load(text)
    assert [(d.code, d.location.line, d.location.column) for d in diagnostics] == [
        ("LSR112", *locate(text, "annotation.@@lead_tme"))]


CLEAN = """\
labeling_config: c.xml
extends: [builtin:labeling-config]
rules:
  - id: inside
    for: region where region.type == "rectanglelabels"
    assert: 0 <= region.x <= 100 and region.x + region.width <= 100
    message: "box {region.id} leaves the image at {region.x + region.width}"
    fix:
      - set region.x = clamp(region.x, 0, 100)
      - set region.width = min(region.width, 100 - region.x)
  - id: tiny-bus
    severity: info
    for: region
    when: region.label in ["Bus"] and area(region) < 1
    fix: set region.label = "Car"
  - id: duplicates
    severity: warning
    assert: none(any(iou(r, o) > 0.9 and r.id != o.id for o in regions) for r in regions)
    route: review
  - id: text
    when: has(task.data.image)
    assert: matches(task.data.image, "^[A-Z][a-z]*$") and len(unique([r.label for r in regions])) >= 0
  - id: meta
    when: annotation.lead_time > 3600
    fix: set task.meta.slow = true
tests:
  - name: empty
    task: {id: 1, data: {image: x}}
    annotation: {id: 1, result: []}
    expect: {fired: [], not_fired: [inside, tiny-bus]}
"""


def test_value_keys_follow_the_region_type_and_known_keys_are_silent(tmp_path):
    """A region fixed to a rating by `where` has `rating`; every key its type holds passes."""
    (tmp_path / "c.xml").write_text(
        '<View><Text name="t" value="$body"/><Rating name="stars" toName="t"/>'
        '<Labels name="l" toName="t"><Label value="A"/></Labels></View>')
    text = HEADER + ("labeling_config: c.xml\nrules:\n"
                     "  - id: a\n    for: region where region.from_name == 'stars'\n"
                     "    assert: region.value.rating >= 1 and region.value.ratng >= 1\n"
                     "  - id: b\n    for: region where region.type == 'labels'\n"
                     "    assert: region.value.start < region.value.end and "
                     "len(region.value.text) > 0 and task.data.body != ''\n")
    _, diagnostics = load(text, tmp_path / "r.yaml")
    assert [(d.code, d.suggestion) for d in diagnostics] == [("LSR133", "rating")]


def test_not_of_a_call_or_inside_a_loop_is_no_lsr125():
    """`not has(...)` is never null; in `any(...)` a null element already counts as false."""
    _, diagnostics = load(HEADER + "rules:\n  - id: a\n    when: not has(task.data.x) or "
                          "any(not r.hidden for r in regions)\n    assert: false\n")
    assert [d.code for d in diagnostics] == []


def test_a_clean_ruleset_gives_no_diagnostics(tmp_path):
    (tmp_path / "c.xml").write_text(CONFIG)
    _, diagnostics = load(HEADER + CLEAN, tmp_path / "r.yaml")
    assert diagnostics == []


def test_a_hash_in_a_plain_scalar_is_reported_and_a_quoted_one_is_not():
    """LSR005 (from the loader): libyaml reports a plain scalar's style as "", not None."""
    text = HEADER + ('rules:\n  - id: a\n    when: true\n    message: see issue #4\n'
                     '    description: "quoted #4"\n')
    _, diagnostics = load(text)
    assert [(d.code, d.severity, d.location.line) for d in diagnostics] == [
        ("LSR005", WARNING, locate(text, "see issue")[0])]


def test_every_geometry_function_says_which_shapes_it_takes():
    """The checker's LSR126 looks each one up: a function missing there would crash check."""
    from lsrules.dsl.builtins import GEOMETRY
    from lsrules.dsl.geometry import SUPPORTED

    assert set(SUPPORTED) == set(GEOMETRY)
