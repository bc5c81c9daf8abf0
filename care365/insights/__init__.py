"""Insights: what a county and the levels above it see and send upward (dashboards, roll-ups,
the statistics API, reports as xlsx and PDF, and lists exported as files)."""
