from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "switchboard.sla"
    label = "sla"
    verbose_name = "SLA: schedules, policies and clocks"

    def ready(self) -> None:
        from switchboard.sla import clocks
        from switchboard.tickets import events

        # Order 10: clocks and Ticket.sla_due_at are up to date before triggers/notifications.
        events.listen(clocks.on_ticket_event, order=10)
        clocks.register_sweeps()
