"""A cap on request bodies, applied before FastAPI parses a form.

Starlette spools a multipart upload to disk before a route sees it, so a route's own size check comes
too late to spare the disk. This middleware refuses a body over the cap as it arrives: at once when
its Content-Length says so, else when the bytes received pass it. The route then checks the exact
limit of the source (``limits.max_file_mb``).
"""
from __future__ import annotations

from starlette.exceptions import HTTPException

TOO_LARGE = "上传内容超出上限 {mb:g} MB / the upload exceeds the limit of {mb:g} MB"


class BodyLimit:
    """Pure ASGI middleware: bodies of at most ``max_bytes``."""

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        message = TOO_LARGE.format(mb=self.max_bytes / 2**20)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            return await _refuse(send, message)
        seen = 0

        async def counted():
            nonlocal seen
            event = await receive()
            seen += len(event.get("body", b""))
            if seen > self.max_bytes:
                # Raised inside the form parser: FastAPI passes an HTTPException on as the response.
                raise HTTPException(413, message)
            return event

        return await self.app(scope, counted, send)


async def _refuse(send, message: str) -> None:
    body = ('{"detail": "' + message + '"}').encode("utf-8")
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json; charset=utf-8"),
                            (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
