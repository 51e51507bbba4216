"""Routes of the web UI: the agent workspace at /, the customer portal at /portal/."""

from django.urls import include, path

urlpatterns: list = [
    path("portal/", include("switchboard.web.portal.urls")),
]
