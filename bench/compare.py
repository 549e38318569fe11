"""lsrules against hand-written Python and peer rule engines (issue 5).

    python bench/compare.py [--quick] [--annotations N] [--reps N] [--only durable,...] [--per-rule] [--profile]

Run it in the benchmark venv (peers are not project dependencies):

    python -m venv .bench-venv && CPPFLAGS=-O2 .bench-venv/bin/pip install -e . -r bench/requirements-compare.txt
    .bench-venv/bin/python bench/compare.py

First checks that every contender finds the same (rule, region) pairs, route, verdict and
fixes as the hand-written reference on the whole workload (and stops if not), prints which
rules each peer can express, then times the contenders alternately (medians, ratios),
lsrules.load for 25 and 500 rules, and the memory a loaded ruleset holds. Missing peers are
skipped, so lsrules vs hand-written also runs in the dev venv. Not a test: figures go to
stdout (and bench/out/compare.json).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from comparison.runner import run  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="90 annotations, 3 repetitions")
    parser.add_argument("--annotations", type=int)
    parser.add_argument("--reps", type=int)
    parser.add_argument("--only", help="comma-separated peers: durable,jsonlogic,ruleengine,jsonschema")
    parser.add_argument("--profile", action="store_true", help="cProfile lsrules at the end")
    parser.add_argument("--per-rule", action="store_true",
                        help="time each rule alone, lsrules vs hand-written")
    args = parser.parse_args()
    results = run(quick=args.quick, annotations=args.annotations, reps=args.reps,
                  only=args.only.split(",") if args.only else None, profile=args.profile,
                  rules_alone=args.per_rule)
    out = Path(__file__).resolve().parent / "out"
    out.mkdir(exist_ok=True)
    (out / "compare.json").write_text(json.dumps(results, indent=1, default=str))


if __name__ == "__main__":
    main()
