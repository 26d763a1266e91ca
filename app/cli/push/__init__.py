"""`keyfob push ...`: enroll this computer for push sign-in approvals, list, remove, listen.

The modules form layers, each importing only those below it (an import-linter contract in
pyproject.toml keeps it so): `commands` (the parser and the light commands) -> `enroll`,
`listen` -> `enrollments`, `network`. The parser is built for every keyfob command, so
`commands` stays light at import: the protocol code, aiohttp and the vault load when a push
command runs.
"""
