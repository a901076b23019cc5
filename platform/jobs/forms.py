from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jobs.models import JobKind
from jobs.params import SUPPORTED_LANGUAGES


def _languages() -> list[tuple[str, str]]:
    return [(code, f"{name} ({code})") for code, name in SUPPORTED_LANGUAGES.items()]


class JobForm(forms.Form):
    document = forms.TypedChoiceField(label=_("Document"), coerce=int)
    kind = forms.ChoiceField(label=_("What to do"), choices=JobKind.choices, widget=forms.RadioSelect)
    length = forms.ChoiceField(
        label=_("Summary length"),
        required=False,
        initial="standard",
        choices=[("brief", _("Brief")), ("standard", _("Standard")), ("detailed", _("Detailed"))],
    )
    style = forms.ChoiceField(
        label=_("Summary style"),
        required=False,
        initial="prose",
        choices=[("prose", _("Prose")), ("bullets", _("Bullet points"))],
    )
    plain_language = forms.BooleanField(label=_("Plain language"), required=False)
    target_languages = forms.MultipleChoiceField(
        label=_("Translate into"),
        required=False,
        choices=_languages,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pick one or more languages: each gets its own downloadable translation."),
    )
    source_language = forms.ChoiceField(
        label=_("Source language"), required=False, choices=[("auto", _("Detect automatically")), *_languages()]
    )

    def __init__(self, *args: Any, documents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = documents  # type: ignore[attr-defined]

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        if data["kind"] == JobKind.SUMMARISE:
            return {key: data[key] for key in ("length", "style", "plain_language")}
        targets = list(data["target_languages"])
        if not targets and self.data.get("target_language"):
            targets = [str(self.data["target_language"])]  # older single-language form posts
        return {"target_languages": targets, "source_language": data["source_language"]}


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    secret = forms.CharField(
        label=_("Signing secret"),
        min_length=16,
        max_length=200,
        help_text=_(
            "At least 16 characters. Receivers check the X-Tramontane-Signature header "
            "(HMAC-SHA256 of the body with this secret)."
        ),
    )


class GlossaryForm(forms.Form):
    source_language = forms.ChoiceField(label=_("From"), choices=_languages)
    target_language = forms.ChoiceField(label=_("To"), choices=_languages)
    source_term = forms.CharField(label=_("Term"), max_length=200)
    target_term = forms.CharField(label=_("Mandatory translation"), max_length=200)
