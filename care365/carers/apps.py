from django.apps import AppConfig


class CarersConfig(AppConfig):
    name = "care365.carers"
    label = "carers"
    verbose_name = "Carers"
