"""The demo sign-in site of `keyfob-server run --demo`, served at /demo.

A newcomer's first look at push approvals: enroll a user (QR code and link), then sign in
and approve on Keyfob by typing the number the page shows. It is a relying party like any
other (its own API key, RP name "Keyfob Demo"), calling the service in-process.
"""

from app.server.demo.site import DEMO_RP, DemoSite

__all__ = ["DEMO_RP", "DemoSite"]
