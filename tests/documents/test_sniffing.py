from __future__ import annotations

import io

import pytest

from documents import sniffing
from documents.sniffing import SniffRejected, sniff
from tests.documents import files


def _sniff(data: bytes, name: str = "") -> str:
    return sniff(io.BytesIO(data), filename=name).mime_type


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (files.make_pdf([["Hello"]]), sniffing.PDF),
        (files.make_docx(paragraphs=("Bonjour",)), sniffing.DOCX),
        (files.make_odt(heading="Titre", paragraphs=("Texte",)), sniffing.ODT),
        (b"<!DOCTYPE html><html><body><p>Hi</p></body></html>", sniffing.HTML),
        (b"  <html lang='fr'><p>Salut</p></html>", sniffing.HTML),
        (b"# Title\n\nSome *text* here.\n", sniffing.MARKDOWN),
        (b"Just a plain letter.\nWith two lines.\n", sniffing.TXT),
        ("Lettre accentuée : été.".encode("utf-16"), sniffing.TXT),
    ],
)
def test_type_comes_from_content_not_name(data: bytes, expected: str) -> None:
    assert _sniff(data, "noextension") == expected


def test_html_renamed_pdf_is_rejected_with_clear_message() -> None:
    with pytest.raises(SniffRejected) as caught:
        _sniff(b"<html><body><p>not a pdf</p></body></html>", "report.pdf")
    assert caught.value.status == 415
    assert caught.value.code == "content_mismatch"
    assert "HTML" in caught.value.message and ".pdf" in caught.value.message


def test_pdf_with_docx_name_is_rejected() -> None:
    with pytest.raises(SniffRejected) as caught:
        _sniff(files.make_pdf([["x"]]), "letter.docx")
    assert caught.value.code == "content_mismatch"


def test_markdown_named_txt_is_accepted() -> None:
    assert _sniff(b"# Heading\n\ntext", "notes.txt") == sniffing.MARKDOWN


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty_file"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "unsupported_type"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 20, "unsupported_type"),
        (b"\x7fELF\x02\x01" + b"\0" * 50, "unsupported_type"),
        (bytes(range(256)) * 4, "unsupported_type"),
        (b"caf\xe9 cr\xe8me in latin-1", "unsupported_encoding"),
    ],
)
def test_unsupported_content_is_rejected(data: bytes, code: str) -> None:
    with pytest.raises(SniffRejected) as caught:
        _sniff(data, "file")
    assert caught.value.code == code
    assert caught.value.message


def test_plain_zip_is_not_a_document() -> None:
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(SniffRejected) as caught:
        _sniff(buffer.getvalue(), "x.docx")
    assert caught.value.status == 415


def test_encrypted_pdf_is_flagged_without_parsing() -> None:
    assert sniff(io.BytesIO(files.make_encrypted_pdf())).encrypted
    assert not sniff(io.BytesIO(files.make_pdf([["x"]]))).encrypted
