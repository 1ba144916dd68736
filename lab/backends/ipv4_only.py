"""Plain HTTP app that binds the IPv4 loopback only (127.0.0.1), never ::1."""

from common import Handler, parser, serve_http


def main():
    args = parser(__doc__).parse_args()

    class Hello(Handler):
        app_name = "app"

        def do_GET(self):
            self.reply(200, "hello from 127.0.0.1\n")

    # The point of this backend: the address is fixed to IPv4 loopback.
    serve_http(Hello, "127.0.0.1", args.port, "app")


if __name__ == "__main__":
    main()
