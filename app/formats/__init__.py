"""Importers: turn another authenticator's export file into Keyfob accounts.

One module per source app, each with one importer class (see `base.Importer`), and a
registry that detects which importer a file belongs to. Importers only read: the caller
shows the preview and adds the accounts to the vault. See README.md for the formats.
"""
