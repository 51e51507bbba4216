from django.apps import AppConfig


class CsatConfig(AppConfig):
    name = "switchboard.csat"
    label = "csat"
    verbose_name = "CSAT: surveys, ratings, routing, the KPI report"

    def ready(self) -> None:
        from switchboard.csat import listeners, sweeps
        from switchboard.tickets import events

        # After the triggers (100) and the time rules (110): the survey is scheduled on solve and
        # cancelled on reopen, from the committed state of the change the earlier listeners made.
        events.listen(listeners.on_ticket_event, order=120)
        sweeps.register()
