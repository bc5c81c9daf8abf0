"""The shared import engine (DESIGN.md: "Imports of records belong to the app that owns the
records, on one shared import engine"): reading .xlsx and .csv files (tabular), columns and row
errors (columns), the importer's contract and the chunked reading (engine), templates and error
reports (workbook), bulk writes (bulk). docs/imports.md describes it for its users."""
