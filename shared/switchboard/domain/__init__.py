"""The rules of the domain: channels, contacts, sessions, messages. No boto3 here."""
