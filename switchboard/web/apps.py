from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "switchboard.web"
    label = "web"
    verbose_name = "Agent workspace"

    def ready(self) -> None:
        from switchboard.web import actions

        actions.connect()
