"""`make token`: print a bearer token for the demo operator (last line: the token itself)."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

from infra.local import tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tenant", default="demo")
    parser.add_argument("--role", default="operator", choices=["operator", "admin"])
    parser.add_argument("--operator", default=None, help="operator id (default: <tenant>-<role>)")
    parser.add_argument("--invited", default=None, metavar="OPERATOR_ID",
                        help="an operator of the running runtime's directory: the token carries its role")
    parser.add_argument("--port", type=int, default=3000, help="the running runtime's port (with --invited)")
    args = parser.parse_args()
    if args.invited:
        query = urllib.parse.urlencode({"tenant": args.tenant, "operator_id": args.invited})
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{args.port}/_local/token?{query}", timeout=10) as reply:
                minted = json.loads(reply.read())
        except urllib.error.HTTPError as error:
            sys.exit(f"no token: {json.loads(error.read()).get('message')}")
        except urllib.error.URLError as error:
            sys.exit(f"no token: is `make run` running on port {args.port}? ({error.reason})")
        print(f"# bearer token for operator '{args.invited}' of tenant '{args.tenant}', role '{minted['role']}', "
              "valid 12 hours:")
        print(minted["token"])
        return
    print(f"# bearer token for tenant '{args.tenant}', role '{args.role}', valid 12 hours:")
    print(tokens.issue(args.tenant, args.role, args.operator))


if __name__ == "__main__":
    main()
