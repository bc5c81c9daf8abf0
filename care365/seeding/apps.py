from django.apps import AppConfig


class SeedingConfig(AppConfig):
    """A synthetic county for demos, tests and benchmarks (`care365 seed`, `care365 demo`):
    no app's business, so a package of its own. No models."""

    name = "care365.seeding"
    verbose_name = "Seeding"
