from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care365.care"
    label = "care"
    verbose_name = "Daily care"
