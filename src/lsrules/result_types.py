"""Label Studio's result vocabulary: per result type, the keys its `value` holds.

Every part that reads result items (regions, the built-in pack, the labeling-config reader,
stream events, JSON_MIN exports, the suggester) asks here, so they agree on which key holds
the labels, which types describe a whole object rather than a region, and which draw a
shape. Label Studio itself validates none of this: it stores what it is sent.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ResultType:
    """One result item `type` as Label Studio writes it."""

    name: str
    value_keys: tuple[str, ...]  # the keys its value must hold (optional ones not listed)
    label_key: str | None = None  # the key holding the labels a person chose
    answer_key: str | None = None  # no labels: the key holding the one answer (a text, ...)
    classification: bool = False  # about the whole object, not a region: Label Studio gives
    #                               its items no id of their own
    geometry: str | None = None  # "box", "ellipse", "point" or "polygon"
    number_keys: tuple[str, ...] = ()  # value keys that hold numbers
    optional_keys: tuple[str, ...] = ()  # keys the editor may add (a span's text, ...)

    @property
    def known_keys(self) -> frozenset[str]:
        """Every key its value can hold: what `region.value.<key>` may name."""
        return frozenset(self.value_keys + self.number_keys + self.optional_keys)


_BOX = ("x", "y", "width", "height")
_BOX_NUMBERS = ("x", "y", "width", "height", "rotation")
_ELLIPSE = ("x", "y", "radiusX", "radiusY")
_ELLIPSE_NUMBERS = ("x", "y", "radiusX", "radiusY", "rotation")
_POINT_NUMBERS = ("x", "y", "width")
_SPAN = ("start", "end")
_HTML_SPAN = ("start", "end", "startOffset", "endOffset")
_HTML_SPAN_NUMBERS = ("startOffset", "endOffset")


_SPAN_OPTIONAL = ("text", "channel")  # audio spans carry a channel
_HTML_OPTIONAL = ("text", "globalOffsets")


def _labelled(name: str, keys: tuple[str, ...], **facts) -> ResultType:
    return ResultType(name, keys + (name,), label_key=name, **facts)


# In the order labels are looked for when an item's own type names no key of its value.
RESULT_TYPES: dict[str, ResultType] = {kind.name: kind for kind in (
    _labelled("labels", _SPAN, number_keys=_SPAN, optional_keys=_SPAN_OPTIONAL),
    ResultType("choices", ("choices",), label_key="choices", classification=True),
    _labelled("rectanglelabels", _BOX, geometry="box", number_keys=_BOX_NUMBERS),
    ResultType("rectangle", _BOX, geometry="box", number_keys=_BOX_NUMBERS),
    _labelled("polygonlabels", ("points",), geometry="polygon", optional_keys=("closed",)),
    ResultType("polygon", ("points",), geometry="polygon", optional_keys=("closed",)),
    _labelled("keypointlabels", ("x", "y"), geometry="point", number_keys=_POINT_NUMBERS),
    ResultType("keypoint", ("x", "y"), geometry="point", number_keys=_POINT_NUMBERS),
    _labelled("ellipselabels", _ELLIPSE, geometry="ellipse", number_keys=_ELLIPSE_NUMBERS),
    ResultType("ellipse", _ELLIPSE, geometry="ellipse", number_keys=_ELLIPSE_NUMBERS),
    _labelled("brushlabels", ("format", "rle")),
    ResultType("brush", ("format", "rle")),
    _labelled("hypertextlabels", _HTML_SPAN, number_keys=_HTML_SPAN_NUMBERS,
              optional_keys=_HTML_OPTIONAL),
    _labelled("paragraphlabels", _HTML_SPAN, number_keys=_HTML_SPAN_NUMBERS,
              optional_keys=_HTML_OPTIONAL),
    _labelled("timeserieslabels", ("start", "end", "instant")),
    ResultType("videorectangle", ("sequence",), label_key="labels",
               optional_keys=("labels", "framesCount", "duration")),
    ResultType("taxonomy", ("taxonomy",), label_key="taxonomy", classification=True),
    _labelled("bitmasklabels", ("imageDataURL",)),
    ResultType("bitmask", ("imageDataURL",)),
    _labelled("ocrlabels", _BOX, geometry="box", number_keys=_BOX_NUMBERS),
    _labelled("vectorlabels", ("vertices",)),
    ResultType("vector", ("vertices",)),
    _labelled("timelinelabels", ("ranges",)),
    ResultType("textarea", ("text",), answer_key="text", classification=True),
    ResultType("rating", ("rating",), answer_key="rating", classification=True,
               number_keys=("rating",)),
    ResultType("number", ("number",), answer_key="number", classification=True,
               number_keys=("number",)),
    ResultType("datetime", ("datetime",), answer_key="datetime", classification=True),
    ResultType("ranker", ("ranker",), classification=True),
    ResultType("pairwise", ("selected",), classification=True),
)}

VALUE_KEYS: dict[str, tuple[str, ...]] = {name: kind.value_keys
                                          for name, kind in RESULT_TYPES.items()}
# result type -> the value key holding its labels
LABEL_KEYS: dict[str, str] = {name: kind.label_key for name, kind in RESULT_TYPES.items()
                              if kind.label_key is not None}
# every value key that holds labels a person chose (texts, ratings, numbers are no labels)
LABEL_VALUE_KEYS: tuple[str, ...] = tuple(dict.fromkeys(LABEL_KEYS.values()))
# ... and then the keys of the one-answer types: what `region.label` reads
ANSWER_VALUE_KEYS: tuple[str, ...] = LABEL_VALUE_KEYS + tuple(dict.fromkeys(
    kind.answer_key for kind in RESULT_TYPES.values() if kind.answer_key is not None))
# types about a whole object (Label Studio gives their items no id)
CLASSIFICATIONS: frozenset[str] = frozenset(name for name, kind in RESULT_TYPES.items()
                                            if kind.classification)
# a classification with one answer key -> that key: what a fix can add (`add_item`)
ANSWER_KEY_OF: dict[str, str] = {name: key for name, kind in RESULT_TYPES.items()
                                 if kind.classification
                                 for key in (kind.label_key or kind.answer_key,) if key}
# ... and back: the type of the item a fix adds when no config says
# (`set region.attrs.severity.choices = [...]` adds a "choices" item)
ANSWER_TYPES: dict[str, str] = {key: name for name, key in ANSWER_KEY_OF.items()}
# answer keys whose value is a list of strings (a fix may give one string)
LIST_ANSWER_KEYS = frozenset({"choices", "text"})
