from django.apps import AppConfig


class AreasConfig(AppConfig):
    name = "care365.areas"
    label = "areas"
    verbose_name = "Areas"
