"""Content sniffing: the type comes from the bytes (magic numbers, archive layout), never from the name."""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from documents.archives import ArchiveRejected, archive_check
from documents.i18n import gettext_noop, localize

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
HTML = "text/html"
TXT = "text/plain"
MARKDOWN = "text/markdown"
SUPPORTED = (PDF, DOCX, ODT, HTML, TXT, MARKDOWN)
SUPPORTED_LABEL = gettext_noop("PDF, DOCX, ODT, HTML, plain text (.txt) or Markdown (.md)")

# What each known extension may contain; text and Markdown are told apart by heuristics, so they share a family.
_EXTENSION_TYPES = {
    ".pdf": {PDF},
    ".docx": {DOCX},
    ".odt": {ODT},
    ".html": {HTML},
    ".htm": {HTML},
    ".txt": {TXT, MARKDOWN},
    ".text": {TXT, MARKDOWN},
    ".md": {TXT, MARKDOWN},
    ".markdown": {TXT, MARKDOWN},
}
_SNIFF_BYTES = 64 * 1024
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)[\s>]", re.IGNORECASE | re.DOTALL)
_MD_HINTS = re.compile(
    r"(^#{1,6}\s+\S)|(^```)|(\[[^\]]+\]\([^)]+\))|(^\s*[-*+]\s+\S.*\n\s*[-*+]\s+\S)|(^\|.+\|\s*$)", re.MULTILINE
)
_OTHER_MAGIC = {
    b"\xd0\xcf\x11\xe0": gettext_noop("a legacy Microsoft Office file (.doc/.xls): save it as DOCX or PDF"),
    b"\x89PNG": gettext_noop("a PNG image: Tramontane reads text documents, not images"),
    b"\xff\xd8\xff": gettext_noop("a JPEG image: Tramontane reads text documents, not images"),
    b"GIF8": gettext_noop("a GIF image"),
    b"\x1f\x8b": gettext_noop("a gzip archive: upload the document itself, not an archive"),
    b"7z\xbc\xaf": gettext_noop("a 7-Zip archive: upload the document itself, not an archive"),
    b"Rar!": gettext_noop("a RAR archive: upload the document itself, not an archive"),
    b"MZ": gettext_noop("a Windows program"),
    b"\x7fELF": gettext_noop("a program"),
    b"{\\rtf": gettext_noop("an RTF file: save it as DOCX or PDF"),
}


class SniffRejected(Exception):
    """The content is not a supported document, or does not match its name. `message` is English (logs, audit);
    `localized()` is for the person reading it (params that are themselves messages are translated too)."""

    def __init__(self, *, status: int, code: str, message: str, params: dict[str, Any] | None = None) -> None:
        self.template, self.params = message, params or {}
        self.status = status
        self.code = code
        self.message = message % self.params if self.params else message
        super().__init__(self.message)

    def localized(self) -> str:
        return localize(self.template, {k: localize(v) if isinstance(v, str) else v for k, v in self.params.items()})


@dataclass(frozen=True)
class Sniffed:
    mime_type: str
    encrypted: bool = False


def sniff(stream: BinaryIO, *, filename: str = "") -> Sniffed:
    """Detect the type of `stream` by content; check that the name, when it has a known extension, agrees."""
    stream.seek(0)
    head = stream.read(_SNIFF_BYTES)
    stream.seek(0)
    if not head:
        raise SniffRejected(
            status=400, code="empty_file", message=gettext_noop("The file is empty: choose the right file.")
        )
    sniffed = _sniff_content(stream, head)
    _check_extension(filename, sniffed.mime_type)
    return sniffed


def _sniff_content(stream: BinaryIO, head: bytes) -> Sniffed:
    if b"%PDF-" in head[:1024]:
        return Sniffed(PDF, encrypted=_pdf_looks_encrypted(stream))
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return Sniffed(_sniff_zip(stream))
    for magic, label in _OTHER_MAGIC.items():
        if head.startswith(magic):
            raise SniffRejected(
                status=415,
                code="unsupported_type",
                message=gettext_noop("This file is %(what)s. Upload %(supported)s."),
                params={"what": label, "supported": SUPPORTED_LABEL},
            )
    return Sniffed(_sniff_text(head))


def _pdf_looks_encrypted(stream: BinaryIO) -> bool:
    # The trailer (at the end) names the /Encrypt dictionary; a byte scan needs no parser, so it is safe here.
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(max(0, size - 64 * 1024))
    tail = stream.read()
    stream.seek(0)
    return b"/Encrypt" in tail


def _sniff_zip(stream: BinaryIO) -> str:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive_check(archive)
            if "word/document.xml" in names and "[Content_Types].xml" in names:
                return DOCX
            if "content.xml" in names and "mimetype" in names:
                # The mimetype entry is tiny and checked by archive_check; reading it inflates at most a few bytes.
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
                if declared == ODT:
                    return ODT
    except ArchiveRejected as exc:
        raise SniffRejected(status=422, code=exc.code, message=exc.template, params=exc.params) from exc
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise SniffRejected(
            status=422,
            code="corrupt_archive",
            message=gettext_noop("The file looks like a DOCX/ODT but is damaged. Re-save it and try again."),
        ) from exc
    finally:
        stream.seek(0)
    raise SniffRejected(
        status=415,
        code="unsupported_type",
        message=gettext_noop("This ZIP archive is not a DOCX or ODT document. Upload %(supported)s."),
        params={"supported": SUPPORTED_LABEL},
    )


def _sniff_text(head: bytes) -> str:
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SniffRejected(
            status=415,
            code="unsupported_type",
            message=gettext_noop("This file is binary and not a supported document. Upload %(supported)s."),
            params={"supported": SUPPORTED_LABEL},
        )
    text = decode_text(head, partial=True)
    if text is None:
        raise SniffRejected(
            status=415,
            code="unsupported_encoding",
            message=gettext_noop("This text file is not in UTF-8 or UTF-16. Save it as UTF-8 and try again."),
        )
    if _HTML_START.match(text.lstrip("\ufeff").encode("utf-8", "replace")):
        return HTML
    if _MD_HINTS.search(text):
        return MARKDOWN
    return TXT


def decode_text(data: bytes, *, partial: bool = False) -> str | None:
    """Decode UTF-8 (with or without BOM) or UTF-16 with BOM; None when it is neither."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16", errors="strict" if not partial else "ignore")
        except UnicodeDecodeError:
            return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # A sniffing window may cut a multi-byte character in its last 3 bytes.
        if partial and exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8-sig")
        return None


def _check_extension(filename: str, mime_type: str) -> None:
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    allowed = _EXTENSION_TYPES.get(suffix)
    if allowed is not None and mime_type not in allowed:
        raise SniffRejected(
            status=415,
            code="content_mismatch",
            message=gettext_noop(
                "The file is named '%(suffix)s' but its content is %(content)s. "
                "Upload the real file, or give it the right extension."
            ),
            params={"suffix": suffix, "content": describe(mime_type)},
        )


def describe(mime_type: str) -> str:
    return {
        PDF: "PDF",
        DOCX: "DOCX",
        ODT: "ODT",
        HTML: "HTML",
        TXT: gettext_noop("plain text"),
        MARKDOWN: "Markdown",
    }.get(mime_type, mime_type)
