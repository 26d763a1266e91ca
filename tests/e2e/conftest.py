"""End-to-end tests drive the CLI the way tests/cli does."""

from tests.cli.conftest import cli, vault_cli

__all__ = ["cli", "vault_cli"]
