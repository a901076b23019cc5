"""GET/PUT /api/v1/policy: the agency's residency policy (agency admins change it; every change is a version)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AgencyAPIView
from api.errors import ApiError
from routing.policy import PolicyInvalid
from routing.selectors import endpoints_for_policy, policy_current
from routing.services import policy_update
from tenants.models import ADMIN_ROLES, READ_ROLES


def _rule() -> Any:
    return inline_serializer(
        "PolicyRule",
        {
            "hosting": serializers.ListField(
                child=serializers.ChoiceField(["on_premises", "sovereign_cloud", "public_cloud"])
            ),
            "jurisdictions": serializers.ListField(child=serializers.CharField(), help_text="e.g. FR, EU, US"),
            "processing": serializers.ListField(
                child=serializers.CharField(),
                required=False,
                help_text="Allowed processing locations (FR, EU, GLOBAL, a region); defaults to the jurisdictions.",
            ),
            "endpoints": serializers.ListField(
                child=serializers.CharField(), help_text="Optional, in preference order"
            ),
            "degraded_mode": serializers.BooleanField(),
        },
    )


_POLICY_IN = inline_serializer(
    "PolicyInput",
    {
        "default_classification": serializers.ChoiceField(["public", "internal", "sensitive", "restricted"]),
        "rules": serializers.DictField(
            child=_rule(), help_text="Keyed by classification; a missing one allows nothing"
        ),
    },
)
_POLICY_OUT = inline_serializer(
    "Policy",
    {
        "version": serializers.IntegerField(),
        "default_classification": serializers.CharField(),
        "rules": serializers.DictField(child=_rule()),
        "created_by": serializers.CharField(),
        "created_at": serializers.DateTimeField(),
        "available_endpoints": serializers.ListField(child=serializers.DictField()),
    },
)
_TOP_KEYS = {"default_classification", "rules"}


def _payload(agency: Any) -> dict[str, Any]:
    return {**policy_current(agency=agency).as_dict(), "available_endpoints": endpoints_for_policy()}


class PolicyView(AgencyAPIView):
    roles_by_method = {"GET": READ_ROLES, "HEAD": READ_ROLES, "OPTIONS": READ_ROLES, "PUT": ADMIN_ROLES}

    @extend_schema(summary="The agency's current residency policy", responses=_POLICY_OUT)
    def get(self, request: Request) -> Response:
        return Response(_payload(request.agency))  # type: ignore[attr-defined]

    @extend_schema(
        summary="Replace the residency policy (agency admins): creates and returns a new version",
        request=_POLICY_IN,
        responses={200: _POLICY_OUT, 400: OpenApiResponse(description="invalid_policy: see error.details")},
    )
    def put(self, request: Request) -> Response:
        data = request.data
        if not isinstance(data, dict) or "rules" not in data or "default_classification" not in data:
            raise ApiError(
                status=400, code="invalid_policy", message="Send a JSON object with default_classification and rules."
            )
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise ApiError(
                status=400,
                code="invalid_policy",
                message=f"Unknown field(s): {', '.join(unknown)}. Send only default_classification and rules.",
                details={key: "unknown field" for key in unknown},
            )
        try:
            policy_update(
                agency=request.agency,  # type: ignore[attr-defined]
                actor=request.actor,  # type: ignore[attr-defined]
                default_classification=data["default_classification"],
                rules=data["rules"],
            )
        except PolicyInvalid as exc:
            raise ApiError(
                status=400,
                code="invalid_policy",
                message="The policy was not saved: correct the fields listed in details and send it again.",
                details=exc.errors,
            ) from exc
        return Response(_payload(request.agency))  # type: ignore[attr-defined]
