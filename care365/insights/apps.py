from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "care365.insights"
    label = "insights"
    verbose_name = "Insights"
