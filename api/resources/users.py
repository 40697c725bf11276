"""Users and their tokens, for admins: deactivate, change role and scope, revoke, reissue."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView

from api import examples
from api.auth import current_user
from api.jsonbody import Blueprint
from api.schemas import ErrorSchema, IssuedTokenOut, TokenOut, UserOut, UserPatchIn
from workflow import access
from workflow.errors import InvalidInput

blp = Blueprint("users", __name__, url_prefix="/api/v1",
                description="Users and API tokens (admin): access that can be taken back")


@blp.route("/users")
class UserCollection(MethodView):
    @blp.response(200, UserOut(many=True))
    @blp.alt_response(403, schema=ErrorSchema)
    def get(self) -> Any:
        """List every user (admin)"""
        return access.list_users(current_user())


@blp.route("/users/<int:user_id>")
class UserItem(MethodView):
    @blp.arguments(UserPatchIn, examples=examples.USER_PATCH)
    @blp.response(200, UserOut)
    @blp.alt_response(400, schema=ErrorSchema)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    @blp.alt_response(409, schema=ErrorSchema)
    def patch(self, data: dict[str, Any], user_id: int) -> Any:
        """Deactivate or reactivate a user (`active`), or set role and scope (admin)"""
        actor = current_user()
        if "role" not in data and "active" not in data:
            raise InvalidInput("Tidak ada yang diubah", "Nothing to change",
                               errors={"active": ["active atau role / active or role"]})
        user = None
        if "role" in data:
            user = access.set_role(actor, user_id, data["role"], data["units"],
                                   data["instansi_id"])
        if "active" in data:
            user = access.set_active(actor, user_id, data["active"])
        return user


@blp.route("/users/<int:user_id>/tokens")
class UserTokens(MethodView):
    @blp.response(200, TokenOut(many=True))
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def get(self, user_id: int) -> Any:
        """The user's tokens, newest first (admin)"""
        return access.list_tokens(current_user(), user_id)

    @blp.response(201, IssuedTokenOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def post(self, user_id: int) -> Any:
        """Revoke the user's tokens and issue a new one, shown once (admin)"""
        user, token = access.reissue_token(current_user(), user_id,
                                           int(current_app.config["TOKEN_TTL_DAYS"]))
        return {"user_id": user.id, "token": token}


@blp.route("/tokens/<int:token_id>/revoke")
class TokenRevoke(MethodView):
    @blp.response(200, TokenOut)
    @blp.alt_response(403, schema=ErrorSchema)
    @blp.alt_response(404, schema=ErrorSchema)
    def post(self, token_id: int) -> Any:
        """Revoke one token; it stops at its next request (admin)"""
        return access.revoke_token(current_user(), token_id)
