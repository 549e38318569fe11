"""Text -> sparse hashed features: lower-cased word unigrams and bigrams.

Hashing keeps the model's size bounded however many words it meets, and a learning step
touches only the features of the text at hand, which is what makes `learn` cost
O(size of the annotation) rather than O(size of the model). CRC-32 is used because it is
stable across processes and Python versions (the built-in `hash` of a string is salted).
"""
from __future__ import annotations

import math
import re
import zlib

WORD_PATTERN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)

DEFAULT_BUCKET_BITS = 20

# Only this many characters of a task's text are read: a suggester must never spend
# unbounded time on one hostile task.
MAXIMUM_TEXT_LENGTH = 200_000


def words(text: str) -> list[str]:
    """The lower-cased words of a text, in order."""
    return WORD_PATTERN.findall(text[:MAXIMUM_TEXT_LENGTH].lower())


def hashed_features(text: str, bucket_bits: int = DEFAULT_BUCKET_BITS) -> dict[int, float]:
    """Unigram and bigram presence, hashed into 2**bucket_bits buckets, L2-normalised.

    Presence (not counts) and normalisation keep long articles from producing huge scores,
    one of the reasons raw-count naive Bayes is over-confident.
    """
    mask = (1 << bucket_bits) - 1
    tokens = words(text)
    buckets: set[int] = set()
    previous = "<s>"
    for token in tokens:
        buckets.add(zlib.crc32(token.encode("utf-8")) & mask)
        buckets.add(zlib.crc32(f"{previous} {token}".encode()) & mask)
        previous = token
    if not buckets:
        return {}
    value = 1.0 / math.sqrt(len(buckets))
    return {bucket: value for bucket in buckets}
