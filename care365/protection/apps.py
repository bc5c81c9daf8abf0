from django.apps import AppConfig


class ProtectionConfig(AppConfig):
    name = "care365.protection"
    label = "protection"
    verbose_name = "Instant protection"
