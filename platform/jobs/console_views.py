"""Agency console (admins): webhooks and their deliveries, glossary, usage metering."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from documents.context import ctx_actor, ctx_agency
from jobs.forms import GlossaryForm, WebhookForm
from jobs.models import GlossaryEntry, Webhook
from jobs.selectors import deliveries_list, glossary_list, usage_by_day, usage_by_endpoint, usage_by_job, webhooks_list
from jobs.services import JobRejected, glossary_entry_delete, glossary_entry_save, webhook_delete, webhook_save
from jobs.webhook_urls import WebhookUrlRefused, webhook_url_check
from tenants.decorators import role_required
from tenants.models import ADMIN_ROLES


@role_required(ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def webhooks(request: HttpRequest, agency_slug: str) -> HttpResponse:
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            webhook_save(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                url=form.cleaned_data["url"],
                secret=form.cleaned_data["secret"],
            )
        except WebhookUrlRefused as exc:
            form.add_error("url", exc.message)
        else:
            messages.success(request, _("Webhook saved."))
            if not webhook_url_check(form.cleaned_data["url"], require_dns=False).address:
                messages.warning(
                    request,
                    _(
                        "Its host name cannot be resolved right now. Deliveries check it again each time and are "
                        "retried; fix the URL if it is wrong."
                    ),
                )
            return redirect(request.path)
    return render(
        request,
        "jobs/console_webhooks.html",
        {"form": form, "webhooks": webhooks_list(), "deliveries": deliveries_list()},
        status=400 if form.errors else 200,
    )


@role_required(ADMIN_ROLES)
@require_POST
def webhook_remove(request: HttpRequest, agency_slug: str, webhook_id: int) -> HttpResponse:
    hook = Webhook.objects.filter(pk=webhook_id).first()
    if hook is None:
        raise Http404
    webhook_delete(agency=ctx_agency(request), actor=ctx_actor(request), webhook=hook)
    messages.success(request, _("Webhook removed."))
    return redirect(f"/a/{agency_slug}/console/webhooks/")


@role_required(ADMIN_ROLES)
@require_http_methods(["GET", "POST"])
def glossary(request: HttpRequest, agency_slug: str) -> HttpResponse:
    form = GlossaryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            glossary_entry_save(
                agency=ctx_agency(request),
                actor=ctx_actor(request),
                **form.cleaned_data,
            )
            messages.success(request, _("Term saved."))
            return redirect(request.path)
        except JobRejected as exc:
            form.add_error(None, exc.message)
    return render(
        request,
        "jobs/console_glossary.html",
        {"form": form, "entries": glossary_list()},
        status=400 if form.errors else 200,
    )


@role_required(ADMIN_ROLES)
@require_POST
def glossary_remove(request: HttpRequest, agency_slug: str, entry_id: int) -> HttpResponse:
    entry = GlossaryEntry.objects.filter(pk=entry_id).first()
    if entry is None:
        raise Http404
    glossary_entry_delete(agency=ctx_agency(request), actor=ctx_actor(request), entry=entry)
    return redirect(f"/a/{agency_slug}/console/glossary/")


@role_required(ADMIN_ROLES)
def usage(request: HttpRequest, agency_slug: str) -> HttpResponse:
    days = usage_by_day(days=30)
    top = max([int(d["input_tokens"] or 0) + int(d["output_tokens"] or 0) for d in days] + [1])
    bars = []
    for index, day in enumerate(days):
        total = int(day["input_tokens"] or 0) + int(day["output_tokens"] or 0)
        height = round(100 * total / top)
        bars.append({"x": index * 20 + 4, "y": 110 - height, "height": height, "day": day["day"], "total": total})
    totals = {
        "input_tokens": sum(int(d["input_tokens"] or 0) for d in days),
        "output_tokens": sum(int(d["output_tokens"] or 0) for d in days),
        "cost": sum((Decimal(str(d["cost"] or 0)) for d in days), Decimal("0")),
    }
    return render(
        request,
        "jobs/console_usage.html",
        {
            "days": days,
            "bars": bars,
            "endpoints": usage_by_endpoint(days=30),
            "jobs": usage_by_job(limit=50),
            "totals": totals,
            "chart_width": len(days) * 20 + 8,
        },
    )
