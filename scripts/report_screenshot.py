"""Make the report's example page and its screenshot, docs/images/report.png.

A topic-classification project is simulated (rulesets/annotators.yaml with a suggester):
a training export teaches the suggester (`lsrules suggest fit`), then eight annotators
label 600 tasks over four days (one rushes, one often gives no topic or two, some tasks get
two annotators who disagree), `lsrules run` decides, and `lsrules report` draws the page,
which headless Chromium photographs. The same data, built by `build_demo`, is what the
browser test renders. Run: `python scripts/report_screenshot.py` (needs Debian's chromium).
"""
from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOT = ROOT / "docs" / "images" / "report.png"
TOPICS = {
    "Sports": "match goal team coach league season striker referee",
    "Politics": "minister vote parliament election party senate bill",
    "Business": "shares market profit company merger investors revenue",
    "Science": "study researchers cells telescope experiment physics data",
    "Culture": "film festival novel museum concert artist gallery",
    "Other": "weather traffic recipe garden holiday weekend",
}
FILLER = "the a today new after report says of on in".split()
START = datetime(2026, 11, 16, 8, 0, tzinfo=timezone.utc)
SUGGESTER = """
suggester:
  model: topic-model.json
  text_field: text
  from_name: topic
  target_accuracy: 0.9
  minimum_class_evidence: 10
  burn_in: 10
"""


def _text(rng: random.Random, topic: str) -> str:
    """Words of the topic, and of another one (often enough that the suggester is unsure)."""
    other = rng.choice([name for name in TOPICS if name != topic])
    mixed = 2 if rng.random() < 0.35 else 1
    words = (rng.sample(TOPICS[topic].split(), 4 - mixed) + rng.sample(TOPICS[other].split(), mixed)
             + rng.sample(FILLER, 3))
    rng.shuffle(words)
    return " ".join(words).capitalize() + "."


def _choice(topics: list[str]) -> list[dict]:
    return [{"id": f"c{index}", "type": "choices", "from_name": "topic", "to_name": "text",
             "value": {"choices": [topic]}} for index, topic in enumerate(topics)]


def _time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def training_export(rng: random.Random, count: int = 400) -> list[dict]:
    tasks = []
    for number in range(count):
        topic = rng.choice(list(TOPICS))
        tasks.append({"id": 100_000 + number, "data": {"text": _text(rng, topic)},
                      "annotations": [{"id": 100_000 + number, "completed_by": 1,
                                       "created_at": _time(START - timedelta(days=10)),
                                       "lead_time": 12.0, "result": _choice([topic])}]})
    return tasks


def project_export(rng: random.Random, tasks: int = 600) -> list[dict]:
    """Eight annotators over four days: 7 rushes in bursts, 8 is careless, and a tenth of
    the tasks get a second annotator, who sometimes disagrees."""
    export = []
    annotation_id = 1
    moment = START
    for number in range(tasks):
        topic = rng.choice(list(TOPICS))
        rushing = number % 60 < 12  # annotator 7 clicks through twelve tasks in a minute
        moment += timedelta(seconds=4 if rushing else rng.randint(60, 900))
        annotators = [7 if rushing else rng.randint(1, 8)]
        if not rushing and rng.random() < 0.1:
            annotators.append(rng.choice([a for a in range(1, 7) if a != annotators[0]]))
        annotations = []
        for order, annotator in enumerate(annotators):
            given = [topic]
            lead_time = 1.0 if rushing else rng.uniform(4, 30)
            cancelled = rng.random() < 0.03
            if annotator == 8 and rng.random() < 0.45:
                given = rng.choice([[], [topic, rng.choice(list(TOPICS))]])
            elif order == 1 and rng.random() < 0.4:
                given = [rng.choice([t for t in TOPICS if t != topic])]
            created = moment + timedelta(seconds=30 * order)
            annotations.append({
                "id": annotation_id, "completed_by": annotator, "created_at": _time(created),
                "lead_time": round(lead_time, 1), "was_cancelled": cancelled,
                "result": [] if cancelled else _choice(given)})
            annotation_id += 1
        export.append({"id": number + 1, "data": {"text": _text(rng, topic)},
                       "annotations": annotations})
    return export


def lsrules(directory: Path, *arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "lsrules.cli", *arguments, "--isolated"],
                   check=True, stdout=subprocess.DEVNULL, cwd=directory)


def build_demo(directory: Path) -> Path:
    """The example project in `directory`, run and reported: the page's path."""
    rng = random.Random(16)
    text = (ROOT / "rulesets" / "annotators.yaml").read_text(encoding="utf-8")
    (directory / "annotators.yaml").write_text(
        text.replace("\nrules:\n", SUGGESTER + "rules:\n", 1), encoding="utf-8")
    shutil.copy(ROOT / "rulesets" / "annotators.xml", directory / "annotators.xml")
    (directory / "training.json").write_text(json.dumps(training_export(rng)), encoding="utf-8")
    (directory / "export.json").write_text(json.dumps(project_export(rng)), encoding="utf-8")
    lsrules(directory, "suggest", "fit", "annotators.yaml", "--input", "training.json")
    lsrules(directory, "run", "annotators.yaml", "--input", "export.json", "--output",
            "decisions.jsonl", "--fail-on", "never", "--jobs", "1", "-q")
    lsrules(directory, "report", "decisions.jsonl", "--input", "export.json", "--output",
            "report.html")
    return directory / "report.html"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise SystemExit("no chromium on PATH: apt-get install -y chromium (Debian's package)")
    return found


def screenshot(page: Path, png: Path, width: int = 1000, height: int = 2900) -> None:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        "--hide-scrollbars", f"--screenshot={png}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)


def main() -> int:
    os.environ.setdefault("PYTHONPATH", str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as directory:
        page = build_demo(Path(directory))
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        screenshot(page, SCREENSHOT)
    print(f"wrote {SCREENSHOT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
