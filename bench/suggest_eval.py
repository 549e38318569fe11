"""Human-in-the-loop replay of every benchmark export at target accuracy 0.98, in one table.

The same replay as `lsrules suggest eval bench/out/suggest.yaml --input bench/out/NAME.json`
(run that for one corpus's learning curve), plus the per-update cost of `learn` against
model size, to show that an update is O(size of the annotation) and not a refit.

    pip install -r bench/requirements-suggest.txt
    python bench/suggest_make_exports.py
    python bench/suggest_eval.py [--explore 0.05] [--target 0.98] [--seeds 5]

Goals (issue 7): auto-accepted >= 85% on BBC news; accuracy of auto-accepted >= 98% on
every corpus; rarest-class items reaching a person or auto-accepted correctly >= 95%.
"""
from __future__ import annotations

import argparse
import copy as copymodule
import time
from pathlib import Path

from lsrules.suggest import Suggester
from lsrules.suggest.export_items import labelled_items
from lsrules.suggest.features import hashed_features
from lsrules.suggest.replay import replay

OUT = Path(__file__).parent / "out"
CORPORA = ["bbc", "bbc_rare", "digits", "bbc_shuffled"]


def corpora(quiet: bool = False):
    """(name, labelled items) of each benchmark export that exists."""
    for name in CORPORA:
        path = OUT / f"{name}.json"
        if path.exists():
            yield name, list(labelled_items(str(path)))
        elif not quiet:
            print(f"{name}: missing, run bench/suggest_make_exports.py first")


def evaluate(settings: dict) -> None:
    print(f"settings: {settings}")
    print(f"{'corpus':14} {'items':>6} {'auto-accepted':>14} {'accuracy':>9} "
          f"{'rarest class':>14} {'reached/correct':>16} {'last 10%':>9} {'seconds':>8}")
    for name, items in corpora():
        suggester = Suggester.new(settings)
        started = time.perf_counter()
        report = replay(suggester, items)
        seconds = time.perf_counter() - started
        rarest = report.rarest_class
        accuracy = report.auto_accepted_accuracy
        print(f"{name:14} {len(items):6d} {report.auto_accepted_share:14.1%} "
              f"{'—' if accuracy is None else f'{accuracy:.2%}':>9} {rarest:>14} "
              f"{report.class_protected_share(rarest):16.1%} "
              f"{report.checkpoints[-1].window_auto_accepted_share:9.1%} {seconds:8.1f}")


def seeds_spread(settings: dict, seeds: int) -> None:
    """The same replay with `seeds` explore seeds: the spread of every figure.

    The explore draw is a hash of the task id and the seed, so the seed decides which
    confident items go to a person anyway, and so what the model learns and when the gate
    opens. One seed's figures are one draw; a change is only real if it shows across seeds.
    """
    print(f"\nover explore seeds 0..{seeds - 1}:")
    print(f"{'corpus':14} {'auto-accepted mean':>19} {'min':>6} {'max':>6} "
          f"{'accuracy min':>13} {'reached/correct min':>20} {'last 10% mean':>14}")
    for name, items in corpora(quiet=True):
        reports = [replay(Suggester.new({**settings, "seed": seed}), items)
                   for seed in range(seeds)]
        shares = [report.auto_accepted_share for report in reports]
        accuracies = [report.auto_accepted_accuracy for report in reports
                      if report.auto_accepted_accuracy is not None]
        protected = [report.class_protected_share(report.rarest_class) for report in reports]
        last = [report.checkpoints[-1].window_auto_accepted_share for report in reports]
        print(f"{name:14} {sum(shares) / seeds:19.1%} {min(shares):6.1%} {max(shares):6.1%} "
              f"{f'{min(accuracies):.2%}' if accuracies else '—':>13} {min(protected):20.1%} "
              f"{sum(last) / seeds:14.1%}", flush=True)


def learn_cost(settings: dict) -> None:
    """µs per `learn` call as the model grows, on the same probe annotations each time.

    The model is trained on the first N items of BBC news, copied, and the copy learns the
    same 100 probe items (from the end of the stream); the copy keeps the measurement
    independent of which texts happen to come next. Recalibration (every
    `recalibrate_every` approvals, O(window log window)) is switched off for the timing
    and reported on its own.
    """
    items = list(labelled_items(str(OUT / "bbc.json")))
    probes, training = items[-100:], items[:-100]
    probe_features = sum(len(hashed_features(item.task["data"]["text"])) for item in probes)
    suggester = Suggester.new({**settings, "recalibrate_every": 1_000_000})
    print("\nper-update cost of learn() (BBC news; 100 probe annotations, "
          f"{probe_features / len(probes):.0f} text features each on average):")
    print(f"{'items learned':>14} {'model features':>15} {'probe features known':>21} "
          f"{'µs per learn':>13} {'µs per text feature':>20}")
    learned = 0
    for size in [100, 500, 1000, 1500, len(training)]:
        for item in training[learned:size]:
            suggester.learn(item.task, item.annotation, approved_by="bench")
        learned = size
        best = _probe_time(suggester, probes)
        weights = suggester.text_model.weights
        known = sum(feature in weights for item in probes
                    for feature in hashed_features(item.task["data"]["text"]))
        print(f"{size:14d} {len(weights):15d} {known / probe_features:21.0%} "
              f"{best / len(probes):13.0f} {best / probe_features:20.2f}")
    # the same model with every one of the 2**20 buckets filled: if an update were not
    # O(annotation), this would cost far more than the model above
    full = copymodule.deepcopy(suggester)
    classes = len(full.text_model.classes)
    for bucket in range(1 << full.settings.bucket_bits):
        if bucket not in full.text_model.weights:
            full.text_model.weights[bucket] = [0.0] * classes
            full.text_model.squared_gradients[bucket] = 1.0
    best = _probe_time(full, probes)
    print(f"{'(all buckets)':>14} {len(full.text_model.weights):15d} {'100%':>21} "
          f"{best / len(probes):13.0f} {best / probe_features:20.2f}")
    print("An update costs about the same whatever the model's size; it grows only with the "
          "share of the text's features the model already holds (each known feature costs "
          "one multiply-add per class).")
    began = time.perf_counter_ns()
    suggester.calibrator.recalibrate()
    print(f"one recalibration over {len(suggester.calibrator.records)} records: "
          f"{(time.perf_counter_ns() - began) / 1000:.0f} µs (every "
          f"{settings.get('recalibrate_every', 25)} approvals by default)")


def _probe_time(suggester: Suggester, probes: list) -> float:
    """Best of three: µs for a copy of the model to learn every probe annotation."""
    timings = []
    for _ in range(3):
        copy = copymodule.deepcopy(suggester)
        began = time.perf_counter_ns()
        for item in probes:
            copy.learn(item.task, item.annotation, approved_by="bench")
        timings.append((time.perf_counter_ns() - began) / 1000)
    return min(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--explore", type=float, default=0.05)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=NUMBER",
                        help="any other suggester setting, e.g. --set confidence=0.9")
    parser.add_argument("--seeds", type=int, default=0, metavar="N",
                        help="also replay with explore seeds 0..N-1 and print the spread "
                             "(which items are explored changes the figures by a point or two)")
    arguments = parser.parse_args()
    settings: dict = {"target_accuracy": arguments.target, "explore": arguments.explore}
    for pair in arguments.set:
        key, value = pair.split("=", 1)
        settings[key] = float(value) if "." in value else int(value)
    evaluate(settings)
    if arguments.seeds:
        seeds_spread(settings, arguments.seeds)
    learn_cost(settings)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
