"""Document and hostile-file generators for tests (built at run time: no bombs are committed)."""

from __future__ import annotations

import io
import zipfile
import zlib

import docx


def make_pdf(pages: list[list[str]], *, nested_flate: int = 0, inflated_bytes: int = 0) -> bytes:
    """A minimal real PDF with Helvetica text, one content stream per page.

    nested_flate > 0: the first page's content stream is wrapped in that many FlateDecode layers and, when
    inflated_bytes is given, padded to inflate to that many bytes (a decompression bomb).
    """
    objects: list[bytes] = []
    page_ids = []
    font_id = 3
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(b"")  # pages, filled below
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for index, lines in enumerate(pages):
        ops = [b"BT /F1 12 Tf 72 760 Td 14 TL"]
        for line in lines:
            safe = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")
            ops.append(b"(" + safe + b") Tj T*")
        ops.append(b"ET")
        content = b"\n".join(ops)
        filters = b""
        if index == 0 and nested_flate:
            if inflated_bytes:
                content = content + b"\n" + b" " * inflated_bytes
            data = content
            for _ in range(nested_flate):
                data = _deflate(data)
            content = data
            filters = b" /Filter [" + b" ".join([b"/FlateDecode"] * nested_flate) + b"]"
        stream_id = len(objects) + 1
        objects.append(
            b"<< /Length " + str(len(content)).encode() + filters + b" >>\nstream\n" + content + b"\nendstream"
        )
        page_id = len(objects) + 1
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 "
            + str(font_id).encode()
            + b" 0 R >> >> /Contents "
            + str(stream_id).encode()
            + b" 0 R >>"
        )
        page_ids.append(page_id)
    kids = b" ".join(str(pid).encode() + b" 0 R" for pid in page_ids)
    objects[1] = b"<< /Type /Pages /Kids [" + kids + b"] /Count " + str(len(page_ids)).encode() + b" >>"
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(str(number).encode() + b" 0 obj\n" + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 " + str(len(objects) + 1).encode() + b"\n0000000000 65535 f \n")
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        b"trailer\n<< /Size "
        + str(len(objects) + 1).encode()
        + b" /Root 1 0 R >>\nstartxref\n"
        + str(xref).encode()
        + b"\n%%EOF\n"
    )
    return out.getvalue()


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9)
    view = memoryview(data)
    parts = [compressor.compress(view[i : i + (1 << 24)]) for i in range(0, len(data), 1 << 24)]
    parts.append(compressor.flush())
    return b"".join(parts)


def make_image_only_pdf() -> bytes:
    return make_pdf([[]])


def make_encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([["Secret report"]]))))
    writer.encrypt(user_password="s3cret", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(
    *,
    heading: str = "Rapport annuel",
    paragraphs: tuple[str, ...] = (),
    bullets: tuple[str, ...] = (),
    table: tuple[tuple[str, ...], ...] = (),
) -> bytes:
    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    for text in bullets:
        document.add_paragraph(text, style="List Bullet")
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, cell in enumerate(row):
                grid.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_odt(*, heading: str, paragraphs: tuple[str, ...]) -> bytes:
    from odf.opendocument import OpenDocumentText
    from odf.text import H, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text=heading))
    for text in paragraphs:
        document.text.addElement(P(text=text))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _zero_entry(archive: zipfile.ZipFile, name: str, size: int) -> None:
    block = b"\0" * (1 << 20)
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w", force_zip64=True) as entry:
        for _ in range(size // len(block)):
            entry.write(block)


def _zip(build) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        build(archive)
    return out.getvalue()


def _docx_skeleton(archive: zipfile.ZipFile) -> None:
    archive.writestr("[Content_Types].xml", "<Types/>")


def make_zip_bomb() -> bytes:
    """5 entries of 50 MB of zeros each (250 MB), ~250 KB on disk."""

    def build(archive: zipfile.ZipFile) -> None:
        for n in range(5):
            _zero_entry(archive, f"data/part{n}.bin", 50 << 20)

    return _zip(build)


def make_many_entries_zip(count: int = 10_000) -> bytes:
    def build(archive: zipfile.ZipFile) -> None:
        _docx_skeleton(archive)
        archive.writestr("word/document.xml", "<w:document/>")
        for n in range(count):
            archive.writestr(f"word/media/e{n}.xml", "x")

    return _zip(build)


def make_docx_inflating_to(size: int = 1 << 30) -> bytes:
    """A DOCX whose word/document.xml inflates to `size` bytes (1 GB by default)."""

    def build(archive: zipfile.ZipFile) -> None:
        _docx_skeleton(archive)
        _zero_entry(archive, "word/document.xml", size)

    return _zip(build)


def make_path_trick_docx(name: str = "../../etc/evil.xml") -> bytes:
    def build(archive: zipfile.ZipFile) -> None:
        _docx_skeleton(archive)
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr(name, "x")

    return _zip(build)


def make_symlink_docx() -> bytes:
    def build(archive: zipfile.ZipFile) -> None:
        _docx_skeleton(archive)
        archive.writestr("word/document.xml", "<w:document/>")
        info = zipfile.ZipInfo("word/link.xml")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")

    return _zip(build)


def make_nested_archive_docx() -> bytes:
    inner = make_docx(paragraphs=("inner",))

    def build(archive: zipfile.ZipFile) -> None:
        _docx_skeleton(archive)
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/embeddings/other.docx", inner)

    return _zip(build)
