from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "switchboard.calls"
    label = "calls"
    verbose_name = "Customer calls"

    def ready(self) -> None:
        from switchboard.calls import flow, links, tasks
        from switchboard.calls.models import EventType
        from switchboard.core import generations
        from switchboard.tickets import macros

        # {{current_user.booking_link}} mints a real single-use link (tickets cannot import calls).
        macros.register_booking_link_minter(links.mint_for_macro)
        # suggest_listener.on_ticket_event is listed in tickets/events.py (LISTENERS).
        flow.register_sweeps()
        tasks.register_sweeps()
        # The ticket page's call types are cached per process (web.queries.pick_lists): an edit
        # of an event type starts a new generation of the "desk" namespace.
        generations.watch("desk", EventType)
