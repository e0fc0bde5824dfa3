"""Switchboard: customer conversations over WhatsApp and email.

Layers, top to bottom:
- ``api``, ``whatsapp.webhook``: the edge (entry models, HTTP errors, webhook verification).
- ``inbound``, ``domain``: the rules (contacts, sessions, messages, statuses).
- ``storage``, ``aws``, ``whatsapp.graph``: the only modules that touch boto3 or requests.
"""
