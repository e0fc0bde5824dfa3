"""The team (docs/team.md): operators, groups, presence, routing, business hours, canned responses."""
