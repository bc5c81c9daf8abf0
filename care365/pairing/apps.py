from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "care365.pairing"
    label = "pairing"
    verbose_name = "Pairing"
