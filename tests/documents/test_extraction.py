"""Extraction runs in a limited child process and returns structured blocks, or a clear reason."""

from __future__ import annotations

import pytest

from documents import sniffing
from documents.parsing import parse_file
from tests.documents import files


def _parse(tmp_path, data: bytes, mime: str):
    path = tmp_path / "doc"
    path.write_bytes(data)
    return parse_file(path=str(path), mime_type=mime)


def test_pdf_blocks_carry_page_numbers(tmp_path) -> None:
    outcome = _parse(tmp_path, files.make_pdf([["First page text."], ["Second page text."]]), sniffing.PDF)
    assert outcome.extraction is not None, outcome.error_message
    assert outcome.extraction["pages"] == 2
    pages = [b["page"] for b in outcome.extraction["blocks"]]
    assert pages == [1, 2]
    assert "Second page text." in outcome.extraction["blocks"][1]["text"]


def test_docx_structure(tmp_path) -> None:
    data = files.make_docx(
        heading="Rapport",
        paragraphs=("Premier paragraphe.",),
        bullets=("point un", "point deux"),
        table=(("Col A", "Col B"), ("1", "2")),
    )
    outcome = _parse(tmp_path, data, sniffing.DOCX)
    blocks = outcome.extraction["blocks"]
    assert blocks[0] == {"type": "heading", "level": 1, "text": "Rapport"}
    assert {"type": "paragraph", "text": "Premier paragraphe."} in blocks
    assert [b["text"] for b in blocks if b["type"] == "list_item"] == ["point un", "point deux"]
    table = next(b for b in blocks if b["type"] == "table")
    assert table["rows"] == [["Col A", "Col B"], ["1", "2"]]


def test_odt_structure(tmp_path) -> None:
    outcome = _parse(tmp_path, files.make_odt(heading="Titre", paragraphs=("Alpha.", "Beta.")), sniffing.ODT)
    assert [b["type"] for b in outcome.extraction["blocks"]] == ["heading", "paragraph", "paragraph"]


def test_html_structure_keeps_all_text(tmp_path) -> None:
    html = (
        b"<html><head><script>evil()</script><style>p{}</style></head><body><h2>Section</h2>"
        b"<div>Loose text <b>bold</b></div><ul><li>one</li><li>two</li></ul>"
        b"<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table></body></html>"
    )
    blocks = _parse(tmp_path, html, sniffing.HTML).extraction["blocks"]
    texts = [b["text"] for b in blocks]
    assert blocks[0] == {"type": "heading", "level": 2, "text": "Section"}
    assert "Loose text bold" in texts
    assert "evil()" not in " ".join(texts)
    assert [b["type"] for b in blocks].count("list_item") == 2
    assert blocks[-1]["rows"] == [["k", "v"], ["a", "1"]]


def test_markdown_structure(tmp_path) -> None:
    md = b"# Titel\n\nEin Absatz.\n\n- eins\n- zwei\n\n| a | b |\n|---|---|\n| 1 | 2 |\n"
    blocks = _parse(tmp_path, md, sniffing.MARKDOWN).extraction["blocks"]
    assert [b["type"] for b in blocks] == ["heading", "paragraph", "list_item", "list_item", "table"]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (files.make_encrypted_pdf(), "encrypted_pdf"),
        (files.make_image_only_pdf(), "image_only_pdf"),
        (b"   \n\n  ", "no_text"),
        (b"%PDF-1.4 garbage that is not a pdf", "unreadable_pdf"),
    ],
)
def test_unreadable_documents_get_clear_reasons(tmp_path, data: bytes, code: str) -> None:
    mime = sniffing.TXT if data.strip() == b"" else sniffing.PDF
    outcome = _parse(tmp_path, data, mime)
    assert outcome.extraction is None
    assert outcome.error_code == code
    assert len(outcome.error_message) > 20


def test_nested_flate_pdf_bomb_is_contained(tmp_path) -> None:
    data = files.make_pdf([["bomb"]], nested_flate=5, inflated_bytes=300 << 20)
    outcome = _parse(tmp_path, data, sniffing.PDF)
    assert outcome.extraction is None
    assert outcome.error_code == "too_complex"


def test_memory_limit_kills_the_child_not_the_caller(tmp_path, settings) -> None:
    # A content stream inflating to 70 MB (under pypdf's own 75 MB cap) in a child allowed 100 MB in all.
    settings.TRAMONTANE_PARSE_MEMORY_MB = 100
    data = files.make_pdf([["x"]], nested_flate=1, inflated_bytes=70 << 20)
    outcome = _parse(tmp_path, data, sniffing.PDF)
    assert outcome.extraction is None
    assert outcome.error_code == "too_complex"
