"""Chunking never drops, reorders or duplicates text, and never exceeds its budget."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from jobs.chunking import Unit, halve, pack, split_oversized, units_from_blocks


def words(text: str) -> int:
    return len(text.split()) or 1


texts = st.lists(
    st.text(alphabet="abc .!?", min_size=1, max_size=200).filter(lambda t: t.strip()), min_size=1, max_size=40
)


@settings(max_examples=200, deadline=None)
@given(texts, st.integers(min_value=3, max_value=60))
def test_pack_keeps_every_word_in_order_within_budget(items: list[str], budget: int) -> None:
    units = [Unit(text=t) for t in items]
    chunks = pack(units, budget=budget, count=words)
    assert " ".join(c.text for c in chunks).split() == " ".join(items).split()
    assert all(words(c.text) <= budget for c in chunks)
    assert all(c.tokens >= words(c.text) for c in chunks)


@settings(max_examples=100, deadline=None)
@given(st.text(min_size=1, max_size=500).filter(lambda t: t.strip()), st.integers(min_value=1, max_value=20))
def test_split_oversized_loses_nothing(text: str, budget: int) -> None:
    pieces = split_oversized(Unit(text=text), budget=budget, count=words)
    # a single over-long word may be cut inside, so compare the characters (whitespace aside)
    assert "".join("".join(p.text for p in pieces).split()) == "".join(text.split())


def test_halve_cuts_near_the_middle_at_a_boundary() -> None:
    left, right = halve("First paragraph.\n\nSecond paragraph.\n\nThird one here.")
    assert left.endswith("paragraph.") and right and (left + " " + right).count("paragraph") == 2


def test_units_carry_pages_sections_and_lists() -> None:
    blocks = [
        {"type": "heading", "level": 2, "text": "Budget", "page": 3},
        {"type": "list_item", "text": "one", "page": 3},
        {"type": "list_item", "text": "two", "page": 4},
        {"type": "table", "text": "a | b", "rows": [["a", "b"], ["1", "2"]], "page": 4},
    ]
    assert units_from_blocks(blocks, page_markers=False)[1].text == "- one\n- two"
    units = units_from_blocks(blocks, page_markers=True)
    assert units[0].text == "[p. 3] ## Budget"
    assert units[1].text == "- one\n[p. 4] - two"  # summaries cite pages: the marker follows the page change
    assert units[2].text == "| a | b |\n|---|---|\n| 1 | 2 |"
    assert units[2].section == "Budget"
    chunk = pack(units, budget=100, count=words)[0]
    assert chunk.refs() == {"pages": [3, 4], "sections": ["Budget"]}
