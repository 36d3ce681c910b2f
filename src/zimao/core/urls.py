from django.http import JsonResponse
from django.urls import path


def healthz(request):
    """Liveness for load balancers, and the bare Django baseline the benchmarks compare against."""
    return JsonResponse({"ok": True})


urlpatterns = [path("healthz", healthz, name="healthz")]
