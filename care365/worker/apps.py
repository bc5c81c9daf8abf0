from django.apps import AppConfig


class WorkerConfig(AppConfig):
    """`care365 worker`: composes the periodic and background work each app declares in its
    `jobs.py`. No models."""

    name = "care365.worker"
    verbose_name = "Worker"
