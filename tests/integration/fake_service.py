"""Stands in for an Atelier service in the devstack tests: listens on ATELIER_GRPC_LISTEN and sends
each client the ATELIER_* settings it was started with, as JSON."""

import json
import os
import socket


def main() -> None:
    host, port = os.environ["ATELIER_GRPC_LISTEN"].rsplit(":", 1)
    settings = json.dumps({k: v for k, v in os.environ.items() if k.startswith("ATELIER_")}).encode()
    with socket.create_server((host, int(port))) as server:
        while True:
            connection, _ = server.accept()
            with connection:
                try:
                    connection.sendall(settings)
                except OSError:
                    pass  # a readiness probe that connected and left at once


if __name__ == "__main__":
    main()
