from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care365.care"
    label = "care"
    verbose_name = "Daily care"

    def ready(self) -> None:
        # A child's risk score follows what happens to the child, in any app, at once (the
        # daily run keeps the time-based reasons right): see care/services/risk.py.
        from care365.care.services.plans import plan_due_refresh_on_change
        from care365.care.services.risk import (
            risk_drop_on_exit,
            risk_refresh_on_change,
            risk_village_sync,
        )
        from care365.registry.hooks import (
            on_child_changed,
            on_child_exited,
            on_child_moved,
            on_children_changed_now,
        )

        on_child_changed(risk_refresh_on_change)
        # The score's copy of the child's village moves with the child, in the move's
        # transaction (the risk list is read by it).
        on_child_moved(risk_village_sync)
        # Only children in the registry have a score: it goes in the exit's transaction.
        on_child_exited(risk_drop_on_exit)
        # The children's stored next-due dates (the due lists read them) are rewritten in the
        # transaction of every registry or pairing write that changes a plan: services/plans.py.
        on_children_changed_now(plan_due_refresh_on_change)
