"""The OpenAPI document, Swagger UI and ReDoc, behind the same token as /jobs.

The pages load their scripts, styles and icon from this service (`ASSETS_URL`), never from a
CDN, so that they work on a machine without internet access: the files come from the
fastapi-offline package, which ships swagger-ui's and ReDoc's distribution builds.
"""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)
ASSETS_URL = "/docs-assets"  # public: library files, nothing of the service's own
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"


def assets() -> StaticFiles:
    """The app mounts this at `ASSETS_URL`: swagger-ui-bundle.js, swagger-ui.css,
    redoc.standalone.js, favicon.png."""
    return StaticFiles(directory=ASSETS_DIR)


def _assets(request: Request) -> str:
    """Where this page finds the assets, behind a proxy's root path too."""
    return f"{request.scope.get('root_path', '')}{ASSETS_URL}"


@router.get("/openapi.json")
def read_openapi(request: Request) -> JSONResponse:
    """The OpenAPI document of the API."""
    return JSONResponse(request.app.openapi())


@router.get("/docs")
def read_swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI; the page fetches /openapi.json, so a browser needs the token there too."""
    base = _assets(request)
    return get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="c64ft - Swagger UI",
        swagger_js_url=f"{base}/swagger-ui-bundle.js",
        swagger_css_url=f"{base}/swagger-ui.css",
        swagger_favicon_url=f"{base}/favicon.png",
    )


@router.get("/redoc")
def read_redoc(request: Request) -> HTMLResponse:
    """ReDoc, over the same /openapi.json (no web fonts: they would come from the internet)."""
    base = _assets(request)
    return get_redoc_html(
        openapi_url="/openapi.json",
        title="c64ft - ReDoc",
        redoc_js_url=f"{base}/redoc.standalone.js",
        redoc_favicon_url=f"{base}/favicon.png",
        with_google_fonts=False,
    )
