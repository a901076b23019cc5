"""Turn a document into structured blocks. Runs in a child process under resource limits (see documents.parsing).

No Django here: the child imports only this module, the archive checks and the parsers.
Block: {"type": "heading"|"paragraph"|"list_item"|"table", "text": str, "level"?: int, "page"?: int, "rows"?: [[str]]}
"""

from __future__ import annotations

import io
import json
import re
import sys
import zipfile
from typing import Any

from documents.archives import ArchiveRejected, archive_check
from documents.i18n import gettext_noop
from documents.sniffing import DOCX, HTML, MARKDOWN, ODT, PDF, TXT, decode_text

Block = dict[str, Any]
_BULLET = re.compile(r"^\s*(?:[-*+•‣◦▪–]|\d{1,3}[.)])\s+")


class ExtractionError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def extract(data: bytes, mime_type: str) -> dict[str, Any]:
    parser = {PDF: _pdf, DOCX: _docx, ODT: _odt, HTML: _html, TXT: _text, MARKDOWN: _markdown}.get(mime_type)
    if parser is None:
        raise ExtractionError("unsupported_type", gettext_noop("This type of document cannot be read."))
    result = parser(data)
    blocks = [b for b in result.pop("blocks") if b.get("text", "").strip()]
    if not blocks:
        raise ExtractionError(
            "no_text", gettext_noop("The document contains no text. Check that you uploaded the right file.")
        )
    return {"blocks": blocks, "chars": sum(len(b["text"]) for b in blocks), **result}


def _table(rows: list[list[str]], **extra: Any) -> Block:
    rows = [[" ".join(cell.split()) for cell in row] for row in rows if any(c.strip() for c in row)]
    return {"type": "table", "rows": rows, "text": "\n".join(" | ".join(row) for row in rows), **extra}


# --- PDF -----------------------------------------------------------------------------------------------------


def _pdf(data: bytes) -> dict[str, Any]:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, LimitReachedError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError
        blocks: list[Block] = []
        for number, page in enumerate(reader.pages, start=1):
            blocks.extend(_pdf_page_blocks(page.extract_text() or "", number))
        pages = len(reader.pages)
    except FileNotDecryptedError as exc:
        raise ExtractionError(
            "encrypted_pdf",
            gettext_noop("This PDF is protected by a password. Remove the protection and upload it again."),
        ) from exc
    except (LimitReachedError, MemoryError, RecursionError) as exc:
        raise ExtractionError(
            "too_complex",
            gettext_noop("This PDF expands beyond the safe processing limits (it may be a decompression bomb)."),
        ) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, zipfile.BadZipFile) as exc:
        raise ExtractionError(
            "unreadable_pdf", gettext_noop("This PDF is damaged and cannot be read. Re-export it.")
        ) from exc
    if pages and not any(b["text"].strip() for b in blocks):
        raise ExtractionError(
            "image_only_pdf",
            gettext_noop(
                "This PDF contains only images (a scan), no text. Run it through OCR first, then upload the result."
            ),
        )
    return {"blocks": blocks, "pages": pages}


def _pdf_page_blocks(text: str, page: int) -> list[Block]:
    blocks: list[Block] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            blocks.append({"type": "paragraph", "text": " ".join(current), "page": page})
            current.clear()

    for raw in text.splitlines():
        line = " ".join(raw.split())
        if not line:
            flush()
            continue
        if _BULLET.match(line):
            flush()
            blocks.append({"type": "list_item", "text": _BULLET.sub("", line), "page": page})
            continue
        if blocks and blocks[-1]["type"] == "list_item" and not current and line[:1].islower():
            blocks[-1]["text"] += " " + line
            continue
        current.append(line)
        if line.endswith((".", "!", "?", ":", ";")) and len(line) < 60:
            flush()
    flush()
    return blocks


# --- DOCX ----------------------------------------------------------------------------------------------------


def _open_checked_zip(data: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        archive_check(archive)
    except ArchiveRejected as exc:
        raise ExtractionError(exc.code, exc.message) from exc
    return archive


def _docx(data: bytes) -> dict[str, Any]:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    _open_checked_zip(data).close()
    document = docx.Document(io.BytesIO(data))
    blocks: list[Block] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            blocks.append(_docx_paragraph(Paragraph(child, document)))
        elif tag == "tbl":
            table = Table(child, document)
            blocks.append(_table([[cell.text for cell in row.cells] for row in table.rows]))
    return {"blocks": blocks}


def _docx_paragraph(paragraph: Any) -> Block:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    text = paragraph.text
    if style == "Title":
        return {"type": "heading", "level": 1, "text": text}
    if style.startswith("Heading"):
        digits = "".join(ch for ch in style if ch.isdigit())
        return {"type": "heading", "level": int(digits or 1), "text": text}
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if style.startswith("List") or numbered:
        return {"type": "list_item", "text": text}
    return {"type": "paragraph", "text": text}


# --- ODT -----------------------------------------------------------------------------------------------------


def _odt(data: bytes) -> dict[str, Any]:
    from odf import teletype
    from odf.opendocument import load

    _open_checked_zip(data).close()
    document = load(io.BytesIO(data))
    blocks: list[Block] = []
    _odt_walk(document.text, blocks, teletype)
    return {"blocks": blocks}


def _odt_walk(node: Any, blocks: list[Block], teletype: Any) -> None:
    for child in node.childNodes:
        name = getattr(child, "qname", ("", ""))[1]
        if name == "h":
            level = int(child.getAttribute("outlinelevel") or 1)
            blocks.append({"type": "heading", "level": level, "text": teletype.extractText(child)})
        elif name == "p":
            blocks.append({"type": "paragraph", "text": teletype.extractText(child)})
        elif name == "list-item":
            blocks.append({"type": "list_item", "text": teletype.extractText(child)})
        elif name == "table":
            rows = [
                [teletype.extractText(cell) for cell in row.childNodes if cell.qname[1] == "table-cell"]
                for row in _odt_rows(child)
            ]
            blocks.append(_table(rows))
        elif name in {"list", "section", "span", "soft-page-break"} or child.childNodes:
            _odt_walk(child, blocks, teletype)


def _odt_rows(table: Any) -> list[Any]:
    rows: list[Any] = []
    for child in table.childNodes:
        name = getattr(child, "qname", ("", ""))[1]
        if name == "table-row":
            rows.append(child)
        elif name in {"table-header-rows", "table-rows", "table-row-group"}:
            rows.extend(_odt_rows(child))
    return rows


# --- HTML ----------------------------------------------------------------------------------------------------

_HTML_SKIP = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_HTML_CONTAINERS = {
    "html",
    "body",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "form",
    "figure",
    "ul",
    "ol",
    "dl",
    "blockquote",
    "center",
    "details",
    "fieldset",
}


def _html(data: bytes) -> dict[str, Any]:
    from bs4 import BeautifulSoup

    text = decode_text(data) or data.decode("utf-8", "replace")
    soup = BeautifulSoup(text, "html.parser")
    blocks: list[Block] = []
    _html_walk(soup, blocks)
    return {"blocks": blocks}


def _html_walk(node: Any, blocks: list[Block]) -> None:
    from bs4.element import NavigableString, Tag

    inline: list[str] = []

    def flush() -> None:
        joined = " ".join(" ".join(inline).split())
        if joined:
            blocks.append({"type": "paragraph", "text": joined})
        inline.clear()

    for child in node.children:
        if isinstance(child, NavigableString):
            if type(child).__name__ in {"Comment", "Doctype", "Declaration", "ProcessingInstruction"}:
                continue
            inline.append(str(child))
            continue
        if not isinstance(child, Tag) or child.name in _HTML_SKIP:
            continue
        name = child.name
        if name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            flush()
            blocks.append({"type": "heading", "level": int(name[1]), "text": " ".join(child.get_text(" ").split())})
        elif name in {"p", "pre", "dd", "dt", "figcaption", "caption"}:
            flush()
            blocks.append({"type": "paragraph", "text": " ".join(child.get_text(" ").split())})
        elif name == "li":
            flush()
            blocks.append({"type": "list_item", "text": " ".join(child.get_text(" ").split())})
        elif name == "table":
            flush()
            rows = [[c.get_text(" ") for c in tr.find_all(["td", "th"])] for tr in child.find_all("tr")]
            blocks.append(_table(rows))
        elif name in _HTML_CONTAINERS:
            flush()
            _html_walk(child, blocks)
        elif name == "br":
            flush()
        else:
            inline.append(child.get_text(" "))
    flush()


# --- Text and Markdown ---------------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    text = decode_text(data)
    if text is None:
        raise ExtractionError(
            "unsupported_encoding", gettext_noop("This text is not UTF-8 or UTF-16: save it as UTF-8.")
        )
    return text


def _text(data: bytes) -> dict[str, Any]:
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", _decode(data).replace("\r\n", "\n")):
        lines = [line.strip() for line in para.splitlines() if line.strip()]
        if lines and all(_BULLET.match(line) for line in lines):
            blocks.extend({"type": "list_item", "text": _BULLET.sub("", line)} for line in lines)
        elif lines:
            blocks.append({"type": "paragraph", "text": " ".join(lines)})
    return {"blocks": blocks}


def _markdown(data: bytes) -> dict[str, Any]:
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(_decode(data))
    blocks: list[Block] = []
    context: list[str] = []
    rows: list[list[str]] = []
    row: list[str] = []
    for token in tokens:
        if token.type.endswith("_open"):
            context.append(token.tag)
            if token.type == "tr_open":
                row = []
        elif token.type.endswith("_close"):
            if token.type == "tr_close":
                rows.append(row)
            elif token.type == "table_close":
                blocks.append(_table(rows))
                rows = []
            if context:
                context.pop()
        elif token.type == "inline":
            _markdown_inline(token.content, context, blocks, row)
        elif token.type in {"fence", "code_block"}:
            blocks.append({"type": "paragraph", "text": token.content.rstrip()})
    return {"blocks": blocks}


def _markdown_inline(content: str, context: list[str], blocks: list[Block], row: list[str]) -> None:
    if "th" in context or "td" in context:
        row.append(content)
    elif context and context[-1] in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        blocks.append({"type": "heading", "level": int(context[-1][1]), "text": content})
    elif "li" in context:
        blocks.append({"type": "list_item", "text": content})
    else:
        blocks.append({"type": "paragraph", "text": content})


def child_main() -> None:
    """Entry point of the parsing child: argv = [path, mime]; prints one JSON object on stdout."""
    path, mime_type = sys.argv[1], sys.argv[2]
    try:
        with open(path, "rb") as handle:
            result: dict[str, Any] = {"ok": extract(handle.read(), mime_type)}
    except ExtractionError as exc:
        result = {"error": {"code": exc.code, "message": exc.message}}
    except MemoryError:
        message = gettext_noop("The document needs more memory than allowed. Split it or re-export it.")
        result = {"error": {"code": "too_complex", "message": message}}
    sys.stdout.write(json.dumps(result))
