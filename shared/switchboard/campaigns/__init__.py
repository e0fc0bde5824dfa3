"""WhatsApp campaigns: one template to many contacts, on a schedule, at the channel's rate (docs/campaigns.md)."""
