"""Archive pre-checks reject bombs and tricks from the central directory alone, before inflating anything."""

from __future__ import annotations

import io
import tracemalloc

import pytest

from documents.sniffing import SniffRejected, sniff
from tests.documents import files


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (files.make_zip_bomb, {"archive_ratio", "archive_too_large"}),
        (files.make_many_entries_zip, {"archive_too_many_entries"}),
        (files.make_docx_inflating_to, {"archive_ratio", "archive_entry_too_large"}),
        (files.make_path_trick_docx, {"archive_path_trick"}),
        (lambda: files.make_path_trick_docx("/etc/abs.xml"), {"archive_path_trick"}),
        (files.make_symlink_docx, {"archive_symlink"}),
        (files.make_nested_archive_docx, {"archive_nested"}),
    ],
)
def test_hostile_archives_rejected_before_inflating(make, code) -> None:
    data = make()
    tracemalloc.start()
    try:
        with pytest.raises(SniffRejected) as caught:
            sniff(io.BytesIO(data), filename="report.docx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code in code
    assert caught.value.status == 422
    assert "rejected" in caught.value.message
    # Nothing was inflated: checking used far less memory than the payload claims.
    assert peak < 20 * 1024 * 1024


def test_normal_docx_passes() -> None:
    data = files.make_docx(paragraphs=("Un paragraphe.",) * 50, table=(("a", "b"), ("c", "d")))
    assert sniff(io.BytesIO(data), filename="ok.docx").mime_type.endswith("document")
