"""Operators' actions on sessions: assign, resolve, notes, tags, read, no reply needed, reopen, and
starting a new WhatsApp session with a template. Rules live here; storage goes through the Table."""
