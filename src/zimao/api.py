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

# Tags are plain ASCII words, because generators turn them into module names (a tag
# "licences 电子证照" became the module ``licences_电子证照``); the Chinese is in the description,
# where people read it. Every router's tag is listed here (tests/test_api_schema.py checks it).
TAGS = [
    {"name": "catalogue", "description": "办事指南 — the public service catalogue: items, materials, limits, forms."},
    {
        "name": "cases",
        "description": "一网通办 — applying, following a case, officers' tasks and decisions, "
        "delivery and rating (好差评).",
    },
    {
        "name": "licences",
        "description": "电子证照 — e-licences: public verification, the holder's own "
        "licences and the signing public keys (JWKS) for offline checks.",
    },
    {
        "name": "permits",
        "description": "准营许可 — the permit catalogue, the business-scope advisor, 告知承诺 "
        "in one call and post-approval checks.",
    },
    {
        "name": "trade",
        "description": "国际贸易 — certificates of origin (RCEP), approved exporters, "
        "declarations through the single window.",
    },
    {"name": "monitor", "description": "运行监测 — the zone's indicators, published and internal."},
    {
        "name": "notify",
        "description": "消息通知 — the caller's notifications: a case needing a correction, decided, issued.",
    },
    {
        "name": "bonded",
        "description": "综合保税区 — bonded account books, 核注清单 movements, release notes "
        "(核放单), the gate and reconciliation.",
    },
]


class ZimaoAPI(NinjaAPI):
    """NinjaAPI whose published schema is valid OpenAPI where django-ninja's is not."""

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        for item in schema.get("paths", {}).values():
            for operation in item.values():
                for param in operation.get("parameters", []) if isinstance(operation, dict) else []:
                    _examples_as_a_map(param)
        return schema


def _examples_as_a_map(param: dict) -> None:
    """django-ninja copies a field's JSON-Schema ``examples`` (a list) onto the parameter, where
    OpenAPI wants a map of Example Objects; generators refuse the whole schema over it."""
    examples = param.get("examples")
    if isinstance(examples, list):
        param["examples"] = {f"example{i + 1}": {"value": value} for i, value in enumerate(examples)}


api = ZimaoAPI(
    title="zimao API",
    version="1",
    description="自贸 zimao — 一网通办 one-window government services. 错误以中英文两种语言返回 "
    "(errors come in Chinese and English). "
    "Every operation may also answer 414 when the request URI (path and query) exceeds 4096 characters "
    "(the same bilingual error body), and the server itself answers a plain-text 414 beyond 8190 bytes "
    "of request line; 请求地址过长时返回 414。",
    urls_namespace="api",
    auth=ApiKeyOrSession(),
    openapi_extra={"tags": TAGS},
)
install_error_handlers(api)

for config in apps.get_app_configs():
    if config.name.startswith("zimao.") and find_spec(f"{config.name}.api"):
        module = import_module(f"{config.name}.api")
        if hasattr(module, "router"):
            api.add_router(getattr(module, "prefix", f"/{config.label}/"), module.router)
