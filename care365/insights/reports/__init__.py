"""Monthly, quarterly and yearly reports of an area in the ministry's breakdowns, as .xlsx and
PDF, built by the worker and kept (docs/insights.md, "Reports")."""
