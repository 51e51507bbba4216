from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "switchboard.calls"
    label = "calls"
    verbose_name = "Customer calls"

    def ready(self) -> None:
        from switchboard.calls import flow, links, suggest_listener, tasks
        from switchboard.tickets import events, macros

        # {{current_user.booking_link}} mints a real single-use link (tickets cannot import calls).
        macros.register_booking_link_minter(links.mint_for_macro)
        # Last, after SLA (10), on-call (50), triggers (100), time rules (110) and CSAT (120):
        # the "suggest a call" scorer reads the conversation as it stands after the change.
        events.listen(suggest_listener.on_ticket_event, order=130)
        flow.register_sweeps()
        tasks.register_sweeps()
