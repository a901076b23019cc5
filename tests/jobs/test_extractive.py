"""The degraded-mode summary of a paged document keeps page references intact and honours the bullet style."""

from __future__ import annotations

import re

import pytest

from audit.actors import Actor
from jobs.models import JobStatus
from jobs.services import job_create
from tenants.scope import agency_scope
from tests.jobs.conftest import drive, upload

pytestmark = pytest.mark.django_db

PAGES = [
    [
        "The ministry published its annual report on water resources in 2025.",
        "Groundwater levels fell in the south of the country for the third consecutive year.",
        "The report recommends reducing agricultural irrigation by fifteen percent during summer.",
    ],
    [
        "Local authorities must publish a drought plan before the first of June each year.",
        "Funding of two hundred million euros is allocated to repair leaking municipal pipes.",
        "Citizens can consult real-time water restrictions on the national portal.",
    ],
]


def _pdf(pages: list[list[str]]) -> bytes:
    """A small text PDF (Helvetica, one line per sentence), built by hand so the test needs no PDF writer."""
    objects: list[str] = ["<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    content_ids = []
    for lines in pages:
        stream = "\n".join(["BT /F1 11 Tf 50 780 Td 14 TL", *[f"({line}) '" for line in lines], "ET"])
        objects.append(f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream")
        content_ids.append(len(objects))
    pages_id = len(objects) + len(pages) + 1
    page_ids = []
    for content_id in content_ids:
        objects.append(
            f"<< /Type /Page /Parent {pages_id} 0 R /MediaBox [0 0 595 842] "
            f"/Resources << /Font << /F1 1 0 R >> >> /Contents {content_id} 0 R >>"
        )
        page_ids.append(len(objects))
    objects.append(f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in page_ids)}] /Count {len(page_ids)} >>")
    objects.append(f"<< /Type /Catalog /Pages {pages_id} 0 R >>")
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {len(objects)} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


@pytest.mark.parametrize("style", ["prose", "bullets"])
def test_extractive_summary_of_a_pdf_cites_pages(agency_a, style) -> None:
    document = upload(agency_a, _pdf(PAGES), "report.pdf")
    with agency_scope(agency_a):
        job, _ = job_create(
            agency=agency_a,
            actor=Actor.system("tests"),
            document=document,
            kind="summarise",
            params={"length": "brief", "style": style},
        )
    job = drive(agency_a, job.pk)
    assert job.status == JobStatus.SUCCEEDED, job.error_message
    result = job.result_markdown
    assert re.search(r"\[p\. 1(–2)?\]", result), result
    assert not re.search(r"(^|\s)\d+\] ", result), result  # no page marker cut in half
    sentences = [line for line in result.splitlines() if line.startswith("- ")]
    if style == "bullets":
        assert sentences, result
    else:
        assert not sentences, result
