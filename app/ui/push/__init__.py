"""Push sign-in requests: the connection to each push server, the prompt, enrolment, the history
and status.

The rest of the app sees one object, `feature.PushFeature`, and gives it a `host.PushHost`
(the shell's adapter is shell.push_host): push never imports the shell or the accounts window.
"""
