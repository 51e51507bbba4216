from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "switchboard.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from switchboard.core import generations, housekeeping
        from switchboard.tickets import tasks  # noqa: F401  (timer handlers)
        from switchboard.tickets.housekeeping import prune_orphan_attachment_files
        from switchboard.tickets.models import Macro

        housekeeping.register("orphan_files", prune_orphan_attachment_files)
        # The agent pages' pick lists are cached per process (web.queries.pick_lists): an edit
        # of a macro starts a new generation of the "desk" namespace.
        generations.watch("desk", Macro)
