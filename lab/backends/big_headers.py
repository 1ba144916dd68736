"""Backend whose responses carry about --kbytes KB of headers (many cookies)."""

from common import Handler, parser, serve_http


def main():
    p = parser(__doc__)
    p.add_argument("--kbytes", type=int, default=16)
    args = p.parse_args()
    cookie_value = "x" * 480
    count = args.kbytes * 1024 // 512 + 1

    class Big(Handler):
        app_name = "app"

        def do_GET(self):
            headers = [
                ("Set-Cookie", f"sess_chunk_{i}={cookie_value}; Path=/; HttpOnly")
                for i in range(count)
            ]
            self.reply(200, "ok\n", headers)

    serve_http(Big, args.host, args.port, "app")


if __name__ == "__main__":
    main()
