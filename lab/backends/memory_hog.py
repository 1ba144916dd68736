"""HTTP backend whose request handler keeps allocating memory (--mb MB in
16 MB steps), as a runaway export/report job would."""

from common import Handler, log, parser, serve_http


def main():
    p = parser(__doc__)
    p.add_argument("--mb", type=int, default=512)
    args = p.parse_args()

    class Hog(Handler):
        app_name = "export-app"

        def do_GET(self):
            log(self.app_name, f"building export for {self.path}")
            held = []
            for _ in range(args.mb // 16):
                held.append(b"\xa5" * (16 << 20))  # filled, so really resident
            self.reply(200, f"export done ({len(held) * 16} MB)\n")

    serve_http(Hog, args.host, args.port, "export-app")


if __name__ == "__main__":
    main()
