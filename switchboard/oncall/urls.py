"""On-call routes: mounted at the site root by config/urls.py."""

from django.urls import path

from switchboard.oncall import events_api, views

app_name = "oncall"

urlpatterns = [
    path("v2/enqueue", events_api.enqueue, name="events-enqueue"),
    path("api/oncall", views.oncall_api, name="api-oncall"),
    path("oncall/", views.oncall_page, name="oncall-page"),
    path("oncall/calendar/schedule/<str:token>.ics", views.schedule_feed, name="schedule-feed"),
    path("oncall/calendar/user/<str:token>.ics", views.user_feed, name="user-feed"),
    path("oncall/incidents/link/<str:token>", views.incident_link, name="incident-link"),
]
