"""Moving accounts in and out: import, export, the phone transfer, backups."""
