from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "care365.web"
    label = "web"
    verbose_name = "Web"

    def ready(self) -> None:
        # Connects the sign-in receiver and registers the settings check (web/security.py).
        from care365.web import security  # noqa: F401
