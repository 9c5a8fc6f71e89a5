"""The FastAPI app: routes, auth, body limit, error answers; at start-up the schema check
(api.schema_gate: an empty database is built, one behind the code refused)."""

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from api.body_limit import BodySizeLimit
from api.content_type import JsonBody
from api.deps import require_token
from api.errors import error_responses, http_error, validation_error
from api.routes import docs, health, jobs, metrics_csv, monitoring, reports, streams, ui, webhooks
from api.schema_gate import SchemaGate
from core.config import get_settings
from core.errors import JobNotFound


def create_app() -> FastAPI:
    app = FastAPI(
        title="c64ft",
        summary="Fine-tune a reasoning LLM on Commodore 64 manuals, as jobs.",
        version="0.1.0",
        docs_url=None,  # served by api.routes.docs, behind the token
        redoc_url=None,
        openapi_url=None,
    )
    token = [Depends(require_token)]
    app.include_router(jobs.router, dependencies=token, responses=error_responses(401))
    app.include_router(metrics_csv.router, dependencies=token, responses=error_responses(401))
    app.include_router(webhooks.router, dependencies=token, responses=error_responses(401))
    app.include_router(streams.router, dependencies=token, responses=error_responses(401))
    app.include_router(docs.router, dependencies=token)
    app.include_router(monitoring.router, dependencies=token, responses=error_responses(401))
    app.include_router(health.router)
    app.include_router(reports.router, dependencies=token, responses=error_responses(401))
    app.include_router(ui.router)
    app.mount(ui.STATIC_URL, ui.static_files(), name="ui-static")
    app.mount(docs.ASSETS_URL, docs.assets(), name="docs-assets")
    app.add_middleware(JsonBody)  # a body sent without 'Content-Type: application/json'
    app.add_middleware(BodySizeLimit, max_bytes=get_settings().max_body_bytes)
    app.add_middleware(SchemaGate)  # sees the lifespan start-up; passes requests through
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(JobNotFound, _job_not_found)
    return app


async def _job_not_found(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=404)


app = create_app()
