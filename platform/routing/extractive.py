"""The built-in extractive summariser: picks the document's most representative sentences. No model, any language.

Used only in degraded mode (policy allows it and no model endpoint is available) and in the quick start before a
model is connected; its output is labelled as extractive by the jobs pipeline.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter

# Sentence ends: Latin/Cyrillic/Greek punctuation followed by space, CJK full stops, or blank lines.
_SENTENCE_END = re.compile(r"(?<=[.!?…;])\s+(?=\S)|(?<=[。！？])|\n\s*\n")
_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")
_MIN_CHARS = 20


def split_sentences(text: str) -> list[str]:
    parts = (part.strip() for part in _SENTENCE_END.split(text))
    return [" ".join(part.split()) for part in parts if part and part.strip()]


def _terms(sentence: str) -> list[str]:
    lowered = sentence.lower()
    if _CJK.search(lowered):
        chars = [char for char in lowered if char.isalnum()]
        return [a + b for a, b in itertools.pairwise(chars)]
    return [word for word in _WORD.findall(lowered) if len(word) > 2 and not word.isdigit()]


def extractive_summary(*, text: str, language: str, max_sentences: int) -> str:
    """The `max_sentences` highest-scoring sentences, in document order.

    Score: mean TF-IDF weight of a sentence's terms, where "documents" are sentences, so words in every sentence
    (function words of any language) weigh nothing; a small bonus favours the opening sentences. `language` is
    accepted for the label and future tuning; the method itself needs no language resources.
    """
    sentences = [s for s in split_sentences(text) if len(s) >= _MIN_CHARS] or split_sentences(text)
    if max_sentences <= 0 or not sentences:
        return ""
    if len(sentences) <= max_sentences:
        return " ".join(sentences)
    bags = [_terms(sentence) for sentence in sentences]
    frequency: Counter[str] = Counter(term for bag in bags for term in bag)
    presence: Counter[str] = Counter(term for bag in bags for term in set(bag))
    total = len(sentences)
    scores = []
    for index, bag in enumerate(bags):
        if not bag:
            scores.append(0.0)
            continue
        weight = sum(math.log(1 + frequency[term]) * math.log(total / presence[term]) for term in bag)
        position = 1.0 + 0.3 / (1 + index)  # lead sentences tend to state the subject
        scores.append(weight / math.sqrt(len(bag)) * position)
    best = sorted(range(total), key=lambda i: (-scores[i], i))[:max_sentences]
    return " ".join(sentences[i] for i in sorted(best))
