"""Read a request body as JSON whatever Content-Type a command-line client gave it.

`curl -d '{...}'` sends `application/x-www-form-urlencoded`, other clients `text/plain` or no
header at all; FastAPI then parses nothing and answers a 422 that hides the cause. Every body
this API takes is JSON, so such a body is read as JSON (malformed JSON still gets its 422).

Two exceptions answer 415, saying what to send:
- a multipart body (a file upload), which is never JSON;
- a request from a web page (it has an `Origin` header) that does not declare JSON. A page may
  send text/plain or a form to any site without the browser asking that site first (no CORS
  preflight), so accepting it would let any page a user visits submit jobs to a service on
  localhost that has no token. A page that declares JSON gets the preflight, which this API
  never grants to other sites.
"""

from email.message import Message

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

HOW = "send the body as JSON with the header 'Content-Type: application/json'"


def is_json(content_type: str) -> bool:
    """application/json or application/*+json, parameters such as charset aside."""
    message = Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _has_body(headers: dict[bytes, bytes]) -> bool:
    length = headers.get(b"content-length", b"")
    return b"transfer-encoding" in headers or (length.isdigit() and int(length) > 0)


class JsonBody:
    """Pure ASGI middleware: a body not declared JSON is relabelled JSON, or refused (415)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-type", b"").decode("latin-1")
        if not _has_body(headers) or is_json(declared):
            return await self.app(scope, receive, send)
        if refusal := _refusal(declared, b"origin" in headers):
            return await JSONResponse({"detail": refusal}, 415)(scope, receive, send)
        relabelled = [(k, v) for k, v in scope["headers"] if k != b"content-type"]
        relabelled.append((b"content-type", b"application/json"))
        await self.app({**scope, "headers": relabelled}, receive, send)


def _refusal(declared: str, from_a_page: bool) -> str | None:
    """Why a body declared `declared` (not JSON) is refused; None: read it as JSON."""
    shown = declared or "no Content-Type"
    if declared.lower().startswith("multipart/"):
        return f"a {shown.split(';')[0]} body is not accepted: {HOW}"
    if from_a_page:
        return f"a web page must declare its JSON ({shown} given): {HOW}"
    return None
