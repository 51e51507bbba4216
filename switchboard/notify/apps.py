from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "switchboard.notify"
    label = "notify"
    verbose_name = "Notify: triggers, time rules, email, webhooks and chat"

    def ready(self) -> None:
        from switchboard.notify import automations, delivery_tasks, intake_tasks, triggers

        # Triggers listen to ticket events after SLA (10) and the on-call helpdesk rule (50).
        triggers.connect()
        automations.connect()
        delivery_tasks.connect()
        intake_tasks.connect()
