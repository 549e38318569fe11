"""Small synthetic data for the suggester tests: no corpus download, fully offline."""
from __future__ import annotations

import random

import pytest

TOPICS = {
    "sport": ["match", "goal", "team", "coach", "season", "league", "player", "score", "win", "cup"],
    "tech": ["software", "chip", "phone", "internet", "computer", "data", "network", "code", "app", "device"],
    "politics": ["election", "minister", "party", "vote", "parliament", "policy", "government", "law", "tax", "campaign"],
}
FILLER = ["the", "a", "of", "and", "to", "in", "on", "for", "with", "said", "it", "was", "is"]


def choice_annotation(label: str, annotator: int = 1, annotation_id: int = 1) -> dict:
    return {"id": annotation_id, "completed_by": annotator, "was_cancelled": False,
            "result": [{"id": f"r{annotation_id}", "from_name": "topic", "to_name": "text",
                        "type": "choices", "value": {"choices": [label]}}]}


def make_items(count: int, seed: int = 0, labels: list[str] | None = None) -> list[tuple[dict, dict, str]]:
    """(task, annotation, label) with texts drawn mostly from the label's topic words."""
    generator = random.Random(seed)
    names = labels or list(TOPICS)
    items = []
    for number in range(1, count + 1):
        label = generator.choice(names)
        words = [generator.choice(TOPICS[label]) for _ in range(8)]
        words += [generator.choice(FILLER) for _ in range(6)]
        generator.shuffle(words)
        task = {"id": number, "data": {"text": " ".join(words)}}
        items.append((task, choice_annotation(label, 1 + number % 3, number), label))
    return items


@pytest.fixture
def items() -> list[tuple[dict, dict, str]]:
    return make_items(400)


def noisy_export(count: int, seed: int, wrong_share: float) -> tuple[list[dict], set[int]]:
    """An export of `make_items` tasks with about `wrong_share` of the labels replaced by
    another topic: (tasks, the ids of the tasks labelled wrongly)."""
    draw = random.Random(seed)
    tasks, wrong = [], set()
    for task, annotation, label in make_items(count, seed=seed):
        if draw.random() < wrong_share:
            annotation["result"][0]["value"]["choices"] = [
                draw.choice([other for other in TOPICS if other != label])]
            wrong.add(task["id"])
        tasks.append({**task, "annotations": [annotation]})
    return tasks, wrong
