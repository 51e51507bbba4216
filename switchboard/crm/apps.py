from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "switchboard.crm"
    label = "crm"
    verbose_name = "CRM: Salesforce sync, file import, integrity checks"

    def ready(self) -> None:
        from switchboard.crm import casepush, tasks
        from switchboard.notify.models import DeliveryChannel
        from switchboard.notify.outbox.delivery import register_sender

        tasks.connect()
        register_sender(DeliveryChannel.CRM, casepush.send_case)
        # casepush.on_ticket_event is listed in tickets/events.py (LISTENERS).
