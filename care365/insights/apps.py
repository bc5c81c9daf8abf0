from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "care365.insights"
    label = "insights"
    verbose_name = "Insights"

    def ready(self) -> None:
        # A change to a child marks the child's village for the roll-ups' next refresh (after
        # the commit, never on a rollback): see care365/insights/services.py.
        from care365.insights.services import village_mark_on_change
        from care365.registry.hooks import on_child_changed

        on_child_changed(village_mark_on_change)
