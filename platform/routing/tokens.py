"""Offline token counting with mistral-common's bundled Tekken tokenizer.

The wheel ships Tekken vocabularies (no network, no SentencePiece needed). Tekken is the tokenizer of the current
Mistral models (Nemo, Ministral, Small 3.x, Medium, Large 2411+), so counts for them get a small margin; for older
SentencePiece models (Mistral 7B, Mixtral) and unknown models the count is an approximation and gets a wider one.
Better to plan one chunk too many than to overflow a context window.
"""

from __future__ import annotations

import functools
import math
from typing import Any

TEKKEN_MARGIN = 1.05  # same tokenizer family, vocabulary version may differ slightly
APPROX_MARGIN = 1.15  # other tokenizers: Tekken is only an approximation
_TEKKEN_HINTS = (
    "nemo",
    "ministral",
    "pixtral",
    "small-3",
    "small-2503",
    "small-2501",
    "medium",
    "large-2411",
    "large-3",
    "magistral",
    "codestral-2501",
    "devstral",
    "tekken",
)


@functools.lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from mistral_common.tokens.tokenizers.mistral import MistralTokenizer

    return MistralTokenizer.v3(is_tekken=True).instruct_tokenizer.tokenizer


def margin_for(model: str | None) -> float:
    name = (model or "").lower()
    return TEKKEN_MARGIN if any(hint in name for hint in _TEKKEN_HINTS) else APPROX_MARGIN


def count_tokens(text: str, *, model: str | None = None) -> int:
    """Tokens `text` will take on `model`, rounded up with a safety margin (see module docstring)."""
    if not text:
        return 0
    raw = len(_tokenizer().encode(text, bos=False, eos=False))
    return math.ceil(raw * margin_for(model))


def count_message_tokens(messages: list[dict[str, str]], *, model: str | None = None) -> int:
    """Prompt tokens of a chat request: contents plus a few control tokens per message."""
    return sum(count_tokens(message.get("content", ""), model=model) + 4 for message in messages) + 2
