from django.apps import AppConfig


class SlaConfig(AppConfig):
    name = "switchboard.sla"
    label = "sla"
    verbose_name = "SLA: schedules, policies and clocks"

    def ready(self) -> None:
        from switchboard.core import generations
        from switchboard.sla import clocks, models, queries
        from switchboard.tickets import saved_views

        # Policies and schedules are cached per process (core/generations.py): an edit of any
        # of these rows starts a new generation of the "sla" namespace.
        generations.watch(
            "sla",
            models.Schedule,
            models.ScheduleInterval,
            models.Holiday,
            models.Policy,
            models.PolicyTarget,
        )

        # The ticket-event listener is listed in tickets/events.py (LISTENERS).
        clocks.register_sweeps()
        saved_views.register_unanswered_breach(queries.unanswered_breach)
