from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "switchboard.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from switchboard.tickets import tasks  # noqa: F401  (timer handlers)
