"""Draw docs/images/suggest-eval.png, the chart `lsrules suggest eval --plot` makes, on the
simulated export docs/suggest.md describes (1,000 news texts in three topics, 3% labelled
wrongly: `noisy_export` of tests/suggest/conftest.py, which the docs test also uses) with
the page's `suggester:` block. Run: `python scripts/suggest_plot.py` (needs the `plot` extra).
"""
from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMAGE = ROOT / "docs" / "images" / "suggest-eval.png"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from tests.suggest.conftest import noisy_export

    from lsrules.cli import main as lsrules

    page = (ROOT / "docs" / "suggest.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(suggester:\n.*?)```", page, re.DOTALL).group(1)
    tasks, _ = noisy_export(1000, seed=11, wrong_share=0.03)
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        Path("news.json").write_text(json.dumps(tasks), encoding="utf-8")
        Path("news.yaml").write_text(f'ruleset: news\nversion: "1"\nrules: []\n{block}',
                                     encoding="utf-8")
        return lsrules(["suggest", "eval", "news.yaml", "--input", "news.json",
                        "--plot", str(IMAGE)])


if __name__ == "__main__":
    sys.exit(main())
