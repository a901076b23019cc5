from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import AgencyAPIView
from tenants.models import ADMIN_ROLES
from tenants.selectors import members_of


class MeView(AgencyAPIView):
    @extend_schema(
        summary="Who am I: the agency and role of the calling key or session",
        responses=inline_serializer(
            "Me",
            {
                "agency": inline_serializer("MeAgency", {"slug": serializers.CharField(),
                                                         "name": serializers.CharField()}),
                "role": serializers.CharField(),
            },
        ),
    )
    def get(self, request: Request) -> Response:
        agency = request.agency  # type: ignore[attr-defined]
        return Response({"agency": {"slug": agency.slug, "name": agency.name}, "role": request.role})  # type: ignore[attr-defined]


class MemberSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="user.pk")
    username = serializers.CharField(source="user.username")
    email = serializers.EmailField(source="user.email")
    role = serializers.CharField()
    created_at = serializers.DateTimeField()


class MembersView(AgencyAPIView):
    roles_by_method = {"GET": ADMIN_ROLES}

    @extend_schema(summary="Members of the agency (agency admins)", responses=MemberSerializer(many=True))
    def get(self, request: Request) -> Response:
        members = members_of(agency=request.agency)  # type: ignore[attr-defined]
        return Response(MemberSerializer(members, many=True).data)
