from __future__ import annotations

import pickle
import time

import pytest

from routing.errors import AllCandidatesFailed, ContentFiltered, ContextOverflow, EndpointMisconfigured, ModelCallError
from routing.extractive import extractive_summary, split_sentences
from routing.tokens import APPROX_MARGIN, TEKKEN_MARGIN, count_tokens


@pytest.mark.parametrize(
    "error",
    [
        ModelCallError("boom", True),
        ContentFiltered(endpoint_name="azure-fr"),
        ContextOverflow("too big", n_ctx=4096, requested=5000),
        AllCandidatesFailed("all failed", last_error="ep1: 500"),
        EndpointMisconfigured("bad key", endpoint_name="ep2"),
    ],
)
def test_errors_pickle_roundtrip(error):
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is type(error)
    assert clone.message == error.message and clone.retryable == error.retryable
    assert vars(clone) == vars(error)


def test_error_retryability():
    assert not ContentFiltered().retryable and "content filter" in ContentFiltered().message
    assert not ContextOverflow("x", n_ctx=1).retryable
    assert AllCandidatesFailed("x").retryable
    assert not EndpointMisconfigured("x").retryable


def test_count_tokens_margins_and_speed():
    text = "Le ministère publie un rapport annuel sur la sécurité routière et ses recommandations. " * 100
    tekken = count_tokens(text, model="mistral-small-2503")
    unknown = count_tokens(text, model="some-model")
    assert unknown > tekken > 0
    assert round(unknown / tekken, 1) == round(APPROX_MARGIN / TEKKEN_MARGIN, 1)
    assert count_tokens("") == 0
    big = text * 60  # ~ 500 kB, the size of a long report
    count_tokens("warm up")
    started = time.perf_counter()
    assert count_tokens(big) > 100_000
    assert time.perf_counter() - started < 10  # sanity bound only; the bench measures speed


def test_extractive_picks_salient_sentences_in_order():
    text = (
        "La commune de Lyon a adopté un plan vélo ambitieux pour 2030. "
        "Il fait beau aujourd'hui. "
        "Le plan vélo prévoit 300 kilomètres de pistes cyclables et un budget vélo de 100 millions. "
        "Merci pour votre attention. "
        "Les pistes cyclables du plan vélo relieront les quartiers au centre de Lyon."
    )
    summary = extractive_summary(text=text, language="fr", max_sentences=2)
    picked = split_sentences(summary)
    assert len(picked) == 2
    assert "Il fait beau" not in summary and "Merci" not in summary
    sentences = split_sentences(text)
    assert sentences.index(picked[0]) < sentences.index(picked[1])


def test_extractive_any_script():
    text = "東京都は新しい交通計画を発表した。交通計画は自転車道を増やす。今日は晴れ。自転車道の計画は二年で完了する。"
    summary = extractive_summary(text=text, language="ja", max_sentences=2)
    assert summary and len(split_sentences(summary)) == 2
    assert extractive_summary(text="", language="en", max_sentences=3) == ""
