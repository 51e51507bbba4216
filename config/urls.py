"""Top-level URL map: each app mounts its own routes."""

from django.contrib import admin
from django.urls import include, path

from switchboard.api.zendesk import urls as zendesk_urls
from switchboard.core import views as core_views

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v2/", zendesk_urls.api_urls),
    path("api/docs", zendesk_urls.docs, name="api-docs"),
    path("", include("switchboard.oncall.urls")),
    path("", include("switchboard.notify.urls")),
    path("", include("switchboard.web.crm_urls")),
    path("", include("switchboard.web.urls")),
]
