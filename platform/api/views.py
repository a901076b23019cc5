from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.links import set_password_url_builder
from accounts.services import member_invite
from api.base import AgencyAPIView
from api.errors import ApiError
from tenants.models import ADMIN_ROLES, Membership, Role
from tenants.selectors import members_of
from tenants.services import (
    AlreadyMemberError,
    LastAdminError,
    MembershipError,
    membership_change_role,
    membership_remove,
)


class MeView(AgencyAPIView):
    @extend_schema(
        summary="Who am I: the agency and role of the calling key or session",
        responses=inline_serializer(
            "Me",
            {
                "agency": inline_serializer(
                    "MeAgency", {"slug": serializers.CharField(), "name": serializers.CharField()}
                ),
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


class MemberAddSerializer(serializers.Serializer):  # type: ignore[type-arg]
    email = serializers.EmailField(help_text="A person without an account gets one and an e-mail to set a password.")
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)


class MemberRoleSerializer(serializers.Serializer):  # type: ignore[type-arg]
    role = serializers.ChoiceField(choices=Role.choices)


class MemberAddedSerializer(MemberSerializer):
    account_created = serializers.BooleanField(help_text="A new account was created for this e-mail.")
    password_email_sent = serializers.BooleanField(help_text="An e-mail with a link to set a password was sent.")


_MEMBER_ERRORS = {
    404: OpenApiResponse(description="No such member in your agency (the id is the user id from GET /members)."),
    409: OpenApiResponse(description="last_admin: the agency would be left without an agency admin."),
}


class MembersView(AgencyAPIView):
    roles_by_method = {"GET": ADMIN_ROLES, "POST": ADMIN_ROLES}

    @extend_schema(
        operation_id="members_list",
        tags=["members"],
        summary="Members of the agency (agency admins)",
        responses=MemberSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        members = members_of(agency=request.agency)  # type: ignore[attr-defined]
        return Response(MemberSerializer(members, many=True).data)

    @extend_schema(
        operation_id="members_add",
        tags=["members"],
        summary="Add a member by e-mail (agency admins)",
        request=MemberAddSerializer,
        responses={
            201: MemberAddedSerializer,
            409: OpenApiResponse(description="already_member: change their role with PATCH instead."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            invitation = member_invite(
                agency=request.agency,  # type: ignore[attr-defined]
                email=serializer.validated_data["email"],
                role=serializer.validated_data["role"],
                actor=request.actor,  # type: ignore[attr-defined]
                set_password_url=set_password_url_builder(request._request),
            )
        except MembershipError as exc:
            raise _membership_api_error(exc) from exc
        data = dict(MemberSerializer(invitation.membership).data)
        data["account_created"] = invitation.created_account
        data["password_email_sent"] = invitation.email_sent
        return Response(data, status=status.HTTP_201_CREATED)


class MemberDetailView(AgencyAPIView):
    roles_by_method = {"PATCH": ADMIN_ROLES, "DELETE": ADMIN_ROLES}

    @extend_schema(
        operation_id="members_change_role",
        tags=["members"],
        summary="Change a member's role (agency admins). The id is the user id from GET /members.",
        request=MemberRoleSerializer,
        responses={200: MemberSerializer, **_MEMBER_ERRORS},
    )
    def patch(self, request: Request, user_id: int) -> Response:
        membership = _membership(request, user_id)
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            membership = membership_change_role(
                membership=membership,
                role=serializer.validated_data["role"],
                actor=request.actor,  # type: ignore[attr-defined]
            )
        except MembershipError as exc:
            raise _membership_api_error(exc) from exc
        return Response(MemberSerializer(membership).data)

    @extend_schema(
        operation_id="members_remove",
        tags=["members"],
        summary="Remove a member from the agency (agency admins). Their account stays.",
        request=None,
        responses={204: None, **_MEMBER_ERRORS},
    )
    def delete(self, request: Request, user_id: int) -> Response:
        membership = _membership(request, user_id)
        try:
            membership_remove(membership=membership, actor=request.actor)  # type: ignore[attr-defined]
        except MembershipError as exc:
            raise _membership_api_error(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


def _membership(request: Request, user_id: int) -> Membership:
    membership = members_of(agency=request.agency).filter(user_id=user_id).first()  # type: ignore[attr-defined]
    if membership is None:
        raise ApiError(
            status=404,
            code="not_found",
            message="No such member in your agency. List members with GET /api/v1/members.",
        )
    return membership


def _membership_api_error(exc: MembershipError) -> ApiError:
    if isinstance(exc, LastAdminError):
        return ApiError(status=409, code="last_admin", message=str(exc))
    if isinstance(exc, AlreadyMemberError):
        return ApiError(status=409, code="already_member", message=str(exc))
    return ApiError(status=400, code="invalid_membership", message=str(exc))
