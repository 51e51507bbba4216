from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "switchboard.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from switchboard.core import generations, housekeeping
        from switchboard.tickets import tasks  # noqa: F401  (timer handlers)
        from switchboard.tickets.housekeeping import prune_orphan_attachment_files
        from switchboard.tickets.models import Macro, View

        housekeeping.register("orphan_files", prune_orphan_attachment_files)
        # The agent pages' pick lists and views are cached per process (web.queries.pick_lists,
        # web.queries.home_views): an edit of either starts a new generation of "desk".
        generations.watch("desk", Macro, View)
