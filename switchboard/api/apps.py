from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "switchboard.api"
    label = "api"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from switchboard.api import actions, ratelimit
        from switchboard.core import housekeeping

        actions.connect()
        housekeeping.register("rate_buckets", ratelimit.prune_ended_windows)
