"""Bulk export and import (issue 5): JSON Lines, CSV, XLSX and a ZIP of official PDFs.

One responsibility per module:

``columns``        a template → the columns of a CSV/XLSX row (one source of truth, both ways)
``cells``          one stored value → a CSV string or an XLSX cell (identifiers as text, inert formulas)
``selection``      which dossiers an export hands out: filters, consent, masking, one audit entry
``export_jsonl``   JSON Lines, streamed
``export_tabular`` CSV (one template) streamed; XLSX (a sheet per template) via a temporary file
``export_pdfzip``  official copies rendered in a bounded process pool, streamed into a ZIP + manifest
``readers``        an uploaded file (JSON Lines/JSON, CSV, XLSX) → numbered rows
``tabular_input``  a spreadsheet row → a dossier record, through ``columns``
``importer``       rows → validated dossiers (create or update), with a per-row report

Nothing here imports Flask: ``service/api/bulk.py`` and ``service/cli.py`` are the thin callers.
"""
