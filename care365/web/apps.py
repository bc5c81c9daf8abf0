from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "care365.web"
    label = "web"
    verbose_name = "Web"
