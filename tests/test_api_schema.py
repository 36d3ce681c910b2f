"""The published API schema as integrators meet it: what ``/api/v1/openapi.json`` says must be what
the code declares, and its names must be fit for generated clients.

django-ninja puts every pydantic class into ``components/schemas`` under its bare class name and
lets a later class of the same name overwrite an earlier one, silently. So the schema is checked
against the routers themselves: every operation (walked from the ninja routers, never from a
list) must reference, for its request body and each response, the component that is its own
declared class — and every class nested in it must be the component of its name.
"""

from __future__ import annotations

import json
import re
import typing

import pytest
from pydantic import BaseModel

API_PREFIX = "/api/v1/"
REF = "#/components/schemas/"


def _api():
    from zimao.api import api

    return api


def published_schema() -> dict:
    from django.test import Client

    response = Client().get(API_PREFIX + "openapi.json")
    assert response.status_code == 200
    return response.json()


def router_operations():
    """(module, operation) for every operation mounted on the API, from the ninja routers —
    nested ones included (trade mounts a router per sub-area), whatever was imported before."""

    def walk(router):
        for path_view in router.path_operations.values():
            for op in path_view.operations:
                yield op.view_func.__module__, op
        for child in router._routers:
            yield from walk(child[1] if isinstance(child, tuple) else child)

    seen = set()
    for _prefix, router in _api()._routers:
        for module, op in walk(router):
            if id(op) not in seen:
                seen.add(id(op))
                yield module, op


def areas() -> list[str]:
    return sorted({module for module, _op in router_operations()})


def operations_by_id(schema: dict) -> dict[str, tuple[str, str, dict]]:
    found = {}
    for path, item in schema["paths"].items():
        for method, spec in item.items():
            found[spec["operationId"]] = (method, path, spec)
    return found


def declared_classes(annotation) -> list[type[BaseModel]]:
    """The pydantic classes an annotation declares at top level (``X``, ``list[X]``, ``X | None``)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [cls for arg in typing.get_args(annotation) for cls in declared_classes(arg)]


def top_ref(schema: dict) -> str | None:
    """The component a body/response schema points at: ``$ref``, or the items of an array."""
    if "$ref" in schema:
        return schema["$ref"].removeprefix(REF)
    if schema.get("type") == "array":
        return top_ref(schema.get("items", {}))
    for alternative in schema.get("anyOf", []):
        ref = top_ref(alternative)
        if ref:
            return ref
    return None


def own_schemas(cls: type[BaseModel]) -> list[dict]:
    """The class's JSON schema as ninja generates it, in both modes (requests validate, responses
    serialise; the two may differ in which fields are required), each with its nested $defs."""
    from ninja.openapi.schema import REF_TEMPLATE
    from ninja.schema import NinjaGenerateJsonSchema

    return [
        cls.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode=mode)
        for mode in ("validation", "serialization")
    ]


def collisions(op, spec: dict, components: dict) -> list[str]:
    """Every place where ``spec`` (the operation as published) references a component that is not
    the class ``op`` declares there."""
    problems = []
    declared: list[tuple[str, type[BaseModel], dict]] = []  # (where, class, published schema)
    for model in op.models:
        if model.__ninja_param_source__ != "body":
            continue  # query/path/header models are flattened into parameters; forms are inline
        for name, field in model.model_fields.items():
            for cls in declared_classes(field.annotation):
                content = spec["requestBody"]["content"]["application/json"]["schema"]
                declared.append((f"request body {name}", cls, content))
    for status, model in op.response_models.items():
        if status is Ellipsis or model is None or not hasattr(model, "model_fields"):
            continue
        content = spec["responses"][str(status)].get("content", {}).get("application/json", {}).get("schema", {})
        for cls in declared_classes(model.model_fields["response"].annotation):
            declared.append((f"response {status}", cls, content))

    for where, cls, published in declared:
        ref = top_ref(published)
        if ref != cls.__name__:
            problems.append(f"{where}: references {ref!r}, declares {cls.__module__}.{cls.__qualname__}")
            continue
        variants = own_schemas(cls)
        own = [{k: v for k, v in s.items() if k != "$defs"} for s in variants]
        if components.get(ref) not in own:
            problems.append(
                f"{where}: component {ref!r} is not {cls.__module__}.{cls.__qualname__} "
                f"(another class of that name overwrote it)"
            )
        for variant in variants:
            for nested, nested_schema in variant.get("$defs", {}).items():
                if components.get(nested) != nested_schema and not any(
                    components.get(nested) == v.get("$defs", {}).get(nested) for v in variants
                ):
                    problems.append(
                        f"{where}: nested component {nested!r} of {cls.__qualname__} is another class's schema"
                    )
    return sorted(set(problems))


def test_the_published_schema_is_the_one_the_routers_build():
    schema = published_schema()
    built = json.loads(json.dumps(_api().get_openapi_schema(path_prefix=API_PREFIX), default=str))
    assert schema == built


def test_every_operation_references_its_own_declared_classes():
    """The collision test: ``POST /cases`` must not be described by trade's certificate form."""
    api = _api()
    schema = published_schema()
    components = schema["components"]["schemas"]
    by_id = operations_by_id(schema)
    problems = {}
    checked = 0
    for module, op in router_operations():
        method, path, spec = by_id[op.operation_id or api.get_openapi_operation_id(op)]
        found = collisions(op, spec, components)
        checked += 1
        if found:
            problems[f"{method.upper()} {path} ({module})"] = found
    assert checked >= 50, "the walk found too few operations: the routers were not read"
    assert not problems, problems


def test_the_collision_check_catches_a_class_overwritten_by_its_namesake():
    """The check itself can fail: two classes called ``ApplicationIn`` in one schema are caught."""
    from ninja import NinjaAPI, Router, Schema

    def make(fields: dict):
        return type("ApplicationIn", (Schema,), {"__annotations__": fields, "__module__": __name__})

    case_form, certificate_form = make({"service": str}), make({"exporter": str})
    first, second = Router(), Router()

    def submit(request, payload):  # pragma: no cover - never called
        ...

    def apply(request, payload):  # pragma: no cover - never called
        ...

    # Real annotations (this module's are strings under ``from __future__ import annotations``).
    submit.__annotations__ = {"payload": case_form}
    apply.__annotations__ = {"payload": certificate_form}
    first.post("cases", response={201: case_form})(submit)
    second.post("certificates", response={201: certificate_form})(apply)

    api = NinjaAPI(urls_namespace="collision-probe")
    api.add_router("/a/", first)
    api.add_router("/b/", second)
    schema = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/"), default=str))
    ops = [op for _p, r in api._routers for pv in r.path_operations.values() for op in pv.operations]
    by_id = operations_by_id(schema)
    found = {
        op.view_func.__name__: collisions(
            op, by_id[op.operation_id or api.get_openapi_operation_id(op)][2], schema["components"]["schemas"]
        )
        for op in ops
    }
    assert found["submit"] and not found["apply"], found  # the later class won the name


# ---------------------------------------------------------------- names fit for generated clients

CAMEL_CASE = re.compile(r"[a-z][a-z0-9]*(?:[A-Z][a-z0-9]*)*")


def _ops_of(module: str, schema: dict) -> list[tuple[str, str, dict]]:
    api = _api()
    by_id = operations_by_id(schema)
    return [by_id[op.operation_id or api.get_openapi_operation_id(op)] for m, op in router_operations() if m == module]


@pytest.mark.parametrize("module", areas())
def test_operation_ids_are_readable_camel_case(module):
    schema = published_schema()
    ids = [spec["operationId"] for _m, _p, spec in _ops_of(module, schema)]
    assert ids
    bad = [i for i in ids if not (i.isascii() and CAMEL_CASE.fullmatch(i))]
    assert not bad, f"not camelCase ASCII: {bad}"
    assert not [i for i in ids if i.startswith("zimao")], "module paths are not operationIds"


def test_operation_ids_are_unique_and_set_explicitly():
    """Unique across the whole API, and written on the route (``operation_id=``): an id derived
    from a function name changes when someone renames the function."""
    schema = published_schema()
    ids = [spec["operationId"] for item in schema["paths"].values() for spec in item.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    implicit = [f"{m}.{op.view_func.__name__}" for m, op in router_operations() if not op.operation_id]
    assert not implicit, implicit


@pytest.mark.parametrize("module", areas())
def test_tags_are_ascii_and_described(module):
    schema = published_schema()
    described = {t["name"]: t.get("description", "") for t in schema.get("tags", [])}
    tags = {tag for _m, _p, spec in _ops_of(module, schema) for tag in spec.get("tags", [])}
    assert tags
    for tag in tags:
        assert tag.isascii() and re.fullmatch(r"[a-z][a-z0-9-]*", tag), f"tag {tag!r} is not a plain ASCII word"
        # The Chinese lives in the tag's description, where people read it.
        assert re.search(r"[\u4e00-\u9fff]", described.get(tag, "")), f"tag {tag!r} has no Chinese description"


def test_parameter_examples_are_openapi_example_maps():
    """OpenAPI wants ``examples`` on a parameter as a map of Example Objects (ninja copies the
    JSON-Schema list there; zimao.api turns it into a map). At least one parameter has some."""
    schema = published_schema()
    params = [p for item in schema["paths"].values() for spec in item.values() for p in spec.get("parameters", [])]
    with_examples = [p for p in params if "examples" in p]
    assert with_examples
    for param in with_examples:
        assert isinstance(param["examples"], dict) and all("value" in e for e in param["examples"].values()), param


def _resolve(schema: dict, node: dict) -> dict:
    ref = top_ref(node) if "$ref" in node else None
    return schema["components"]["schemas"][ref] if ref else node


@pytest.mark.parametrize("module", areas())
def test_what_a_client_fills_in_is_described_with_examples(module):
    """Every request body (its schema and each field), query, path and header parameter carries a
    description, and every body field an example."""
    schema = published_schema()
    missing = []
    for method, path, spec in _ops_of(module, schema):
        where = f"{method.upper()} {path}"
        for param in spec.get("parameters", []):
            if not param.get("description"):
                missing.append(f"{where}: parameter {param['name']} has no description")
        for content in (spec.get("requestBody") or {}).get("content", {}).values():
            body = _resolve(schema, content["schema"])
            if "$ref" in content["schema"] and not body.get("description"):
                missing.append(f"{where}: body schema {body.get('title')} has no description")
            for name, prop in body.get("properties", {}).items():
                prop = {**_resolve(schema, prop), **prop}
                if not prop.get("description"):
                    missing.append(f"{where}: body field {name} has no description")
                if not (prop.get("examples") or "example" in prop or prop.get("format") == "binary"):
                    missing.append(f"{where}: body field {name} has no example")
    assert not missing, "\n".join(missing)
