"""The dashboard: /ui, one HTML page with hash routes, and its static files (the service's own
scripts and the vendored libraries, api/ui/static/vendor/), linked from `/`.

The page and its files hold no secret and are served without the token; every data call the
page makes sends it (asked once, kept in the tab's sessionStorage). A strict Content-Security-
Policy keeps the page to this service's own scripts, so a job's text cannot run as one.
"""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

router = APIRouter(include_in_schema=False)
UI_DIR = Path(__file__).parent.parent / "ui"
STATIC_URL = "/ui/static"
POLICY = (
    "default-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)  # inline styles: uPlot sizes its canvas and legend through them


def static_files() -> StaticFiles:
    """The app mounts this at `STATIC_URL`."""
    return StaticFiles(directory=UI_DIR / "static")


@router.get("/")
def read_root(request: Request) -> RedirectResponse:
    """The service's front page is the dashboard (behind a proxy's root path too; the page
    itself names its files and the API relative to where it is)."""
    return RedirectResponse(f"{request.scope.get('root_path', '')}/ui")


@router.get("/ui")
def read_dashboard() -> FileResponse:
    return FileResponse(
        UI_DIR / "index.html",
        headers={"Content-Security-Policy": POLICY, "Cache-Control": "no-cache"},
    )
