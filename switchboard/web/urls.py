"""Routes of the web UI: the agent workspace at /, the customer portal at /portal/."""

from django.urls import include, path

from switchboard.web import (
    auth,
    booking,
    calls_views,
    csat_views,
    incident_views,
    people_views,
    ticket_create_views,
    token_views,
    view_workspace,
    views,
)
from switchboard.web.portal import csat as portal_csat

urlpatterns: list = [
    path("portal/", include("switchboard.web.portal.urls")),
    path("login/", auth.SignInView.as_view(), name="web-login"),
    path("logout/", auth.SignOutView.as_view(), name="web-logout"),
    path("", views.home, name="web-home"),
    path("views/counts", views.view_counts, name="web-view-counts"),
    path("views/<int:view_id>/", views.view_list, name="web-view"),
    # #16 views: bulk actions on the selected tickets
    path("views/<int:view_id>/bulk", view_workspace.view_bulk, name="web-view-bulk"),
    path("views/<int:view_id>/save-as", view_workspace.view_save_as, name="web-view-save-as"),
    path("tickets/<int:ticket_id>/", views.ticket_page, name="web-ticket"),
    path("tickets/<int:ticket_id>/history", views.ticket_history, name="web-ticket-history"),
    path("tickets/<int:ticket_id>/activity", views.ticket_activity, name="web-ticket-activity"),
    path("tickets/<int:ticket_id>/presence", views.ticket_presence, name="web-ticket-presence"),
    path("tickets/<int:ticket_id>/macro-preview", views.macro_preview, name="web-macro-preview"),
    path("tickets/<int:ticket_id>/reply", views.ticket_reply, name="web-ticket-reply"),
    path(
        "tickets/<int:ticket_id>/properties", views.ticket_properties, name="web-ticket-properties"
    ),
    path("tickets/<int:ticket_id>/merge", views.ticket_merge, name="web-ticket-merge"),
    path("tickets/<int:ticket_id>/follow-up", views.ticket_follow_up, name="web-ticket-follow-up"),
    path("tickets/<int:ticket_id>/redact", views.ticket_redact, name="web-ticket-redact"),
    path("agent/tickets/<int:ticket_id>", views.legacy_ticket_link, name="web-legacy-ticket"),
    # tktpage: new tickets for a requester, CCs, the people picker
    path("tickets/new", ticket_create_views.new_ticket, name="web-new-ticket"),
    path("tickets/<int:ticket_id>/ccs", ticket_create_views.ticket_ccs, name="web-ticket-ccs"),
    path("people/suggest", ticket_create_views.people_suggest, name="web-people-suggest"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="web-attachment"),
    path("search", views.search, name="web-search"),
    # user and organization pages (agents)
    path("users/<int:user_id>/", people_views.user_page, name="web-user"),
    path("users/<int:user_id>/notes", people_views.user_notes, name="web-user-notes"),
    path("users/<int:user_id>/verify", people_views.user_verify, name="web-user-verify"),
    path(
        "organizations/<int:organization_id>/",
        people_views.organization_page,
        name="web-organization",
    ),
    path(
        "organizations/<int:organization_id>/profile",
        people_views.organization_profile,
        name="web-organization-profile",
    ),
    path(
        "organizations/<int:organization_id>/verify",
        people_views.organization_verify,
        name="web-organization-verify",
    ),
    path("dashboard", views.dashboard_page, name="web-dashboard"),
    path("csat/", csat_views.report, name="web-csat"),
    path("csat/export.csv", csat_views.export_csv, name="web-csat-export-csv"),
    path("csat/export.jsonl", csat_views.export_jsonl, name="web-csat-export-jsonl"),
    path("csat/tasks/", csat_views.tasks, name="web-csat-tasks"),
    path("csat/tasks/<int:task_id>/", csat_views.task, name="web-csat-task"),
    path("tickets/<int:ticket_id>/csat-feedback", csat_views.log_feedback, name="web-csat-log"),
    # Public: the survey page an email links to (fixed; see core/links.py).
    path("csat/survey/<str:token>/", portal_csat.survey, name="csat-survey"),
    # customer calls: public booking pages (the token is the credential) and agent pages
    path("book/manage/<str:token>", booking.manage, name="book-manage"),
    path("book/manage/<str:token>/<str:op>", booking.manage_action, name="book-manage-action"),
    path("book/<str:token>/slots", booking.slots_json, name="book-slots"),
    path("book/<str:token>", booking.book, name="book"),
    path("calls/", calls_views.calendar, name="calls-calendar"),
    path("calls/suggested", calls_views.suggested, name="calls-suggested"),
    path("calls/settings", calls_views.my_settings, name="calls-settings"),
    path("calls/feeds/<str:token>.ics", calls_views.feed, name="calls-feed"),
    path("calls/feeds/<str:kind>/rotate", calls_views.rotate_feed, name="calls-feed-rotate"),
    path("calls/<int:call_id>/<str:op>", calls_views.call_action, name="calls-action"),
    path("tickets/<int:ticket_id>/calls/link", calls_views.mint_link, name="calls-mint-link"),
    path("tickets/<int:ticket_id>/calls/start", calls_views.start_now, name="calls-start-now"),
    path(
        "tickets/<int:ticket_id>/calls/dismiss-suggestion",
        calls_views.dismiss_suggestion,
        name="calls-dismiss-suggestion",
    ),
    # on-call incidents (agents): list, page, its buttons, open one by hand
    path("oncall/incidents/", incident_views.incident_list, name="web-incidents"),
    path("oncall/incidents/new/", incident_views.incident_new, name="web-incident-new"),
    path("oncall/incidents/<int:pk>/", incident_views.incident_detail, name="web-incident"),
    path(
        "oncall/incidents/<int:pk>/<str:action>/",
        incident_views.incident_action,
        name="web-incident-action",
    ),
    # config (#16): self-service API tokens
    path("settings/api-tokens", token_views.api_tokens, name="web-api-tokens"),
    path(
        "settings/api-tokens/<int:token_id>/revoke",
        token_views.revoke_api_token,
        name="web-api-token-revoke",
    ),
]
