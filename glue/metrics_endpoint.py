"""Every process's Prometheus endpoint, on its own port. A port that cannot be taken stops the
process at start with the reason, before it serves anything: a process that went on without its
metrics (or, worse, half-started) would pass a TCP probe and answer nothing."""

from prometheus_client import start_http_server


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """No-op for port 0 (metrics only where the service's own HTTP app serves them)."""
    if not port:
        return
    try:
        start_http_server(port, addr=host)
    except OSError as error:
        raise SystemExit(f"cannot serve metrics on {host}:{port}: {error.strerror or error}") from error
