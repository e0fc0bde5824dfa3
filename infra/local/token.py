"""`make token`: print a bearer token for the demo operator (last line: the token itself)."""

from __future__ import annotations

import argparse

from infra.local import tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--role", default="operator", choices=["operator", "admin"])
    parser.add_argument("--operator", default=None, help="operator id (default: <tenant>-<role>)")
    args = parser.parse_args()
    print(f"# bearer token for tenant '{args.tenant}', role '{args.role}', valid 12 hours:")
    print(tokens.issue(args.tenant, args.role, args.operator))


if __name__ == "__main__":
    main()
