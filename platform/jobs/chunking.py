"""Token-aware chunking by structure. Every block lands in exactly one chunk, in order; nothing is dropped."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Counter = Callable[[str], int]
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+")


@dataclass
class Unit:
    text: str
    page: int | None = None
    section: str = ""


@dataclass
class Chunk:
    text: str
    tokens: int
    pages: list[int] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)

    def refs(self) -> dict[str, Any]:
        pages = [min(self.pages), max(self.pages)] if self.pages else []
        return {"pages": pages, "sections": self.sections[:20]}


def block_markdown(block: dict[str, Any]) -> str:
    kind = block.get("type")
    text = str(block.get("text", "")).strip()
    if kind == "heading":
        return "#" * min(int(block.get("level", 1) or 1), 6) + " " + text
    if kind == "list_item":
        return "- " + text
    if kind == "table":
        rows = block.get("rows") or [line.split(" | ") for line in text.splitlines()]
        lines = ["| " + " | ".join(str(cell).replace("|", "/") for cell in row) + " |" for row in rows]
        if lines:
            lines.insert(1, "|" + "---|" * len(rows[0]))
        return "\n".join(lines)
    return text


def units_from_blocks(blocks: Sequence[dict[str, Any]], *, page_markers: bool) -> list[Unit]:
    """One unit per block (as Markdown); summaries get [p. N] markers so the model can cite pages."""
    units: list[Unit] = []
    section = ""
    last_page: int | None = None
    for index, block in enumerate(blocks):
        page = block.get("page")
        text = block_markdown(block)
        if block.get("type") == "heading":
            section = str(block.get("text", "")).strip()[:200]
        if page_markers and page is not None and page != last_page:
            text = f"[p. {page}] {text}"
        last_page = page if page is not None else last_page
        previous = blocks[index - 1] if index else None
        if block.get("type") == "list_item" and previous is not None and previous.get("type") == "list_item":
            units[-1].text += "\n" + text  # a list stays one unit: its items are rendered as one Markdown list
            continue
        units.append(Unit(text=text, page=page, section=section))
    return units


def split_oversized(unit: Unit, *, budget: int, count: Counter) -> list[Unit]:
    """Split a unit larger than the budget at sentence, then word boundaries (no text lost)."""
    if count(unit.text) <= budget:
        return [unit]
    pieces = [p for p in _SENTENCE.split(unit.text) if p]
    if len(pieces) == 1:
        words = unit.text.split(" ")
        if len(words) == 1:
            half = max(1, len(unit.text) // 2)
            pieces = [unit.text[:half], unit.text[half:]]
        else:
            half = len(words) // 2
            pieces = [" ".join(words[:half]), " ".join(words[half:])]
    out: list[Unit] = []
    current = ""
    for piece in pieces:
        candidate = f"{current} {piece}".strip()
        if current and count(candidate) > budget:
            out.extend(split_oversized(Unit(current, unit.page, unit.section), budget=budget, count=count))
            current = piece
        else:
            current = candidate
    if current:
        out.extend(split_oversized(Unit(current, unit.page, unit.section), budget=budget, count=count))
    return out


def pack(units: Sequence[Unit], *, budget: int, count: Counter, separator: str = "\n\n") -> list[Chunk]:
    """Greedy, order-preserving packing of units into chunks of at most `budget` tokens.

    A chunk's size is the sum of its units' sizes plus separators: an upper bound of the joined text's count
    (tokenizers merge at most across the separator), computed without tokenizing everything twice."""
    if budget < 1:
        raise ValueError("budget must be positive")
    chunks: list[Chunk] = []
    parts: list[Unit] = []
    used = 0
    sep = count(separator) if separator.strip() else 1
    for big in units:
        size = count(big.text)
        pieces = (
            [(big, size)]
            if size <= budget
            else [(u, count(u.text)) for u in split_oversized(big, budget=budget, count=count)]
        )
        for unit, unit_size in pieces:
            if parts and used + sep + unit_size > budget:
                chunks.append(_chunk(parts, separator, used))
                parts, used = [], 0
            used += (sep if parts else 0) + unit_size
            parts.append(unit)
    if parts:
        chunks.append(_chunk(parts, separator, used))
    return chunks


def _chunk(parts: list[Unit], separator: str, tokens: int) -> Chunk:
    text = separator.join(unit.text for unit in parts)
    sections: list[str] = []
    for unit in parts:
        if unit.section and unit.section not in sections:
            sections.append(unit.section)
    return Chunk(text=text, tokens=tokens, pages=[u.page for u in parts if u.page is not None], sections=sections)


def halve(text: str) -> tuple[str, str]:
    """Two halves at a block, sentence or word boundary near the middle, for a request the model refused as too
    long."""
    middle = len(text) // 2
    for separator in ("\n\n", "\n", ". ", " "):
        left = text.rfind(separator, 0, middle)
        right = text.find(separator, middle)
        cut = min((c for c in (left, right) if c > 0), key=lambda c: abs(c - middle), default=-1)
        if cut > 0:
            return text[: cut + len(separator)].rstrip(), text[cut + len(separator) :].lstrip()
    return text[:middle], text[middle:]
