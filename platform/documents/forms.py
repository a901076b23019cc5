from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


def classification_choices() -> list[tuple[str, Any]]:
    from routing.classification import LADDER

    return [("", _("Agency default"))] + [(name, name.capitalize()) for name in LADDER]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Document"),
        help_text=_("PDF, DOCX, ODT, HTML, plain text or Markdown. The type is read from the content."),
    )
    title = forms.CharField(label=_("Title"), max_length=300, required=False)
    classification = forms.ChoiceField(label=_("Classification"), required=False, choices=classification_choices)


class ClassificationForm(forms.Form):
    classification = forms.ChoiceField(label=_("Classification"), choices=classification_choices)
