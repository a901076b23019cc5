"""Results as Markdown (stored), plain text and DOCX (rendered on download from the Markdown)."""

from __future__ import annotations

import io
import re

from jobs.params import SUPPORTED_LANGUAGES
from jobs.results import language_marker

_TABLE_ROW = re.compile(r"^\|(.+)\|\s*$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


def _language_title(code: str) -> str:
    return f"{SUPPORTED_LANGUAGES.get(code, code)} ({code})"


def as_text(markdown: str) -> str:
    lines = []
    for line in markdown.splitlines():
        code = language_marker(line)
        if code:
            lines.append(f"=== {_language_title(code)} ===")
            continue
        if _TABLE_RULE.match(line.strip()):
            continue
        line = re.sub(r"^#{1,6}\s+", "", line)
        row = _TABLE_ROW.match(line.strip())
        if row:
            line = "\t".join(cell.strip() for cell in row.group(1).split("|"))
        line = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: m.group(1) or m.group(2), line)
        lines.append(line)
    return "\n".join(lines).strip() + "\n"


def as_docx(markdown: str, *, title: str) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = title[:200]
    table_rows: list[list[str]] = []

    def flush_table() -> None:
        if not table_rows:
            return
        width = max(len(row) for row in table_rows)
        table = document.add_table(rows=len(table_rows), cols=width)
        table.style = "Table Grid"
        for r, row in enumerate(table_rows):
            for c, cell in enumerate(row):
                table.cell(r, c).text = cell
        table_rows.clear()

    for raw in markdown.splitlines():
        line = raw.rstrip()
        row = _TABLE_ROW.match(line.strip())
        if row:
            if not _TABLE_RULE.match(line.strip()):
                table_rows.append([cell.strip() for cell in row.group(1).split("|")])
            continue
        flush_table()
        if not line.strip():
            continue
        code = language_marker(line)
        if code:
            document.add_heading(_language_title(code), level=1)
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            document.add_heading(heading.group(2), level=min(len(heading.group(1)), 6))
        elif re.match(r"^\s*[-*+]\s+", line):
            document.add_paragraph(re.sub(r"^\s*[-*+]\s+", "", line), style="List Bullet")
        elif re.match(r"^\s*\d+[.)]\s+", line):
            document.add_paragraph(re.sub(r"^\s*\d+[.)]\s+", "", line), style="List Number")
        elif line.strip() == "---":
            continue
        else:
            document.add_paragraph(line.strip())
    flush_table()
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
