"""Dependencies: bearer-token auth, the job a path names, and how a route reads the store."""

import secrets
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import Depends, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from core.config import get_settings
from core.jobs import store
from core.jobs.models import Job

T = TypeVar("T")
_bearer = HTTPBearer(auto_error=False, description="Needed when C64FT_API_TOKEN is set.")


Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def token_given(credentials: Credentials) -> bool:
    """Whether the call may see what the token guards: it sent the token, or none is set."""
    token = get_settings().api_token
    if token is None:
        return True
    given = credentials.credentials if credentials else ""
    return secrets.compare_digest(given.encode(), token.get_secret_value().encode())


async def require_token(credentials: Credentials) -> None:
    if not token_given(credentials):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong bearer token: send 'Authorization: Bearer <C64FT_API_TOKEN>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


JobId = Annotated[str, Path(description="A job id, e.g. job_3f2a…")]


def load_job(job_id: JobId) -> Job:
    return store.get_job(job_id)  # JobNotFound answers 404 (api.main)


JobDep = Annotated[Job, Depends(load_job)]


async def run_db(function: Callable[..., T], *args: Any) -> T:
    """Run a store read: on the event loop for SQLite, where a WAL read never waits on a writer
    and a Core read (`store.get_job_with_position`, ~0.1 ms) costs less than the hop to the
    thread pool; in the thread pool for a networked database (bench/RESULTS.md, issue 16)."""
    if get_settings().database_url.startswith("sqlite"):
        return function(*args)
    return await run_in_threadpool(function, *args)
