from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "care365.registry"
    label = "registry"
    verbose_name = "Registry"
