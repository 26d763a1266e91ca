"""Push sign-in requests: the connection to each push server, the prompt, enrolment, the history
and status.
"""
