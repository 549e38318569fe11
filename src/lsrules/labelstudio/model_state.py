"""What `serve` learns, kept in the store: a restart (or a kill -9) loses none of it.

Every lesson (the task, the annotation and the prediction it started from, and why it was
approved, or that it was a person's label only observed for annotator reliability) is
journalled in the store as soon as the suggester has learnt it; every
`snapshot_every` lessons, and when the worker stops, the whole model is saved as a
snapshot and the lessons it holds leave the journal. An engine starting (or reloaded)
takes the snapshot, else its model file, and replays the journal after it: learning is
deterministic, so that is the model as it was.

Several processes may learn into one store (`serve` and a `sync` beside it): before a
snapshot, the lessons others journalled meanwhile are learnt too, and a snapshot another
process saved meanwhile is taken over rather than overwritten.
"""
from __future__ import annotations

import logging
from typing import Any

from lsrules.labelstudio.store import ModelState, Store
from lsrules.suggest import Suggester

logger = logging.getLogger("lsrules.labelstudio")

DEFAULT_SNAPSHOT_EVERY = 200
OBSERVED = "observed"  # a lesson that is a person's label not approved: annotators only
TASK_KEYS = ("id", "data")
ANNOTATION_KEYS = ("id", "result", "completed_by", "updated_by", "ground_truth",
                   "was_cancelled", "parent_prediction", "lead_time")


def model_key(engine: Any) -> str:
    """The store's name for an engine's model (`engine`: `lsrules.engine.Engine`): its
    ruleset's name, so a reloaded or restarted ruleset finds what it learnt."""
    return f"ruleset:{engine.name}"


def lesson_of(task: dict, annotation: dict, approved_by: str,
              prediction: dict | None) -> dict[str, Any]:
    """What replaying a lesson needs, and no more of the payload."""
    return {"task": {key: task[key] for key in TASK_KEYS if key in task},
            "annotation": {key: annotation[key] for key in ANNOTATION_KEYS if key in annotation},
            "approved_by": approved_by,
            "prediction": None if prediction is None else {
                key: prediction.get(key) for key in ("id", "model_version", "result")}}


class ModelKeeper:
    """The models of the engines one worker runs, kept in `store`."""

    def __init__(self, store: Store, snapshot_every: int = DEFAULT_SNAPSHOT_EVERY):
        self.store = store
        self.snapshot_every = snapshot_every
        self._applied: dict[str, int] = {}  # key -> the last journal id this model holds
        self._snapshot: dict[str, int] = {}  # key -> the lesson the store's snapshot holds
        self._own: dict[str, set[int]] = {}  # key -> lessons this process journalled
        self._unsaved: dict[str, int] = {}  # key -> lessons since the last snapshot

    def restore(self, engine: Any) -> None:
        """Bring the engine's suggester to the state the store holds."""
        if engine.suggester is None:
            return
        key = model_key(engine)
        self._take(engine, key, self.store.model_state(key))

    def _take(self, engine: Any, key: str, state: ModelState) -> None:
        if state.document is not None:
            try:
                engine.suggester = Suggester.from_document(
                    state.document, engine.ruleset.suggester, f"store {key}")
            except Exception as error:  # a damaged snapshot: the journal still teaches
                logger.error("%s; starting from the model file", error)
        for lesson_id, lesson in state.lessons:
            self._replay(engine, lesson)
        self._applied[key] = state.lessons[-1][0] if state.lessons else state.through_lesson
        self._snapshot[key] = state.through_lesson
        self._own[key] = set()
        self._unsaved[key] = len(state.lessons)
        if state.document is not None or state.lessons:
            logger.info("model %s restored: snapshot through lesson %s, %s lessons replayed",
                        key, state.through_lesson, len(state.lessons))

    @staticmethod
    def _replay(engine: Any, lesson: dict[str, Any]) -> None:
        try:
            if lesson.get("approved_by") == OBSERVED:
                engine.suggester.observe(lesson["task"], lesson["annotation"])
                return
            engine.learn(lesson["task"], lesson["annotation"],
                         approved_by=lesson.get("approved_by") or "store",
                         prediction=lesson.get("prediction"))
        except Exception:  # one bad lesson does not stop the rest
            logger.exception("a stored lesson could not be replayed")

    def learned(self, engine: Any, task: dict, annotation: dict, approved_by: str,
                prediction: dict | None) -> None:
        """Journal a lesson the engine has just learnt; snapshot when enough piled up."""
        if engine.suggester is None:
            return
        key = model_key(engine)
        lesson_id = self.store.add_lesson(key, lesson_of(task, annotation, approved_by,
                                                         prediction))
        self._own.setdefault(key, set()).add(lesson_id)
        self._unsaved[key] = self._unsaved.get(key, 0) + 1
        if self._unsaved[key] >= self.snapshot_every:
            self.save(engine)

    def save(self, engine: Any) -> None:
        """Snapshot the engine's model, after learning what others journalled meanwhile."""
        if engine.suggester is None:
            return
        key = model_key(engine)
        state = self.store.model_state(key)
        if state.through_lesson != self._snapshot.get(key, 0):
            self._take(engine, key, state)  # another process saved: start from its snapshot
        else:
            own = self._own.get(key, set())
            for lesson_id, lesson in state.lessons:
                if lesson_id > self._applied.get(key, 0) and lesson_id not in own:
                    self._replay(engine, lesson)
        through = state.lessons[-1][0] if state.lessons else state.through_lesson
        self.store.save_model(key, engine.suggester.to_document(), through)
        self._applied[key] = self._snapshot[key] = through
        self._own[key] = set()
        self._unsaved[key] = 0
