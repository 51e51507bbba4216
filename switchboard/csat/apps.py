from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "switchboard.csat"
    label = "csat"
    verbose_name = "CSAT: surveys, ratings, routing, the KPI report"

    def ready(self) -> None:
        from switchboard.csat import sweeps

        # listeners.on_ticket_event is listed in tickets/events.py (LISTENERS).
        sweeps.register()
