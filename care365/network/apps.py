from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "care365.network"
    label = "network"
    verbose_name = _("the network around the child")

    def ready(self) -> None:
        from care365.network.services.referrals import referral_village_sync
        from care365.registry.hooks import on_child_moved

        # A referral's copy of the child's village moves with the child, in the move's
        # transaction (an area's referral lists are read by it).
        on_child_moved(referral_village_sync)
