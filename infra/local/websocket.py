"""The WebSocket API on this machine, played as API Gateway plays it, on the API's own port:

- ``GET /ws?token=<JWT>`` with ``Upgrade: websocket`` is authorized with the development key (what the
  realtime_authorizer function does with Cognito's keys in AWS), then the declared connection function gets
  the ``$connect`` event; a refused token or a non-200 answer refuses the upgrade (401/403).
- Frames a client sends go to ``$default``; a closed socket goes to ``$disconnect``.
- The connection management API that functions post to (``POST|GET|DELETE /@connections/{id}``, answering
  410 ``GoneException`` for a connection that is gone) is served under ``/_ws``: the functions' boto3
  ``apigatewaymanagementapi`` client is pointed there, as it is at the API's callback URL in AWS.

The WebSocket protocol itself is the ``websockets`` library's sans-I/O ``ServerProtocol`` over the socket
the HTTP server accepted; nothing here frames bytes by hand."""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from websockets.datastructures import Headers
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from infra.declaration import FUNCTIONS, Function
from infra.local import tokens
from infra.local.lambdas import invoke

PATH = "/ws"
MANAGEMENT_PREFIX = "/_ws"
_CONNECTION_PATH = re.compile(r"^/@connections/([^/]+)$")

# (status, headers, body) of a management API answer; the runtime's API server turns it into its reply.
Answer = tuple[int, dict[str, str], bytes]


def _json(status: int, body: dict[str, Any], error_type: str | None = None) -> Answer:
    headers = {"Content-Type": "application/json"}
    if error_type:
        headers["x-amzn-ErrorType"] = error_type
    return status, headers, json.dumps(body).encode()


class _Connection:
    def __init__(self, connection_id: str, sock: socket.socket, protocol: ServerProtocol,
                 context: dict[str, str], source_ip: str) -> None:
        self.connection_id, self.sock, self.protocol = connection_id, sock, protocol
        self.context, self.source_ip = context, source_ip
        self.connected_at = time.time()
        self.lock = threading.Lock()  # the protocol object and the socket's writes are shared by two threads

    def flush(self) -> None:
        for data in self.protocol.data_to_send():
            if data:
                self.sock.sendall(data)

    def send_text(self, data: bytes) -> bool:
        with self.lock:
            if self.protocol.state is not State.OPEN:
                return False
            try:
                self.protocol.send_text(data)
                self.flush()
            except OSError:
                return False
        return True

    def close(self) -> None:
        with self.lock:
            if self.protocol.state is State.OPEN:
                self.protocol.send_close(1000, "closed by the server")
                try:
                    self.flush()
                except OSError:
                    pass


class LocalWebSocketApi:
    def __init__(self, log: Callable[[str], None], functions: tuple[Function, ...] = FUNCTIONS) -> None:
        self.log = log
        routes = {key: spec for spec in functions for key in spec.websocket_routes}
        self.routes = routes
        self.connections: dict[str, _Connection] = {}
        self.lock = threading.Lock()

    # the upgrade, on the HTTP server's thread for this socket
    @staticmethod
    def wants(method: str, raw_path: str, headers: dict[str, str]) -> bool:
        upgrade = next((v for k, v in headers.items() if k.lower() == "upgrade"), "")
        return method == "GET" and urlsplit(raw_path).path.rstrip("/") == PATH and upgrade.lower() == "websocket"

    def serve(self, sock: socket.socket, raw_path: str, headers: dict[str, str], source_ip: str) -> None:
        """Handshake, then read frames until the socket closes (the calling thread is this socket's)."""
        # The HTTP server has read the request already; the protocol parses it again from its bytes, so its
        # parser moves on to frames (the handshake then goes through accept() or reject() as usual).
        protocol = ServerProtocol()
        protocol.receive_data(f"GET {raw_path} HTTP/1.1\r\n".encode("latin-1") + b"".join(
            f"{name}: {value}\r\n".encode("latin-1") for name, value in headers.items()) + b"\r\n")
        request = next((e for e in protocol.events_received() if isinstance(e, Request)), None)
        if request is None:  # not a request the protocol can read; the HTTP server read it, so: a bad one
            request = Request(raw_path, Headers(headers))
        query = parse_qs(urlsplit(raw_path).query)
        connection_id = secrets.token_urlsafe(12)
        try:
            claims = tokens.verify(f"Bearer {(query.get('token') or [''])[-1]}")
            context = {"tenant_id": claims[tokens.TENANT_CLAIM], "operator_id": claims["sub"],
                       "role": claims.get(tokens.ROLE_CLAIM) or "operator", "principalId": claims["sub"]}
        except (tokens.InvalidToken, KeyError):
            self._refuse(sock, protocol, request, 401, "Unauthorized")
            return
        answer = self._invoke("$connect", connection_id, context, source_ip, headers=headers,
                              query={k: v[-1] for k, v in query.items()})
        if int(answer.get("statusCode", 500)) != 200:
            self._refuse(sock, protocol, request, 403, "Forbidden")
            return
        response = protocol.accept(request)
        protocol.send_response(response)
        connection = _Connection(connection_id, sock, protocol, context, source_ip)
        with connection.lock:
            connection.flush()
        if response.status_code != 101:
            self._invoke("$disconnect", connection_id, context, source_ip)
            return
        with self.lock:
            self.connections[connection_id] = connection
        try:
            self._read(connection)
        finally:
            with self.lock:
                self.connections.pop(connection_id, None)
            self._invoke("$disconnect", connection_id, context, source_ip)

    @staticmethod
    def _refuse(sock: socket.socket, protocol: ServerProtocol, request: Request, status: int, text: str) -> None:
        protocol.send_response(protocol.reject(status, text))
        for data in protocol.data_to_send():
            if data:
                sock.sendall(data)

    def _read(self, connection: _Connection) -> None:
        protocol = connection.protocol
        while True:
            try:
                data = connection.sock.recv(65536)
            except OSError:
                data = b""
            messages: list[str] = []
            with connection.lock:
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
                for event in protocol.events_received():
                    if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                        messages.append(event.data.decode("utf-8", "replace"))
                try:
                    connection.flush()  # pongs, the answer to a close
                except OSError:
                    return
                closed = protocol.state is State.CLOSED or not data
            for message in messages:
                self._invoke("$default", connection.connection_id, connection.context, connection.source_ip,
                             body=message)
            if closed:
                return

    def _invoke(self, route_key: str, connection_id: str, context: dict[str, str], source_ip: str,
                headers: dict[str, str] | None = None, query: dict[str, str] | None = None,
                body: str | None = None) -> dict[str, Any]:
        spec = self.routes.get(route_key) or self.routes.get("$default")
        if spec is None:
            return {"statusCode": 200}
        event_type = {"$connect": "CONNECT", "$disconnect": "DISCONNECT"}.get(route_key, "MESSAGE")
        event: dict[str, Any] = {
            "requestContext": {
                "routeKey": route_key, "eventType": event_type, "connectionId": connection_id,
                "requestId": str(uuid.uuid4()), "stage": "local", "apiId": "local", "domainName": "127.0.0.1",
                "connectedAt": int(time.time() * 1000), "identity": {"sourceIp": source_ip},
                "authorizer": dict(context),
            },
            "isBase64Encoded": False,
        }
        if headers is not None:
            event["headers"] = dict(headers)
        if query:
            event["queryStringParameters"] = query
        if body is not None:
            event["body"] = body
        try:
            return invoke(spec, event) or {}
        except Exception as exc:  # noqa: BLE001 - API Gateway answers 500 to the client, the socket lives on
            self.log(f"{spec.name} {route_key}: unhandled {exc!r}")
            return {"statusCode": 500}

    # the connection management API (what API Gateway serves at the callback URL)
    def manage(self, method: str, path: str, body: bytes) -> Answer:
        match = _CONNECTION_PATH.match(path)
        if not match:
            return _json(404, {"message": "no such route"}, "NotFoundException")
        connection_id = unquote(match.group(1))
        with self.lock:
            connection = self.connections.get(connection_id)
        if connection is None:
            return _json(410, {"message": "the connection is gone"}, "GoneException")
        if method == "POST":
            if not connection.send_text(body):
                return _json(410, {"message": "the connection is gone"}, "GoneException")
            return 200, {}, b""
        if method == "DELETE":
            connection.close()
            return 204, {}, b""
        if method == "GET":
            return _json(200, {"connectedAt": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                            time.gmtime(connection.connected_at)),
                               "identity": {"sourceIp": connection.source_ip}})
        return _json(405, {"message": "method not allowed"})

    def close_all(self) -> None:
        with self.lock:
            connections = list(self.connections.values())
        for connection in connections:
            connection.close()
