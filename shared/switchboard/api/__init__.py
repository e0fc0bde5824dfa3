"""The operators' HTTP API: Powertools Event Handler routers, auth from JWT claims, one error mapping."""
