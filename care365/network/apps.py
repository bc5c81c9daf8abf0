from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NetworkConfig(AppConfig):
    name = "care365.network"
    label = "network"
    verbose_name = _("the network around the child")
