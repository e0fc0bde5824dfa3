"""The email channel: MIME parsing (the standard library's ``email``, policy.default), threading, the
contact rule for threads with several addresses, inbound processing, SES sending and SES events."""
