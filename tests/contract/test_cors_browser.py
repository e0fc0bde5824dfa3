"""A frontend on its own origin, in a real browser (Debian's headless Chromium): a page served on another
port of 127.0.0.1, with a dev token embedded as `make token` prints it, lists the demo tenant's sessions
through CORS. The same page on an origin that is not in SWITCHBOARD_CORS_ORIGINS is refused by the browser."""

from __future__ import annotations

import html
import json
import re
import socket
import subprocess
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.runtime import local_runtime, token
from tests.support.whatsapp import envelope, signed, text_message

pytestmark = [pytest.mark.contract, pytest.mark.e2e]

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Synchronous requests run while the page is parsed, so their outcome is in the DOM Chromium dumps.
PAGE = """<!doctype html><html><body><pre id="out"></pre><script>
function call(method, url, token) {
  const request = new XMLHttpRequest();
  request.open(method, url, false);
  if (token) request.setRequestHeader("Authorization", "Bearer " + token);
  try { request.send(); return {status: request.status, body: request.responseText}; }
  catch (error) { return {status: 0, error: error.name}; }
}
document.getElementById("out").textContent = JSON.stringify(call("GET", API + "/sessions", TOKEN));
</script></body></html>"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def static_page(port: int, body: str) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            payload = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.shutdown()
        server.server_close()


def open_in_chromium(url: str, profile: Path) -> dict:
    """What the page found, read from the DOM headless Chromium dumps once the page has loaded."""
    assert CHROMIUM.exists(), "Chromium is missing: `make test` installs Debian's chromium package"
    done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", "--dump-dom", url],
                          capture_output=True, text=True, timeout=120)
    match = re.search(r'<pre id="out">(.*?)</pre>', done.stdout, re.DOTALL)
    assert match, done.stdout + done.stderr
    return json.loads(html.unescape(match.group(1)))


@pytest.fixture(scope="module")
def browser_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    listed, unlisted = _free_port(), _free_port()
    origins = f"http://localhost:5173,http://127.0.0.1:{listed}"
    with local_runtime({"SWITCHBOARD_CORS_ORIGINS": origins}) as api:
        raw, headers = signed(envelope([text_message(body="Hello from a browser test", wamid="wamid.CORS1")]))
        urllib.request.urlopen(urllib.request.Request(f"{api}/webhooks/whatsapp", data=raw, headers=headers))
        urllib.request.urlopen(urllib.request.Request(f"{api}/_local/idle", data=b"{}", method="POST"))
        page = PAGE.replace("API + ", f"{json.dumps(api)} + ").replace("TOKEN)", f"{json.dumps(token())})")
        with static_page(listed, page) as listed_url, static_page(unlisted, page) as unlisted_url:
            yield {"api": api, "listed": listed_url, "unlisted": unlisted_url,
                   "profiles": tmp_path_factory.mktemp("chromium")}


def test_a_page_on_a_listed_origin_lists_sessions(browser_setup: dict) -> None:
    found = open_in_chromium(browser_setup["listed"], browser_setup["profiles"] / "listed")
    assert found["status"] == 200, found
    texts = [s["last_message"]["text"] for s in json.loads(found["body"])["items"]]
    assert texts == ["Hello from a browser test"]


def test_a_page_on_another_origin_is_refused_by_the_browser(browser_setup: dict) -> None:
    found = open_in_chromium(browser_setup["unlisted"], browser_setup["profiles"] / "unlisted")
    assert found == {"status": 0, "error": "NetworkError"}


def test_the_preflight_allows_only_a_listed_origin(browser_setup: dict) -> None:
    def preflight(origin: str) -> dict[str, str]:
        request = urllib.request.Request(f"{browser_setup['api']}/sessions", method="OPTIONS", headers={
            "Origin": origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})
        try:
            with urllib.request.urlopen(request) as response:
                return dict(response.headers)
        except urllib.error.HTTPError as refused:
            return dict(refused.headers)

    assert preflight(browser_setup["listed"].rstrip("/")).get("Access-Control-Allow-Origin") == \
        browser_setup["listed"].rstrip("/")
    assert "Access-Control-Allow-Origin" not in preflight(browser_setup["unlisted"].rstrip("/"))
