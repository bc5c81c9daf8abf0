from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care365.care"
    label = "care"
    verbose_name = "Daily care"

    def ready(self) -> None:
        # A child's risk score follows what happens to the child, in any app, at once (the
        # daily run keeps the time-based reasons right): see care/services/risk.py.
        from care365.care.services.risk import risk_refresh_on_change
        from care365.registry.hooks import on_child_changed

        on_child_changed(risk_refresh_on_change)
