"""Every page and API operation, enumerated from the code — never from a list someone keeps.

``pages()`` walks Django's URL resolver; ``operations()`` reads the OpenAPI schema django-ninja
builds from the routers. A route that appears in either and has no policy entry fails the
permission tests, so a new endpoint is classified the day it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/v1"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Page:
    name: str  # "namespace:name" (reverse() takes it); unnamed patterns get "<unnamed> route"
    route: str  # the pattern as written, e.g. "cases/<str:number>/"
    params: tuple[str, ...]  # the URL keyword arguments it takes
    callback: object
    namespace: str = ""

    @property
    def int_params(self) -> set[str]:
        return set(re.findall(r"<int:(\w+)>", self.route))

    def sample(self, name: str, text: str = "x") -> str:
        """A value the URL pattern accepts for parameter ``name`` (so the request reaches the view)."""
        if name in self.int_params:
            return "1"
        if name in re.findall(r"<uuid:(\w+)>", self.route):
            return "00000000-0000-4000-8000-000000000001"
        return text

    def url(self, kwargs: dict) -> str:
        """The path with ``kwargs`` filled in (works for unnamed and regex patterns too)."""
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), self.route)
        path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
        return "/" + path.replace("^", "").replace("$", "")


def _params(pattern) -> tuple[str, ...]:
    return tuple(pattern.regex.groupindex)


def _walk(patterns, prefix: str, namespace: str, params: tuple[str, ...]):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(x for x in (namespace, p.namespace) if x)
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns, params + _params(p.pattern))
        elif isinstance(p, URLPattern):
            route = prefix + str(p.pattern)
            name = f"{namespace}:{p.name}" if namespace and p.name else (p.name or f"<unnamed> {route}")
            yield Page(name, route, params + _params(p.pattern), p.callback, namespace)


@lru_cache(maxsize=1)
def pages() -> tuple[Page, ...]:
    return tuple(_walk(get_resolver().url_patterns, "", "", ()))


def api_path_of(page: Page) -> str | None:
    """The OpenAPI path a page under /api/v1/ serves, if it is an API operation."""
    if not page.route.startswith(API_PREFIX.lstrip("/") + "/"):
        return None
    path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", page.route)
    return path if path in schema()["paths"] else None


@lru_cache(maxsize=1)
def schema() -> dict:
    from zimao.api import api

    return api.get_openapi_schema(path_prefix=API_PREFIX + "/")


@dataclass(frozen=True)
class Operation:
    method: str  # "GET"
    path: str  # "/api/v1/cases/{number}"
    spec: dict

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def public(self) -> bool:
        """Declared without authentication (``auth=None``) in the schema."""
        return not self.spec.get("security")

    @property
    def path_params(self) -> list[str]:
        return [p["name"] for p in self.spec.get("parameters", []) if p.get("in") == "path"]

    @property
    def int_params(self) -> set[str]:
        return {
            p["name"]
            for p in self.spec.get("parameters", [])
            if p.get("in") == "path" and (p.get("schema") or {}).get("type") == "integer"
        }

    @property
    def body_type(self) -> str | None:
        content = (self.spec.get("requestBody") or {}).get("content") or {}
        return next(iter(content), None)


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    ops = []
    for path, item in schema()["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                ops.append(Operation(method.upper(), path, item[method]))
    return tuple(ops)


def web_pages() -> tuple[Page, ...]:
    """Pages that are not API operations (those are covered through the schema) and not the
    Django admin (covered by one rule for the whole site)."""
    return tuple(p for p in pages() if api_path_of(p) is None and p.namespace.split(":")[0] != "admin")


def admin_pages() -> tuple[Page, ...]:
    return tuple(p for p in pages() if p.namespace.split(":")[0] == "admin")
