"""Operational endpoints."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from switchboard.core.models import WorkerHeartbeat


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 while the database answers; reports the workers' heartbeats alongside.

    The web tier stays "up" without a worker (requests still work), but `status` says
    "degraded" so monitoring can alert on a stopped worker.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = {"status": "ok", "vendor": connection.vendor}
    except DatabaseError as exc:
        return JsonResponse(
            {"status": "down", "database": {"status": "error", "error": str(exc)[:200]}},
            status=503,
        )
    now = timezone.now()
    horizon = now - timedelta(seconds=settings.SWITCHBOARD_WORKER_DEAD_AFTER)
    beats = list(WorkerHeartbeat.objects.filter(last_seen__gte=horizon).order_by("-last_seen"))
    worker = {
        "status": "ok" if beats else "missing",
        "alive": len(beats),
        "last_heartbeat": beats[0].last_seen.isoformat() if beats else None,
        "seconds_since_heartbeat": round((now - beats[0].last_seen).total_seconds(), 1)
        if beats
        else None,
    }
    status = "ok" if beats else "degraded"
    return JsonResponse({"status": status, "database": database, "worker": worker})
