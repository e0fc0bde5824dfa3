"""Inbound traffic: webhook receipt (verify, split, queue) and its processing (resolve, store, apply)."""
