"""Imports of children, carers and users from registers (.xlsx and .csv): the import records,
their chunked and resumable runs, the pages and the `care365 import` command. The engine is in
care365/core/imports; each kind's importer lives in the app that owns the records
(registry/imports.py, carers/imports.py, accounts/imports.py). docs/imports.md."""
