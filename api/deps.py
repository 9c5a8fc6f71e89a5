"""Dependencies: bearer-token auth and the job a path names (404 in one place)."""

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from core import store
from core.config import get_settings
from core.errors import JobNotFound
from core.models import Job

_bearer = HTTPBearer(auto_error=False, description="Needed when C64FT_API_TOKEN is set.")


def require_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    token = get_settings().api_token
    if token is None:
        return
    given = credentials.credentials if credentials else ""
    if not secrets.compare_digest(given.encode(), token.get_secret_value().encode()):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong bearer token: send 'Authorization: Bearer <C64FT_API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


def load_job(job_id: Annotated[str, Path(description="A job id, e.g. job_3f2a…")]) -> Job:
    try:
        return store.get_job(job_id)
    except JobNotFound as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from exc


JobDep = Annotated[Job, Depends(load_job)]
