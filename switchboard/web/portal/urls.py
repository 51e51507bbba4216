"""Routes of the customer portal (mounted at /portal/ by web/urls.py).

Fixed: the ticket page is /portal/tickets/<id>/ (emails link there; see core/links.py).
"""

from django.urls import path

from switchboard.web.portal import cc_views, csat, views

app_name = "portal"

urlpatterns: list = [
    path("", views.home, name="home"),
    path("tickets/new", views.new_ticket, name="new_ticket"),
    path("tickets/new/check", views.check_sensitive, name="check_sensitive"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/reply", views.reply, name="reply"),
    path("tickets/<int:ticket_id>/solve", views.solve, name="solve"),
    path("register/resend", views.resend_confirmation, name="register_resend"),
    path("tickets/<int:ticket_id>/ccs", cc_views.ticket_ccs, name="ticket_ccs"),
    path("tickets/<int:ticket_id>/feedback", csat.feedback, name="feedback"),
    path("attachments/<int:attachment_id>/", views.download, name="attachment"),
    path("register", views.register, name="register"),
    path("register/confirm/<uidb64>/<token>/", views.register_confirm, name="register_confirm"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "password-reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("organization/contacts", views.contacts, name="contacts"),
    path("organization/contacts/<int:user_id>/remove", views.contact_remove, name="contact_remove"),
    path("organization/contacts/<int:user_id>/access", views.contact_access, name="contact_access"),
]
