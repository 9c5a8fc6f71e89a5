"""Error answers, each `{"detail": ...}`: the 422 handler, and the other errors for OpenAPI."""

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import compile_path

from api.schemas import ErrorPublic

_WHY = {
    400: "The body could not be read (e.g. it is not UTF-8).",
    401: "Missing or wrong bearer token (only when C64FT_API_TOKEN is set).",
    404: "No job with this id.",
    409: "The job already finished.",
    413: "The request body is over C64FT_MAX_BODY_BYTES.",
    415: "A multipart body, or a web page's body not declared 'Content-Type: application/json' "
    "(a body without that header is otherwise read as JSON).",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of the error answers a route gives."""
    return {code: {"model": ErrorPublic, "description": _WHY[code]} for code in codes}


def unprocessable(loc: list[str], msg: str, type_: str) -> dict[str, Any]:
    """One item of a 422's `detail` array, in FastAPI's shape."""
    return {"loc": loc, "msg": msg, "type": type_}


def _encodable(value: Any) -> Any:
    """`value` with each string made UTF-8-encodable: a lone surrogate becomes `\\ud800` text."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode()
    if isinstance(value, list):
        return [_encodable(item) for item in value]
    if isinstance(value, dict):
        return {_encodable(k): _encodable(v) for k, v in value.items()}
    return value


async def validation_error(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422 (`detail`: loc, msg, type, input), whatever text the request carried."""
    assert isinstance(exc, RequestValidationError)
    errors = [_explained(error) for error in exc.errors()]
    return JSONResponse({"detail": _encodable(jsonable_encoder(errors))}, status_code=422)


def _explained(error: dict[str, Any]) -> dict[str, Any]:
    """FastAPI's "JSON decode error" says what the body is not; this says what to send."""
    if error.get("type") != "json_invalid":
        return error
    why = error.get("ctx", {}).get("error", "")
    msg = f'the body is not JSON ({why}): send a JSON object such as {{"kind": "gpu_smoke"}}'
    return {**error, "msg": msg}


async def http_error(request: Request, exc: Exception) -> Response:
    """FastAPI's answer to an HTTPException; a 405's `Allow` names every method of the path
    (Starlette names only those of the first route that matches it, e.g. POST for /jobs)."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405 and (allowed := _methods_of(request.scope["path"], request)):
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed)}
    return await http_exception_handler(request, exc)


def _methods_of(path: str, request: Request) -> list[str]:
    """The methods the OpenAPI document gives the path (none for the pages outside it)."""
    paths = request.app.openapi()["paths"]
    matching = [item for template, item in paths.items() if compile_path(template)[0].match(path)]
    return sorted({method.upper() for item in matching for method in item})
