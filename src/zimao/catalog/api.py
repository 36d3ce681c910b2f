"""The public service guide (办事指南) over REST."""

from typing import Annotated

from ninja import Field, Path, Router, Schema

from zimao.catalog import services
from zimao.core.errors import ErrorOut

router = Router(tags=["catalogue"])


class DepartmentOut(Schema):
    code: str
    name_zh: str
    name_en: str


class ServiceOut(Schema):
    code: str
    name_zh: str
    name_en: str
    department: DepartmentOut
    attributes: dict = Field(
        description='what apps registered about the item, keyed by app (e.g. {"permits": {"reform_mode": "commitment"}})'
    )
    legal_basis: str
    legal_limit_days: int
    promised_limit_days: int
    materials: list
    guide_zh: str
    guide_en: str


class ServiceDetailOut(ServiceOut):
    form: dict
    process_version: int | None = None


@router.get(
    "services",
    response={200: list[ServiceOut]},
    auth=None,
    summary="Service items 事项目录",
    operation_id="listServices",
)
def list_services(request):
    return list(services.published_services())


@router.get(
    "services/{code}",
    response={200: ServiceDetailOut, 404: ErrorOut},
    auth=None,
    summary="Service guide 办事指南",
    operation_id="getService",
)
def service_detail(request, code: Annotated[str, Path(description="service item code 事项编码, e.g. QYKB-001")]):
    service = services.get_service(code)
    proc = service.processes.filter(published=True).order_by("-version").first()
    return {
        **ServiceOut.from_orm(service).dict(),
        "form": service.form,
        "process_version": proc.version if proc else None,
    }
