"""Small helpers shared by the lab's stdlib backends (no third-party code).

Every backend logs to stderr; the runner sends that to a log file under the
scenario's temp dir and pastes its tail like a person would.
"""

import argparse
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def log(name, msg):
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"[{stamp}] [{name}] {msg}", file=sys.stderr, flush=True)


def parser(description, host="127.0.0.1"):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--host", default=host)
    p.add_argument("--port", type=int, required=True)
    return p


class Handler(BaseHTTPRequestHandler):
    """Base handler: access lines go through log(), HTTP/1.1 replies."""

    protocol_version = "HTTP/1.1"
    server_version = "lab-app/1.0"
    app_name = "app"

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        log(self.app_name, f"{self.client_address[0]} {format % args}")

    def reply(self, status, body, extra_headers=()):
        data = body.encode()
        self.send_response(status)
        for k, v in extra_headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def serve_http(handler, host, port, name, server_class=ThreadingHTTPServer):
    if ":" in host:
        class V6(server_class):
            address_family = socket.AF_INET6
        server_class = V6
    server_class.daemon_threads = True
    srv = server_class((host, port), handler)
    shown = f"[{host}]" if ":" in host else host
    log(name, f"listening on {shown}:{port}")
    srv.serve_forever()


def read_head(conn, limit=65536):
    """Read an HTTP request head; return its first line ('' on EOF)."""
    data = b""
    conn.settimeout(5)
    try:
        while b"\r\n\r\n" not in data and len(data) < limit:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def serve_raw(host, port, name, on_conn):
    """Accept loop for backends that misbehave below HTTP."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(128)
    log(name, f"listening on {host}:{port}")
    while True:
        conn, addr = s.accept()
        threading.Thread(target=on_conn, args=(conn, addr), daemon=True).start()
