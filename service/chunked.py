"""Chunked request bodies (no Content-Length) made to look like sized ones.

Werkzeug cuts a chunked body silently at ``MAX_CONTENT_LENGTH`` (the JSON then fails to
parse: a 400 where a 413 is due), and routes that read a body only when it has a length
would see none. This WSGI middleware spools such a body to a temporary file (in memory up
to 1 MB) up to the largest limit any route has (the import's), then sets
``CONTENT_LENGTH``, so each route's own limit applies as for any sized request; a body
beyond even that largest limit is refused here with 413.
"""
from __future__ import annotations

import tempfile

import orjson
from werkzeug.wsgi import ClosingIterator

CHUNK = 64 * 1024
IN_MEMORY = 1024 * 1024


class SizedChunkedBodies:
    def __init__(self, app, largest_limit: int):
        self.app = app
        self.largest_limit = largest_limit

    def __call__(self, environ, start_response):
        if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
            return self.app(environ, start_response)
        spool = tempfile.SpooledTemporaryFile(IN_MEMORY)
        size, stream = 0, environ["wsgi.input"]
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > self.largest_limit:
                spool.close()
                return _too_large(start_response, self.largest_limit)
            spool.write(chunk)
        spool.seek(0)
        environ.update({"wsgi.input": spool, "CONTENT_LENGTH": str(size), "wsgi.input_terminated": False})
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        return ClosingIterator(self.app(environ, start_response), spool.close)


def _too_large(start_response, limit: int):
    body = orjson.dumps({"error": {"code": "payload_too_large", "fields": {},
                                   "message": f"提交的内容太大（上限 {limit / 1024 / 1024:.0f} MB）"}})
    start_response("413 Request Entity Too Large",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Connection", "close")])
    return [body]
