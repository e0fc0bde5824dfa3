"""WhatsApp Cloud API: webhook envelopes and signatures (edge), the Graph API client (bottom layer)."""
