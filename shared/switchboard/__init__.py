"""Switchboard: customer conversations over WhatsApp and email.

Layers, top to bottom (docs/architecture.md; tests/unit/test_architecture.py holds them):
- ``api``: the HTTP edge (routes, the caller from the token, one error map, views).
- the areas (``inbound``, ``email``, ``outbound``, ``sessions``, ``contacts``, ``campaigns``, ``templates``,
  ``whatsapp``): the rules of each part of the product; they decide and hand storage an intent.
- ``storage``, ``clients``, ``aws``: the only modules that touch boto3 or HTTP; storage builds every item,
  key and expression.
- ``domain``: pure rules and models every layer shares; ``clock``, ``ids``, ``errors``, ``config``.
"""
