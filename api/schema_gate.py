"""The API's start-up check of the job database's schema, as an ASGI middleware.

An exception raised in a lifespan handler reaches uvicorn's log as a traceback, which buries the
one thing the operator needs: the command to run. This answers the server's start-up message
itself instead, with the refusal as the failure's message: uvicorn logs that one line, exits
with its start-up failure code (3), and with several workers the parent stops too.
"""

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from core.jobs.db import init_db
from core.jobs.schema import SchemaNotCurrent


class SchemaGate:
    """Builds an empty database, lets a current one through, refuses to start on any other."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            try:
                await run_in_threadpool(init_db)  # may wait on another process's upgrade
            except SchemaNotCurrent as exc:
                await receive()  # lifespan.startup: answered, the server never serves
                await send({"type": "lifespan.startup.failed", "message": str(exc)})
                return
        await self.app(scope, receive, send)
