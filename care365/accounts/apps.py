from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "care365.accounts"
    label = "accounts"
    verbose_name = "Accounts"
