from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "switchboard.sla"
    label = "sla"
    verbose_name = "SLA: schedules, policies and clocks"

    def ready(self) -> None:
        from switchboard.sla import clocks, queries
        from switchboard.tickets import saved_views

        # The ticket-event listener is listed in tickets/events.py (LISTENERS).
        clocks.register_sweeps()
        saved_views.register_unanswered_breach(queries.unanswered_breach)
