"""The console's policy editor: one fieldset per classification level."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from routing.classification import LADDER
from routing.models import Hosting


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


class PolicyForm(forms.Form):
    default_classification = forms.ChoiceField(
        label=_("Default classification of new documents"), choices=[(name, name) for name in LADDER]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for level in LADDER:
            self.fields[f"{level}-enabled"] = forms.BooleanField(
                label=_("Allow processing of '%(level)s' data") % {"level": level},
                required=False,
                help_text=_("Unchecked: documents of this level are never sent to any model."),
            )
            self.fields[f"{level}-hosting"] = forms.MultipleChoiceField(
                label=_("Allowed hosting"),
                choices=Hosting.choices,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
            self.fields[f"{level}-jurisdictions"] = forms.CharField(
                label=_("Allowed operator jurisdictions"),
                required=False,
                help_text=_("Comma-separated codes, e.g. FR, EU. A French operator also counts as EU."),
            )
            self.fields[f"{level}-processing"] = forms.CharField(
                label=_("Allowed processing locations"),
                required=False,
                help_text=_("Comma-separated: FR, EU, GLOBAL or an Azure region. Empty: same as jurisdictions."),
            )
            self.fields[f"{level}-endpoints"] = forms.CharField(
                label=_("Endpoints, in order of preference"),
                required=False,
                help_text=_("Optional comma-separated endpoint names; empty allows any endpoint that fits."),
            )
            self.fields[f"{level}-degraded_mode"] = forms.BooleanField(
                label=_("Allow degraded mode (built-in extractive summary) when no model is available"),
                required=False,
            )

    def levels(self) -> list[dict[str, Any]]:
        """Bound fields grouped by level, for the template."""
        return [
            {
                "name": level,
                "fields": [
                    self[f"{level}-{part}"]
                    for part in ("enabled", "hosting", "jurisdictions", "processing", "endpoints", "degraded_mode")
                ],
            }
            for level in LADDER
        ]

    @staticmethod
    def initial_from(default_classification: str, rules: dict[str, Any]) -> dict[str, Any]:
        initial: dict[str, Any] = {"default_classification": default_classification}
        for level, rule in rules.items():
            initial[f"{level}-enabled"] = True
            initial[f"{level}-hosting"] = rule.get("hosting", [])
            initial[f"{level}-jurisdictions"] = ", ".join(rule.get("jurisdictions", []))
            if "processing" in rule:
                initial[f"{level}-processing"] = ", ".join(rule["processing"])
            initial[f"{level}-endpoints"] = ", ".join(rule.get("endpoints", []))
            initial[f"{level}-degraded_mode"] = bool(rule.get("degraded_mode", False))
        return initial

    def rules(self) -> dict[str, Any]:
        data = self.cleaned_data
        rules: dict[str, Any] = {}
        for level in LADDER:
            if not data.get(f"{level}-enabled"):
                continue
            rule: dict[str, Any] = {
                "hosting": list(data.get(f"{level}-hosting") or []),
                "jurisdictions": [item.upper() for item in _split(data.get(f"{level}-jurisdictions", ""))],
                "endpoints": _split(data.get(f"{level}-endpoints", "")),
                "degraded_mode": bool(data.get(f"{level}-degraded_mode")),
            }
            processing = _split(data.get(f"{level}-processing", ""))
            if processing:
                rule["processing"] = processing
            rules[level] = rule
        return rules
