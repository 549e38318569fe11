"""The suggester: one object the engine asks for labels, anomalies and reliabilities.

It learns only from labels a person gave and the process approved (`learn`), one approval
at a time, and refuses an annotation that merely repeats its parent prediction: learning
from its own accepted output is how a suggester talks itself into being sure and wrong
(measured: 99% auto-accepted at under 50% right). It says `label=None` (abstains)
unless the calibrated threshold for that label is met. It never imports the engine, the
service or the SDK: they call it.
"""
from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from typing import Any

from lsrules.errors import LsrulesError
from lsrules.suggest import results
from lsrules.suggest.annotators import AnnotatorAgreement
from lsrules.suggest.calibration import CalibrationRecord, Calibrator
from lsrules.suggest.features import hashed_features
from lsrules.suggest.geometry import GeometryStatistics
from lsrules.suggest.settings import SuggesterSettings, parse_settings
from lsrules.suggest.spans import SpanMemory
from lsrules.suggest.store import persist
from lsrules.suggest.teaching import (
    MODEL_VERSION_PREFIX,
    parent_prediction,
    reviewer_edit,
    teaches,
)
from lsrules.suggest.store.validation import (
    ModelFileError,
    expect_dict,
    expect_int,
    expect_keys,
    expect_optional_string,
)
from lsrules.suggest.text_model import TextModel


@dataclass(frozen=True)
class Suggestion:
    """A proposed label. `label` is None when the suggester abstains; `confidence` is the
    model's probability for `candidate` (its best guess) even then, so rules can route on it,
    and None only when there is nothing to score (no model yet, no text)."""

    label: str | None
    confidence: float | None
    candidate: str | None = None
    threshold: float | None = None


ABSTAIN = Suggestion(None, None)


class Suggester:
    """Facade over the text model, its calibration, span memory, box geometry and annotators."""

    def __init__(self, settings: SuggesterSettings):
        self.settings = settings
        self.text_model = TextModel(settings.learning_rate)
        self.calibrator = Calibrator(settings)
        self.spans = SpanMemory()
        self.geometry = GeometryStatistics()
        self.annotators = AnnotatorAgreement()
        self.updates = 0
        self.refused = 0
        self.from_name: str | None = settings.from_name
        self.text_field: str | None = settings.text_field

    # construction and persistence ------------------------------------------------------

    @classmethod
    def new(cls, settings: dict | None = None) -> Suggester:
        """An empty suggester for a ruleset's `suggester:` mapping."""
        return cls(parse_settings(settings))

    @classmethod
    def open(cls, settings: dict | None = None,
             base_directory: str | os.PathLike | None = None) -> Suggester:
        """The model named by `settings["model"]` if that file exists, else a new one."""
        parsed = parse_settings(settings)
        if parsed.model:
            path = os.path.join(base_directory or ".", parsed.model)
            if os.path.exists(path):
                return cls.load(path, settings)
        return cls(parsed)

    @classmethod
    def load(cls, path: str | os.PathLike, settings: dict | None = None) -> Suggester:
        """Read a model file; `settings` (the ruleset's) override the policy saved in it."""
        document = persist.read_document(path)
        try:
            return cls._from_document(document, settings)
        except ModelFileError as error:
            raise ModelFileError(f"{path}: {error.message}") from None
        except LsrulesError as error:  # bad settings inside the file
            raise ModelFileError(f"{path}: {error.message}") from None

    @classmethod
    def from_document(cls, document: Any, settings: dict | None = None,
                      where: str = "model") -> Suggester:
        """A model from its document (a model file's JSON, e.g. kept in the service's
        store), checked like a file; `settings` override the policy saved in it."""
        if not isinstance(document, dict) or document.get("format") != persist.FORMAT_NAME \
                or document.get("format_version") != persist.FORMAT_VERSION:
            raise ModelFileError(f"{where}: not an lsrules suggester model of format version "
                                 f"{persist.FORMAT_VERSION}")
        try:
            return cls._from_document(document, settings)
        except ModelFileError as error:
            raise ModelFileError(f"{where}: {error.message}") from None
        except LsrulesError as error:  # bad settings inside the document
            raise ModelFileError(f"{where}: {error.message}") from None

    @classmethod
    def _from_document(cls, document: dict, override: dict | None) -> Suggester:
        expect_keys(document, "model", {"format", "format_version", "settings", "state",
                                        "text_model", "calibration", "spans", "geometry",
                                        "annotators"})
        saved = expect_dict(document["settings"], "model.settings")
        merged = dict(saved)
        merged.update(override or {})
        suggester = cls(parse_settings(merged, "model.settings"))
        state = expect_dict(document["state"], "model.state")
        expect_keys(state, "model.state", {"updates", "refused", "from_name", "text_field"})
        suggester.updates = expect_int(state["updates"], "model.state.updates", minimum=0)
        suggester.refused = expect_int(state["refused"], "model.state.refused", minimum=0)
        suggester.from_name = expect_optional_string(state["from_name"], "model.state.from_name")
        suggester.text_field = expect_optional_string(state["text_field"],
                                                      "model.state.text_field")
        suggester.text_model = TextModel.from_dict(document["text_model"], "model.text_model")
        suggester.calibrator = Calibrator.from_dict(document["calibration"],
                                                    suggester.settings,
                                                    "model.calibration")
        suggester.spans = SpanMemory.from_dict(document["spans"], "model.spans")
        suggester.geometry = GeometryStatistics.from_dict(document["geometry"], "model.geometry")
        suggester.annotators = AnnotatorAgreement.from_dict(document["annotators"],
                                                            "model.annotators")
        return suggester

    def to_document(self) -> dict:
        return {
            "format": persist.FORMAT_NAME,
            "format_version": persist.FORMAT_VERSION,
            "settings": self.settings.to_dict(),
            "state": {"updates": self.updates, "refused": self.refused,
                      "from_name": self.from_name, "text_field": self.text_field},
            "text_model": self.text_model.to_dict(),
            "calibration": self.calibrator.to_dict(),
            "spans": self.spans.to_dict(),
            "geometry": self.geometry.to_dict(),
            "annotators": self.annotators.to_dict(),
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the model atomically as canonical JSON (same model, same bytes)."""
        persist.write_atomically(path, persist.dumps(self.to_document()))

    @property
    def model_version(self) -> str:
        """Changes with every update: recorded with each suggestion in a decision."""
        return f"{MODEL_VERSION_PREFIX}-suggest-{self.settings.seed}.{self.updates}"

    # learning ----------------------------------------------------------------------------

    def learn(self, task: dict, annotation: dict, approved_by: str,
              prediction: dict | None = None, *,
              routed_by_suggester: bool = True) -> bool:
        """Learn one approved annotation; O(size of that annotation), amortised.

        Returns False (and learns nothing) for a cancelled annotation, one without anything
        to learn, or lsrules' own prediction accepted unchanged (`teaching.teaches`); the
        annotation's `parent_prediction` is `prediction` when given (live, fetched from
        Label Studio), else looked up in the task's `predictions` (as an export has them).
        `routed_by_suggester=False` says every item was labelled by a person whatever the
        suggester said (a batch fit on an export), so none counts as an explored item in
        the live-accuracy estimate.
        """
        if not isinstance(task, dict) or not isinstance(annotation, dict):
            raise LsrulesError("learn() needs a task and an annotation as JSON objects")
        if annotation.get("was_cancelled") is True:
            return False
        if prediction is None:
            prediction = parent_prediction(annotation, task.get("predictions"))
        if not teaches(annotation, prediction):
            self.refused += 1
            return False
        learned = self._learn_choice(task, annotation, routed_by_suggester)
        for surface, label in results.span_labels(task, annotation):
            self.spans.learn(surface, label)
            learned = True
        for label, x, y, width, height in results.boxes(annotation):
            self.geometry.learn(label, x, y, width, height)
            learned = True
        learned = self._record_annotator(task, annotation, approved=True) or learned
        if learned:
            self.updates += 1
        return learned

    def observe(self, task: dict, annotation: dict) -> bool:
        """Note an annotator's label that was not (yet) approved, for reliability only;
        False when there is no label (or annotator) to note."""
        if isinstance(task, dict) and isinstance(annotation, dict):
            return self._record_annotator(task, annotation, approved=False)
        return False

    def _learn_choice(self, task: dict, annotation: dict, routed_by_suggester: bool) -> bool:
        item = results.choice_item(annotation, self.from_name)
        if item is None:
            return False
        text = self._text_of(task, item.get("to_name"))
        if text is None:
            return False
        label = item["value"]["choices"][0]
        features = hashed_features(text, self.settings.bucket_bits)
        probabilities = self.text_model.probabilities(features)
        # a model that has learned fewer than `burn_in` approvals is close to a coin toss and
        # nothing like the model the threshold will serve: its records would only hold the
        # gate shut (a few confident early mistakes need hundreds of later records to
        # outweigh). Which records are skipped depends on the position in the stream, never
        # on whether the model was right, so the remaining records stay an honest sample.
        if probabilities and self.text_model.example_count >= self.settings.burn_in:
            best = max(range(len(probabilities)), key=probabilities.__getitem__)
            predicted, score = self.text_model.classes[best], probabilities[best]
            explored = (routed_by_suggester and self.calibrator.accepts(predicted, score)
                        and self.should_explore(task.get("id")))
            self.calibrator.add(CalibrationRecord(score, predicted, label, explored))
        if self.from_name is None:
            self.from_name = item.get("from_name") if isinstance(item.get("from_name"), str) else None
        self.text_model.learn(features, label)
        return True

    def _record_annotator(self, task: dict, annotation: dict, approved: bool) -> bool:
        # a reviewer's edit is the reviewer's label: the author's stays as they gave it
        who = {"completed_by": annotation.get("updated_by")} if reviewer_edit(annotation) \
            else annotation
        annotator = results.annotator_of(who)
        label = results.annotation_label(annotation)
        if annotator is None or label is None or task.get("id") is None:
            return False
        self.annotators.record(str(task.get("id")), annotator, label, approved)
        return True

    def _text_of(self, task: dict, to_name: Any) -> str | None:
        """The text to classify: the configured field, else the field the result points at
        (`to_name` is usually the data key), else the task's only string field."""
        data = task.get("data")
        if not isinstance(data, dict):
            return None
        for field in (self.text_field, to_name, "text"):
            if isinstance(field, str) and isinstance(data.get(field), str):
                if self.text_field is None:
                    self.text_field = field
                return data[field]
        strings = [value for value in data.values() if isinstance(value, str)]
        return strings[0] if len(strings) == 1 else None

    # serving -----------------------------------------------------------------------------

    def suggest(self, task: dict) -> Suggestion:
        """A label for the task's text, or an abstention below the calibrated threshold."""
        if not isinstance(task, dict) or not self.text_model.classes:
            return ABSTAIN
        text = self.text_of(task)
        if text is None:
            return ABSTAIN
        probabilities = self.text_model.probabilities(
            hashed_features(text, self.settings.bucket_bits))
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        candidate, score = self.text_model.classes[best], probabilities[best]
        threshold = self.calibrator.threshold(candidate)
        label = candidate if score >= threshold else None
        return Suggestion(label, score, candidate, threshold if threshold <= 1.0 else None)

    def text_of(self, task: dict) -> str | None:
        """The text `suggest` classifies: the learned or configured field, else `text`, else
        the task's only string field."""
        data = task.get("data")
        if not isinstance(data, dict):
            return None
        for field in (self.text_field, "text"):
            if isinstance(field, str) and isinstance(data.get(field), str):
                return data[field]
        strings = [value for value in data.values() if isinstance(value, str)]
        return strings[0] if len(strings) == 1 else None

    def region_suggestion(self, task: dict, region_text_or_item: str | dict) -> Suggestion:
        """The label the same surface text got most often before (abstains if never seen,
        or when no label has a smoothed majority)."""
        if isinstance(region_text_or_item, dict):
            surface = results.span_surface(task if isinstance(task, dict) else {},
                                           region_text_or_item)
        else:
            surface = region_text_or_item if isinstance(region_text_or_item, str) else None
        if surface is None:
            return ABSTAIN
        label, confidence, _ = self.spans.suggest(surface)
        if label is None or confidence is None:  # never seen (both are None then)
            return ABSTAIN
        return Suggestion(label if confidence >= 0.5 else None, confidence, label)

    def anomaly(self, label: str, x: Any, y: Any, width: Any, height: Any) -> float | None:
        """How unusual the box is for its label, in [0, 1]; None before 5 boxes of it."""
        if not isinstance(label, str):
            return None
        return self.geometry.anomaly(label, x, y, width, height)

    def reliability(self, annotator_id: Any) -> float | None:
        """Estimated share of the annotator's labels that are right (Dawid-Skene over the
        tasks several people labelled); None if unknown."""
        if annotator_id is None or isinstance(annotator_id, (dict, list)):
            return None
        return self.annotators.reliability(str(annotator_id))

    def annotation_count(self, annotator_id: Any) -> int | None:
        """How many of the tasks the suggester remembers the annotator labelled."""
        if annotator_id is None or isinstance(annotator_id, (dict, list)):
            return None
        return self.annotators.count(str(annotator_id))

    def should_explore(self, task_id: Any) -> bool:
        """Whether this task goes to a person even if the suggester is sure: a fixed share
        `explore`, drawn by a hash of the task id and the model seed (the same task always
        gets the same answer, which keeps replays and redelivered webhooks consistent)."""
        if self.settings.explore <= 0:
            return False
        digest = zlib.crc32(f"{self.settings.seed}:{task_id}".encode())
        return digest / 2**32 < self.settings.explore

    def live_accuracy(self) -> tuple[float | None, int]:
        """Accuracy measured on the explored share: (estimate or None, how many items)."""
        return self.calibrator.live_accuracy()
