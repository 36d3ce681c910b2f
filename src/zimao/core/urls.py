from django.conf import settings
from django.http import JsonResponse
from django.urls import path

from zimao.core import transparency


def healthz(request):
    """Liveness for load balancers, and the bare Django baseline the benchmarks compare against."""
    return JsonResponse({"ok": True})


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(".well-known/zimao/checkpoints", transparency.checkpoints, name="audit-checkpoints"),
    path(".well-known/zimao/audit/inclusion", transparency.inclusion_proof, name="audit-inclusion"),
    path(".well-known/zimao/audit/consistency", transparency.consistency_proof, name="audit-consistency"),
]
if settings.BENCH_ENDPOINTS:  # off unless ZIMAO_BENCH_ENDPOINTS=1: the benchmark's bare write (zimao.core.bench)
    from zimao.core import bench

    urlpatterns += bench.urlpatterns
