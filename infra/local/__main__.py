"""python -m infra.local: run Switchboard on this machine until Ctrl-C."""

from __future__ import annotations

import os
import signal
import threading

from infra.local.runtime import LocalRuntime


def main() -> None:
    stopped = threading.Event()
    # Explicit handlers, before anything starts (a Ctrl-C while starting stops it once started, without a
    # traceback); a shell that starts us in the background may also have set SIGINT to "ignore".
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    runtime = LocalRuntime(port=int(os.environ.get("PORT", "3000"))).start()
    demo = runtime.demo
    print(f"""Switchboard is running on this machine.

  API          {runtime.url}            (Swagger UI: {runtime.url}/swagger)
  demo tenant  demo — WhatsApp channel wa-demo, phone_number_id {demo.phone_number_id}
               app secret '{demo.app_secret}', verify token '{demo.verify_token}'
               mailbox mail-demo <{demo.mailbox}>, Mailgun signing key '{demo.mailgun_signing_key}'

Try it (see the README for the signed webhook):
  TOKEN=$(make -s token | tail -1)
  curl -s -H "Authorization: Bearer $TOKEN" {runtime.url}/sessions

Listening on {runtime.url} — Ctrl-C stops it.""", flush=True)
    try:
        stopped.wait()
    finally:
        print("\nstopping…", flush=True)
        runtime.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    main()
