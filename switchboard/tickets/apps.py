from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "switchboard.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from switchboard.core import housekeeping
        from switchboard.tickets import tasks  # noqa: F401  (timer handlers)
        from switchboard.tickets.housekeeping import prune_orphan_attachment_files

        housekeeping.register("orphan_files", prune_orphan_attachment_files)
