from __future__ import annotations

from typing import cast

from django.db.models import QuerySet

from documents.models import Document


def documents_list(*, status: str = "") -> QuerySet[Document]:
    queryset = Document.objects.all().order_by("-created_at", "-id")
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def document_get(*, document_id: int) -> Document:
    """The document of the agency in scope; raises Document.DoesNotExist (404) for anyone else's."""
    return cast(Document, Document.objects.get(pk=document_id))


def document_text(document: Document) -> str:
    return "\n\n".join(str(block.get("text", "")) for block in document.blocks)
