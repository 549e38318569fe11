"""lsrules itself: `Engine.evaluate` on ruleset.yaml (or a subset written to a temp file)."""
from __future__ import annotations

import tempfile
from pathlib import Path

import lsrules
from comparison.meta import RULE_IDS, RULESET_PATH, normalized, subset_yaml


def load_engine(rule_ids=None):
    """The engine for all rules, or for a subset (same YAML, fewer rules)."""
    if rule_ids is None or list(rule_ids) == RULE_IDS:
        return lsrules.load(str(RULESET_PATH))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "subset.yaml"
        path.write_text(subset_yaml(rule_ids))
        return lsrules.load(str(path))


class Lsrules:
    name = "lsrules"

    def __init__(self, rule_ids=None):
        self.engine = load_engine(rule_ids)
        self.evaluate = self.engine.evaluate

    @staticmethod
    def normalize(decision, task: dict, annotation: dict) -> tuple:
        result = annotation["result"]
        fixes = [(result[int(op["path"].split("/")[2])]["id"], op["value"])
                 for op in decision.patch]
        route = decision.route["name"] if decision.route else None
        return normalized([(f.rule, f.region_id) for f in decision.findings], route,
                          decision.verdict, fixes)
