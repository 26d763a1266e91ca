"""Exporters: write Keyfob accounts in a format another app (or a printer) takes.

One module per format, each with an exporter (see `base.Exporter`), found by name through
`registry.exporter_by_name`. Plaintext formats are marked `plaintext`: callers ask the user
first. See README.md in this folder.
"""
