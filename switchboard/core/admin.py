from django.contrib import admin

from switchboard.core.models import Timer, WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("worker_id", "hostname", "pid", "started_at", "last_seen", "jobs_run")
    search_fields = ("worker_id", "hostname")
    list_filter = ("hostname",)
    readonly_fields = [f.name for f in WorkerHeartbeat._meta.fields]


@admin.register(Timer)
class TimerAdmin(admin.ModelAdmin):
    list_display = ("kind", "key", "due_at", "fired_at", "attempts")
    search_fields = ("kind", "key")
    list_filter = ("kind", ("fired_at", admin.EmptyFieldListFilter))
    date_hierarchy = "created_at"
