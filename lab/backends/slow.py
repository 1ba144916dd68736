"""Slow HTTP backend: every request takes --delay seconds to answer."""

import time

from common import Handler, log, parser, serve_http


def main():
    p = parser(__doc__)
    p.add_argument("--delay", type=float, default=3.0)
    args = p.parse_args()

    class Slow(Handler):
        app_name = "slow-app"

        def do_GET(self):
            started = time.monotonic()
            time.sleep(args.delay)
            try:
                self.reply(200, "finally done\n")
            except OSError as e:
                log(self.app_name, f"client went away after {time.monotonic() - started:.1f}s: {e}")

    serve_http(Slow, args.host, args.port, "slow-app")


if __name__ == "__main__":
    main()
