"""Top-level URL map: each app mounts its own routes."""

from django.contrib import admin
from django.urls import path

from switchboard.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
