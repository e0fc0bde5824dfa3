"""Channels administered through the API: WhatsApp numbers and mailboxes (admins)."""
