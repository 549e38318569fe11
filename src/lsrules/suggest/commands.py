"""`lsrules suggest fit | eval | audit | annotators`: the suggester on an export.

The ruleset's `suggester:` mapping gives the settings (target accuracy, explore share,
model path); the export gives the approved labels, in export order. `annotators` needs no
ruleset: it estimates each annotator's reliability by Dawid-Skene from the tasks several
people labelled.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, cast

from lsrules.errors import LsrulesError
from lsrules.ruleset.containment import add_allow_outside_root_argument
from lsrules.suggest.export_items import labelled_items, read_suggester_settings
from lsrules.suggest.suggester import Suggester
from lsrules.terminal import visible


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="suggest_action", metavar="ACTION")
    fit = actions.add_parser("fit", help="learn from the approved annotations of an export")
    _common(fit)
    fit.add_argument("--model", help="model file to write (default: the ruleset's "
                                     "suggester.model, relative to the ruleset)")
    evaluate = actions.add_parser("eval", help="replay an export as a human-in-the-loop "
                                               "simulation and report the effort saved")
    _common(evaluate)
    evaluate.add_argument("--plot", metavar="PNG", help="also draw the learning curve "
                                                        "(needs matplotlib)")
    audit = actions.add_parser("audit", help="rank annotations by how likely they are wrong")
    _common(audit)
    audit.add_argument("--top", type=int, default=20, help="how many to list (default 20)")
    audit.add_argument("--folds", type=int, default=5, help="cross-fitting folds (default 5)")
    annotators = actions.add_parser(
        "annotators", help="annotator reliability and aggregated labels from the tasks "
                           "several people labelled (Dawid-Skene)")
    annotators.add_argument("export", metavar="EXPORT", help="Label Studio export (JSON or JSONL)")
    annotators.add_argument("--ruleset", help="take the `choices` control to read from the "
                                              "ruleset's suggester.from_name")
    add_allow_outside_root_argument(annotators)
    annotators.add_argument("--format", choices=("text", "json"), default="text",
                            help="a table for people (default) or JSON")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ruleset", metavar="RULESET",
                        help="the ruleset whose `suggester:` block is used")
    add_allow_outside_root_argument(parser)
    parser.add_argument("--input", required=True, metavar="EXPORT",
                        help="Label Studio export (JSON or JSONL)")


def run(args: argparse.Namespace) -> int:
    action = getattr(args, "suggest_action", None)
    if action is None:
        raise LsrulesError("say what to do: lsrules suggest fit|eval|audit RULESET --input EXPORT"
                           " or lsrules suggest annotators EXPORT")
    if action == "annotators":
        return _annotators(args)
    settings = read_suggester_settings(args.ruleset, args.allow_outside_root)
    return {"fit": _fit, "eval": _evaluate, "audit": _audit}[action](args, settings)


def _fit(args: argparse.Namespace, settings: dict) -> int:
    model_path = args.model or (
        os.path.join(os.path.dirname(args.ruleset), settings["model"])
        if isinstance(settings.get("model"), str) else None)
    if model_path is None:
        raise LsrulesError("no model file to write: give --model or set suggester.model",
                           args.ruleset)
    suggester = Suggester.new(settings)
    learned = refused = 0
    for item in labelled_items(args.input, suggester.from_name, require_label=False):
        if suggester.learn(item.task, item.annotation, approved_by="export",
                           routed_by_suggester=False):
            learned += 1
        else:
            refused += 1
    suggester.calibrator.recalibrate()
    suggester.save(model_path)
    thresholds = ", ".join(f"{label} {value:.3f}"
                           for label, value in sorted(suggester.calibrator.thresholds.items()))
    print(f"learned {learned} annotations ({refused} skipped: cancelled, nothing to learn or "
          f"equal to their prediction); classes: {len(suggester.text_model.classes)}")
    print(f"thresholds at target accuracy {suggester.settings.target_accuracy}: "
          f"{thresholds or 'none yet (abstains on everything)'}")
    print(f"wrote {model_path} ({suggester.model_version})")
    return 0


def _evaluate(args: argparse.Namespace, settings: dict) -> int:
    from lsrules.suggest.replay import replay

    suggester = Suggester.new(settings)
    items = list(labelled_items(args.input, suggester.from_name))
    if not items:
        raise LsrulesError("no annotations with a `choices` label to replay", args.input)
    report = replay(suggester, items)
    rarest = report.rarest_class
    accuracy = report.auto_accepted_accuracy
    print(f"items: {len(report.outcomes)}, target accuracy "
          f"{suggester.settings.target_accuracy}, explore {suggester.settings.explore}")
    print(f"auto-accepted: {report.auto_accepted} ({report.auto_accepted_share:.1%}) — "
          f"the share of labelling effort saved")
    print("accuracy of auto-accepted: "
          + ("n/a (nothing auto-accepted)" if accuracy is None else f"{accuracy:.2%}"))
    protected = report.class_protected_share(rarest) if rarest is not None else None
    rare_count = sum(1 for outcome in report.outcomes if outcome.label == rarest)
    print(f"rarest class {rarest!r} ({rare_count} items): reached a person or auto-accepted "
          f"correctly {protected:.1%}")
    live, explored = suggester.live_accuracy()
    if live is not None:
        print(f"live accuracy on the explored share: {live:.2%} ({explored} items)")
    print("learning curve (cumulative | this tenth):")
    print("  items  auto-accepted  accuracy |  auto-accepted  accuracy")
    for point in report.checkpoints:
        print(f"  {point.items:5d}  {point.auto_accepted_share:13.1%}  "
              f"{_percent(point.auto_accepted_accuracy):>8} |  "
              f"{point.window_auto_accepted_share:13.1%}  "
              f"{_percent(point.window_auto_accepted_accuracy):>8}")
    if args.plot:
        _plot(report, args.plot, suggester.settings.target_accuracy)
    return 0


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _plot(report, path: str, target_accuracy: float) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib import pyplot
    except ImportError:
        print("no plot: matplotlib is not installed (pip install 'lsrules[plot]')",
              file=sys.stderr)
        return
    figure, axes = pyplot.subplots(figsize=(7, 4))
    items = [point.items for point in report.checkpoints]
    axes.plot(items, [point.window_auto_accepted_share for point in report.checkpoints],
              marker="o", label="auto-accepted share (per tenth)")
    axes.plot(items, [point.window_auto_accepted_accuracy
                      if point.window_auto_accepted_accuracy is not None else float("nan")
                      for point in report.checkpoints],
              marker="s", label="accuracy of auto-accepted (per tenth)")
    axes.axhline(target_accuracy, color="grey", linestyle="--", linewidth=1,
                 label=f"target accuracy ({target_accuracy:g})")
    axes.set_xlabel("items replayed")
    axes.set_ylim(0, 1.02)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    print(f"wrote {path}")


def _audit(args: argparse.Namespace, settings: dict) -> int:
    from lsrules.suggest.label_errors import find_label_issues, out_of_sample_probabilities

    if args.folds < 2:
        raise LsrulesError("--folds must be at least 2")
    suggester = Suggester.new(settings)
    items = list(labelled_items(args.input, suggester.from_name))
    texts = [suggester.text_of(item.task) or "" for item in items]
    labels = cast(list[str], [item.label for item in items])  # labelled: require_label
    if len(set(labels)) < 2:
        raise LsrulesError("an audit needs at least two labels in the export", args.input)
    classes, probabilities = out_of_sample_probabilities(
        texts, labels, folds=args.folds, seed=suggester.settings.seed,
        learning_rate=suggester.settings.learning_rate,
        bucket_bits=suggester.settings.bucket_bits)
    issues = find_label_issues(labels, classes, probabilities)
    flagged = sum(issue.flagged for issue in issues)
    print(f"{len(items)} annotations, {flagged} flagged as probably wrong "
          f"({args.folds}-fold cross-fitted confident learning); most suspect first:")
    print("  task  annotation  given -> likely (P)  P(given)  flagged")
    for issue in issues[:max(args.top, 0)]:
        item = items[issue.position]
        print(f"  {item.task.get('id')}  {item.annotation.get('id')}  {issue.given!r} -> "
              f"{issue.likely!r} ({issue.likely_probability:.2f})  "
              f"{issue.self_confidence:.3f}  {'yes' if issue.flagged else 'no'}")
    return 0


def _annotators(args: argparse.Namespace) -> int:
    from lsrules.suggest.dawid_skene import estimate
    from lsrules.suggest.export_items import task_votes

    from_name = None
    if args.ruleset is not None:
        settings = read_suggester_settings(args.ruleset, args.allow_outside_root)
        from_name = settings.get("from_name") if isinstance(settings.get("from_name"),
                                                             str) else None
    tasks = list(task_votes(args.export, from_name))
    if not tasks:
        raise LsrulesError("no annotations with a `choices` label and an annotator "
                           "(`completed_by`)", args.export)
    key = {task.index: str(task.index) for task in tasks}
    model = estimate({key[task.index]: task.votes for task in tasks})
    single = sum(1 for task in tasks if len(task.votes) < 2)
    annotators: list[dict[str, Any]] = [{
        "annotator": annotator,
        "labels": sum(1 for task in tasks if annotator in task.votes and len(task.votes) >= 2),
        "reliability": round(model.reliability(annotator), 4),
        "confusion": {true: {given: round(p, 4) for given, p in row.items()}
                      for true, row in model.confusion[annotator].items()},
    } for annotator in sorted(model.confusion)]
    aggregated: list[dict[str, Any]] = []
    for task in tasks:
        if len(task.votes) >= 2:
            label = model.label_of(key[task.index])
            confidence = model.posteriors[key[task.index]][label]
        else:  # one label says nothing about who is right: it stands as given
            label, confidence = next(iter(task.votes.values())), None
        aggregated.append({"task": task.task_id, "label": label,
                           "confidence": None if confidence is None else round(confidence, 4),
                           "annotators": len(task.votes)})
    if args.format == "json":
        json.dump({"iterations": model.iterations, "converged": model.converged,
                   "priors": {label: round(p, 4) for label, p in model.priors.items()},
                   "annotators": annotators, "tasks": aggregated},
                  sys.stdout, ensure_ascii=False, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    print(f"{len(tasks)} tasks with a label, {len(tasks) - single} labelled by several people "
          f"(used), {single} by one; Dawid-Skene EM: {model.iterations} iterations, "
          + ("converged" if model.converged else "stopped at the iteration limit"))
    print("  annotator  labels  reliability  most frequent confusion")
    for entry in sorted(annotators, key=lambda entry: (-entry["reliability"], entry["annotator"])):
        print(f"  {visible(entry['annotator'])}  {entry['labels']}  {entry['reliability']:.3f}"
              f"  {_worst_confusion(entry['confusion'], model.priors)}")
    print("aggregated labels (task  label  P  annotators):")
    for row in aggregated:
        shown = "—" if row["confidence"] is None else f"{row['confidence']:.3f}"
        print(f"  {visible(str(row['task']))}  {visible(row['label'])}  {shown}  "
              f"{row['annotators']}")
    return 0


def _worst_confusion(confusion: dict[str, dict[str, float]], priors: dict[str, float]) -> str:
    """The confusion that costs most labels (weighted by how common the true class is),
    when it is frequent enough to matter (10% of that class or more)."""
    cells = [(priors[true] * p, p, true, given) for true, row in confusion.items()
             for given, p in row.items() if given != true]
    if not cells:
        return "—"
    _, p, true, given = max(cells)
    return f"{visible(true)} -> {visible(given)} {p:.0%}" if p >= 0.1 else "—"
