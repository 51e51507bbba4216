from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "switchboard.core"
    label = "core"
    verbose_name = "Core: jobs and timers"

    def ready(self) -> None:
        # Registers the generic timer sweep with the sweeper.
        from importlib import import_module

        from django.conf import settings

        from switchboard.core import timers  # noqa: F401

        for module in settings.SWITCHBOARD_PLUGINS:
            import_module(module)
