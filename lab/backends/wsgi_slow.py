"""WSGI app for gunicorn: each request takes SLOW_SECONDS (default 5)."""

import os
import time


def app(environ, start_response):
    time.sleep(float(os.environ.get("SLOW_SECONDS", "5")))
    body = b"report ready\n"
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]
