from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "care365.core"
    label = "core"
    verbose_name = "Core"
