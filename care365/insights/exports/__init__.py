"""Lists exported as .csv and .xlsx (children, carers, due, risk, alerts)."""
