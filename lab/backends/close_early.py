"""Backend that reads the request and closes the connection without a reply
(a worker dying mid-request, as a crashed app would)."""

from common import log, parser, read_head, serve_raw


def main():
    args = parser(__doc__).parse_args()

    def on_conn(conn, addr):
        line = read_head(conn)
        log("app", f"{addr[0]} \"{line}\": unhandled exception in worker, connection dropped")
        conn.close()  # orderly FIN, no status line sent

    serve_raw(args.host, args.port, "app", on_conn)


if __name__ == "__main__":
    main()
