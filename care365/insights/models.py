"""The insights app's models, one module per part (re-exported here for Django)."""

from care365.insights.reports.models import Report

__all__ = ["Report"]
