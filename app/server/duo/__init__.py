"""Duo's Auth API v2 on keyfob-server: IdPs that speak Duo (authentik, Authelia, any
`duo_client`) send Keyfob pushes unchanged. DUO.md says how to set one up."""
