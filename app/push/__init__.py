"""The push protocol as pure code: canonical signing, enrollment, messages, the device session.

Free of sockets, event loops and Qt: transports (app/ui, the tests, the server) feed it text
and send what it returns. See ../shared/PUSH-PROTOCOL.md for the protocol itself.
"""
