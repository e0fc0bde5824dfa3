"""One router per concern; each function's handler includes the routers it serves (infra/declaration.py)."""
