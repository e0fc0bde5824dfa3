"""The API on a real HTTP server: each request becomes the event that AWS would send, and goes to the
function the declaration names: the REST API's proxy event (with the Cognito authorizer's claims) for
routes declared ``api="rest"``, the HTTP API's payload format 2.0 event for ``api="http"`` (webhooks).
Extra handlers (the Graph API simulator, the runtime's dev endpoints) mount under a path prefix.

CORS as API Gateway does it: the gateway answers browsers' preflight OPTIONS itself (the CDK stack's
preflight configuration), and its own refusals (401, 404, 405, 413) carry the CORS headers, as the stack's
gateway responses do; the functions' answers carry theirs from Powertools (switchboard/api/app.py). The
origins are SWITCHBOARD_CORS_ORIGINS (infra/declaration.py's cors_origins())."""

from __future__ import annotations

import base64
import json
import os
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from infra.declaration import FUNCTIONS, Function, Route, cors_origins
from infra.local import lambdas, tokens
from infra.local.lambdas import invoke

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_TEXT_TYPES = ("application/json", "text/", "application/x-www-form-urlencoded", "application/xml")


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class _FunctionReply:
    """What a function answered (as opposed to the gateway itself)."""

    reply: Reply


# A mounted handler: (method, path, query, headers, body) -> Reply
Mount = Callable[[str, str, dict[str, list[str]], dict[str, str], bytes], Reply]


@dataclass(frozen=True)
class _Binding:
    route: Route
    function: Function
    pattern: re.Pattern[str]


def _compile(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\{(\w+)\+?\}", lambda m: f"(?P<{m.group(1)}>[^/]+)", path)
    return re.compile(f"^{regex}$")


def json_reply(status: int, body: dict[str, Any]) -> Reply:
    return Reply(status, {"Content-Type": "application/json"}, json.dumps(body).encode())


class Gateway:
    """Routing, auth and event building, independent of the socket server (and testable alone)."""

    def __init__(self, functions: tuple[Function, ...] = FUNCTIONS,
                 origins: tuple[str, ...] | None = None) -> None:
        self.bindings = [_Binding(route, spec, _compile(route.path)) for spec in functions
                         for route in spec.routes]
        self.mounts: list[tuple[str, Mount]] = []
        # What serves a protocol upgrade on the same port (the WebSocket API: infra/local/websocket.py).
        self.upgrade: Any = None
        self.origins = origins if origins is not None else cors_origins(os.environ.get("SWITCHBOARD_CORS_ORIGINS"))

    def _cors_headers(self, headers: dict[str, str]) -> dict[str, str]:
        from switchboard.api.app import CORS_MAX_AGE_S, CORS_REQUEST_HEADERS, CORS_RESPONSE_HEADERS

        origin = next((v for k, v in headers.items() if k.lower() == "origin"), None)
        if not origin or origin not in self.origins:
            return {}
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                "Access-Control-Allow-Headers": ",".join(CORS_REQUEST_HEADERS),
                "Access-Control-Expose-Headers": ",".join(CORS_RESPONSE_HEADERS),
                "Access-Control-Max-Age": str(CORS_MAX_AGE_S)}

    def _preflight(self, path: str, headers: dict[str, str]) -> Reply:
        methods = sorted({b.route.method for b in self.bindings if b.route.auth and b.pattern.match(path)})
        if not methods:
            return json_reply(404, {"code": "route_not_found", "message": "no such route"})
        cors = self._cors_headers(headers)
        if not cors:
            return json_reply(403, {"code": "cors_origin_refused", "message": "this origin may not call the API"})
        return Reply(204, {**cors, "Access-Control-Allow-Methods": ",".join([*methods, "OPTIONS"])}, b"")

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes,
               source_ip: str = "127.0.0.1") -> Reply:
        reply = self._handle(method, raw_path, headers, body, source_ip)
        if isinstance(reply, _FunctionReply):
            return reply.reply  # the function's own headers (Powertools' CORS)
        if "Access-Control-Allow-Origin" not in reply.headers and (cors := self._cors_headers(headers)):
            path = urlsplit(raw_path).path
            if not any(path.startswith(prefix) for prefix, _ in self.mounts):
                reply = Reply(reply.status, {**reply.headers, **cors}, reply.body)
        return reply

    def mount(self, prefix: str, handler: Mount) -> None:
        self.mounts.append((prefix, handler))

    def _handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes,
                source_ip: str) -> Reply | _FunctionReply:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query, keep_blank_values=True)
        for prefix, handler in self.mounts:
            if path.startswith(prefix):
                return handler(method, path[len(prefix):] or "/", query, headers, body)
        if len(body) > MAX_BODY_BYTES:
            return json_reply(413, {"code": "payload_too_large", "message": "the body exceeds 10 MB"})
        if method == "OPTIONS":
            return self._preflight(path, headers)
        matches = [(b, m) for b in self.bindings if (m := b.pattern.match(path))]
        if not matches:
            return json_reply(404, {"code": "route_not_found", "message": "no such route"})
        allowed = [(b, m) for b, m in matches if b.route.method == method]
        if not allowed:
            return json_reply(405, {"code": "method_not_allowed", "message": f"{method} is not allowed here"})
        binding, match = allowed[0]
        claims = None
        if binding.route.auth:
            lower = {k.lower(): v for k, v in headers.items()}
            try:
                claims = tokens.verify(lower.get("authorization"))
            except tokens.InvalidToken:
                return json_reply(401, {"code": "unauthorized", "message": "Unauthorized"})
        event = self._event(method, path, query, headers, body, binding, match.groupdict(), claims, source_ip)
        with lambdas.API_TURNS:  # one request at a time through Powertools' Event Handler (lambdas.py)
            answer = invoke(binding.function, event)
        return _FunctionReply(self._reply(answer))

    @staticmethod
    def _body(headers: dict[str, str], body: bytes) -> tuple[str | None, bool]:
        """The event's body and isBase64Encoded: text types as text, anything else base64, as API Gateway."""
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        text = None
        if content_type.startswith(_TEXT_TYPES) or not content_type:
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        is_b64 = bool(body) and text is None
        return ((base64.b64encode(body).decode() if is_b64 else text) if body else None), is_b64

    @classmethod
    def _event(cls, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str], body: bytes,
               binding: _Binding, params: dict[str, str], claims: dict[str, str] | None,
               source_ip: str) -> dict[str, Any]:
        if binding.route.api == "http":
            return cls._http_event(method, path, query, headers, body, binding, params, source_ip)
        return cls._rest_event(method, path, query, headers, body, binding, params, claims, source_ip)

    @classmethod
    def _http_event(cls, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
                    body: bytes, binding: _Binding, params: dict[str, str], source_ip: str) -> dict[str, Any]:
        """The HTTP API's payload format 2.0: header names lower-cased, repeated headers and query values
        joined with commas, cookies apart, no multi-value maps."""
        text, is_b64 = cls._body(headers, body)
        lowered: dict[str, str] = {}
        for name, value in headers.items():
            key = name.lower()
            lowered[key] = f"{lowered[key]},{value}" if key in lowered else value
        cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
        route_key = f"{binding.route.method} {binding.route.path}"
        now = time.time()
        event: dict[str, Any] = {
            "version": "2.0", "routeKey": route_key, "rawPath": path,
            "rawQueryString": urlencode([(k, v) for k, values in query.items() for v in values]),
            "headers": lowered,
            "requestContext": {
                "accountId": "000000000000", "apiId": "local", "domainName": "127.0.0.1",
                "domainPrefix": "local",
                "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": source_ip,
                         "userAgent": lowered.get("user-agent", "")},
                "requestId": str(uuid.uuid4()), "routeKey": route_key, "stage": "$default",
                "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
                "timeEpoch": int(now * 1000),
            },
            "isBase64Encoded": is_b64,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = {k: ",".join(v) for k, v in query.items()}
        if params:
            event["pathParameters"] = params
        if text is not None:
            event["body"] = text
        return event

    @classmethod
    def _rest_event(cls, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str],
                    body: bytes, binding: _Binding, params: dict[str, str], claims: dict[str, str] | None,
                    source_ip: str) -> dict[str, Any]:
        text, is_b64 = cls._body(headers, body)
        request_context: dict[str, Any] = {
            "resourcePath": binding.route.path, "httpMethod": method, "path": f"/local{path}",
            "stage": "local", "requestId": str(uuid.uuid4()), "accountId": "000000000000",
            "identity": {"sourceIp": source_ip},
        }
        if claims is not None:
            request_context["authorizer"] = {"claims": claims}
        return {
            "resource": binding.route.path, "path": path, "httpMethod": method,
            "headers": dict(headers), "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": params or None, "stageVariables": None,
            "requestContext": request_context,
            "body": text,
            "isBase64Encoded": is_b64,
        }

    @staticmethod
    def _reply(response: dict[str, Any]) -> Reply:
        headers = {k: str(v) for k, v in (response.get("headers") or {}).items()}
        for name, values in (response.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(str(v) for v in values)
        raw = response.get("body") or ""
        body = base64.b64decode(raw) if response.get("isBase64Encoded") else raw.encode()
        return Reply(int(response.get("statusCode", 200)), headers, body)


def serve(gateway: Gateway, host: str, port: int, log: Callable[[str], None]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _dispatch(self) -> None:
            upgrade = gateway.upgrade
            if upgrade is not None and upgrade.wants(self.command, self.path, dict(self.headers.items())):
                self.close_connection = True  # the socket is the WebSocket's until it closes
                upgrade.serve(self.connection, self.path, dict(self.headers.items()), self.client_address[0])
                return
            length = _content_length(self.headers.get("Content-Length"))
            if length is None:  # negative or not a number: nothing to wait for, the request is broken
                reply = json_reply(400, {"code": "bad_request", "message": "Content-Length is not a length"})
                self.close_connection = True
            elif length > MAX_BODY_BYTES:
                reply = json_reply(413, {"code": "payload_too_large", "message": "the body exceeds 10 MB"})
                self.close_connection = True
            else:
                body = self.rfile.read(length) if length else b""
                try:
                    reply = gateway.handle(self.command, self.path, dict(self.headers.items()), body,
                                           self.client_address[0])
                except Exception as exc:  # noqa: BLE001 - what Lambda reports as a 502
                    log(f"{self.command} {self.path}: unhandled {exc!r}")
                    reply = json_reply(502, {"code": "internal_error", "message": "Internal server error"})
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _dispatch

        def __getattr__(self, name: str) -> Any:
            # Any other method (TRACE, QUERY, ...) is the gateway's JSON 405, not the stdlib's HTML 501.
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            # What the stdlib refuses before we see the request (headers over its limit: 431, a broken
            # request line: 400, a URI too long: 414) is our JSON error too, not its HTML page.
            reply = json_reply(code, {"code": _STDLIB_CODES.get(code, "bad_request"),
                                      "message": message or self.responses.get(code, ("error",))[0]})
            self.close_connection = True
            try:
                self.send_response(code, message)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Connection", "close")
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD" and code >= 200 and code not in (204, 304):
                    self.wfile.write(reply.body)
            except OSError:
                pass  # the client went away

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
            pass

    server = _Server((host, port), Handler)
    return server


class _Server(ThreadingHTTPServer):
    """Meta posts webhooks in bursts: the listen backlog holds 1,024 connections (the stdlib's 5 reset
    the rest), each request on its own daemon thread."""

    request_queue_size = 1024
    daemon_threads = True


_STDLIB_CODES = {400: "bad_request", 408: "request_timeout", 414: "uri_too_long",
                 431: "request_header_fields_too_large", 501: "method_not_allowed", 505: "http_version_not_supported"}


def _content_length(header: str | None) -> int | None:
    """The body's length from its header: 0 without one, None when it is not a non-negative number."""
    if header is None or not header.strip():
        return 0
    value = header.strip()
    return int(value) if value.isdigit() else None
