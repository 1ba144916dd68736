"""Backend that answers every request with a TCP RST (SO_LINGER 0 close)."""

import socket
import struct

from common import log, parser, read_head, serve_raw


def main():
    args = parser(__doc__).parse_args()

    def on_conn(conn, addr):
        line = read_head(conn)
        log("app", f"{addr[0]} \"{line}\": aborting connection")
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    serve_raw(args.host, args.port, "app", on_conn)


if __name__ == "__main__":
    main()
