"""The REST API at /api/v1/ (django-ninja, OpenAPI 3.1 at /api/v1/openapi.json).

Every zimao app with an ``api`` module exposing ``router`` is mounted under its ``prefix``.
Errors share one bilingual shape (``zimao.core.errors.ErrorOut``) and every operation declares
the error responses it can give.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from ninja import NinjaAPI

from zimao.core.apiauth import ApiKeyOrSession
from zimao.core.errors import install_error_handlers

api = NinjaAPI(
    title="zimao API",
    version="1",
    description="自贸 zimao — 一网通办 one-window government services. 错误以中英文两种语言返回 "
    "(errors come in Chinese and English). "
    "Every operation may also answer 414 when the request URI (path and query) exceeds 4096 characters "
    "(the same bilingual error body), and the server itself answers a plain-text 414 beyond 8190 bytes "
    "of request line; 请求地址过长时返回 414。",
    urls_namespace="api",
    auth=ApiKeyOrSession(),
)
install_error_handlers(api)

for config in apps.get_app_configs():
    if config.name.startswith("zimao.") and find_spec(f"{config.name}.api"):
        module = import_module(f"{config.name}.api")
        if hasattr(module, "router"):
            api.add_router(getattr(module, "prefix", f"/{config.label}/"), module.router)
