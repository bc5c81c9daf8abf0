from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "care365.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from care365.core import lookups

        lookups.register()
