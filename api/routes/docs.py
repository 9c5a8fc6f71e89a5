"""The OpenAPI document, Swagger UI and ReDoc, behind the same token as /jobs."""

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

router = APIRouter(include_in_schema=False)


@router.get("/openapi.json")
def read_openapi(request: Request) -> JSONResponse:
    """The OpenAPI document of the API."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def read_swagger_ui() -> HTMLResponse:
    """Swagger UI; the page fetches /openapi.json, so a browser needs the token there too."""
    return get_swagger_ui_html(openapi_url="/openapi.json", title="c64ft - Swagger UI")


@router.get("/redoc")
def read_redoc() -> HTMLResponse:
    """ReDoc, over the same /openapi.json."""
    return get_redoc_html(openapi_url="/openapi.json", title="c64ft - ReDoc")
