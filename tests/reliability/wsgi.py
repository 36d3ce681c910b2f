"""The Django WSGI application for in-process fuzzing, inside the test's transaction.

A real WSGI server closes the database connection at the start and end of every request; inside
a test that would end the test's transaction. Like Django's own test client, this wrapper keeps
the connection open while a request runs and while its response is closed.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections


@contextmanager
def _keep_connection():
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


class TestWSGIApp:
    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        with _keep_connection():
            response = self.handler(environ, start_response)
            try:
                body = b"".join(response)
            finally:
                if hasattr(response, "close"):
                    response.close()
        return [body]
