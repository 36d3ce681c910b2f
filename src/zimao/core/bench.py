"""The benchmark's bare write endpoint: ``POST /bench/write`` — one INSERT and its commit, nothing
else (no authentication, no validation, no audit), answering JSON.

``make bench`` divides ``POST /api/v1/cases`` and the scenario load's peak by what this endpoint
reaches on the same server in the same run (issue 11). It is routed only when the setting
``BENCH_ENDPOINTS`` is on (environment ``ZIMAO_BENCH_ENDPOINTS=1``, set by bench/ on the server it
starts); otherwise the URL does not exist (404).
"""

from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from zimao.core.models import BenchWrite


@csrf_exempt
@require_POST
def bench_write(request):
    with transaction.atomic():
        row = BenchWrite.objects.create()
    return JsonResponse({"id": row.pk}, status=201)


urlpatterns = [path("bench/write", bench_write, name="bench-write")]
