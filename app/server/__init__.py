"""keyfob-server: the companion push server (relying-party HTTP API and device websocket).

A separate deployable: it uses app.core, app.push, the standard library and aiohttp only.
"""
