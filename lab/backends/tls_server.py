"""HTTPS backend with a self-signed certificate made at start-up by the
`openssl` CLI (written to --dir)."""

import os
import ssl
import subprocess

from common import Handler, log, parser, serve_http
from http.server import ThreadingHTTPServer


def make_cert(directory, cn):
    key = os.path.join(directory, "backend.key")
    crt = os.path.join(directory, "backend.crt")
    if not os.path.exists(crt):
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", key, "-out", crt, "-days", "2", "-subj", f"/CN={cn}",
             "-addext", f"subjectAltName=DNS:{cn},IP:127.0.0.1"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return crt, key


def main():
    p = parser(__doc__)
    p.add_argument("--dir", required=True)
    p.add_argument("--cn", default="backend.lab.test")
    args = p.parse_args()
    crt, key = make_cert(args.dir, args.cn)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)

    class TLSServer(ThreadingHTTPServer):
        def finish_request(self, request, client_address):
            try:
                tls = ctx.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log("tls-app", f"TLS handshake with {client_address[0]} failed: {e}")
                return
            super().finish_request(tls, client_address)

    class Hello(Handler):
        app_name = "tls-app"

        def do_GET(self):
            self.reply(200, "hello over TLS\n")

    serve_http(Hello, args.host, args.port, "tls-app", server_class=TLSServer)


if __name__ == "__main__":
    main()
