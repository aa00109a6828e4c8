"""API keys (admin) and the caller's own identity (any role)."""

from fastapi import APIRouter, status

from api.deps import AnyRole, CurrentAdmin, EngineDep, SessionDep
from audit.key_lifecycle import create_key, revoke_key
from core.db import write_session
from core.keys import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, list_keys

router = APIRouter(prefix="/v1", tags=["keys"])


@router.get("/me")
def me(principal: AnyRole) -> dict[str, str]:
    """Who this key belongs to: lets a page check its key before it needs it."""
    return {"key_id": principal.key_id, "name": principal.name, "role": principal.role.value}


@router.get("/keys", response_model=list[ApiKeyPublic])
def keys_list(_admin: CurrentAdmin, session: SessionDep, include_revoked: bool = False):
    return list_keys(session, include_revoked=include_revoked)


@router.post("/keys", status_code=status.HTTP_201_CREATED)
def keys_create(data: ApiKeyCreate, admin: CurrentAdmin, engine: EngineDep) -> ApiKeyCreated:
    """Create a key; the response is the only place the key appears in clear."""
    with write_session(engine) as session:
        return create_key(session, data, actor=admin.actor)


@router.post("/keys/{key_id}/revoke", response_model=ApiKeyPublic)
def keys_revoke(key_id: str, admin: CurrentAdmin, engine: EngineDep):
    with write_session(engine) as session:
        return ApiKeyPublic.model_validate(revoke_key(session, key_id, actor=admin.actor))
