"""The FastAPI app: routes, auth, body limit; the tables are created at start-up."""

from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api.body_limit import BodySizeLimit
from api.deps import require_token
from api.routes import health, jobs
from core.config import get_settings
from core.db import init_db


@asynccontextmanager
async def lifespan(_app: FastAPI):
    init_db()
    yield


def create_app() -> FastAPI:
    app = FastAPI(
        title="c64ft",
        summary="Fine-tune a reasoning LLM on Commodore 64 manuals, as jobs.",
        version="0.1.0",
        lifespan=lifespan,
    )
    app.include_router(jobs.router, dependencies=[Depends(require_token)])
    app.include_router(health.router)
    app.add_middleware(BodySizeLimit, max_bytes=get_settings().max_body_bytes)
    return app


app = create_app()
