"""CRM routes (pages in web/crm_views.py): mounted at the site root by config/urls.py."""

from django.urls import path

from switchboard.web import crm_views as views

app_name = "crm"

urlpatterns = [
    path("crm/integrity/", views.integrity, name="integrity"),
    path("crm/integrity/run/", views.run_now, name="integrity-run"),
    path("crm/integrity/fix/<int:finding_id>/", views.apply_fix, name="integrity-fix"),
    path("crm/tickets/<int:ticket_id>/case/", views.case_link, name="case-link"),
]
