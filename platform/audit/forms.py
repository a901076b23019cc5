from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import MIN_AUDIT_RETENTION_DAYS


class EventFilterForm(forms.Form):
    """Labels for the console's filter form; values are parsed by audit.selectors.filters_from."""

    since = forms.CharField(label=_("From (date or date-time)"), required=False)
    until = forms.CharField(label=_("Until (date or date-time)"), required=False)
    actor = forms.CharField(label=_("Actor (username, or kind:id such as api_key:3)"), required=False)
    action = forms.CharField(
        label=_("Action (e.g. job.created, or job. for every job action)"),
        required=False,
        widget=forms.TextInput(attrs={"list": "audit-actions"}),
    )
    target_type = forms.CharField(label=_("Target type (e.g. job, document)"), required=False)
    target_id = forms.CharField(label=_("Target id"), required=False)


class RetentionForm(forms.Form):
    document_retention_days = forms.IntegerField(label=_("Keep documents (days)"), min_value=1, max_value=36500)
    result_retention_days = forms.IntegerField(label=_("Keep results (days)"), min_value=1, max_value=36500)
    audit_retention_days = forms.IntegerField(
        label=_("Keep audit events (days)"),
        min_value=MIN_AUDIT_RETENTION_DAYS,
        max_value=36500,
        help_text=_("At least 183 days (six months), as record-keeping law requires."),
    )
    legal_hold = forms.BooleanField(label=_("Legal hold: suspend every purge"), required=False)
    legal_hold_reference = forms.CharField(
        label=_("Legal hold reference (case number)"), required=False, max_length=100
    )
