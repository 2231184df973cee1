"""The operator command `python -m services.generation export-consented DIR` (also
`./atelierctl export-consented DIR`): writes a consent export (services/generation/export_writer.py)
from the running service's ConsentExportService.

A client of the service, not a reader of its tables: the service checks every image with the
visibility authority and billing at read time, and this command needs only the operator's
certificate (ATELIER_TLS_*) and the service's address (ATELIER_GENERATION_ADDR or --addr). Any error
(an outage the service reports, a stream cut short, a full disk) leaves no export behind and exits 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import grpc

from atelier.generation.v1 import export_pb2, export_pb2_grpc
from contracts import identities
from glue.service_identity import IdentityFiles, secure_sync_channel
from glue.settings import ServiceSettings
from services.generation.export_writer import ExportFailed, ExportWriter


class ExportSettings(ServiceSettings):
    generation_addr: str = "127.0.0.1:50051"


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="python -m services.generation export-consented",
        description="Write the images that are public now and whose owners' plan terms allow training use "
        "(with prompts and licence records) as a new export under DIR, and list the previous export's "
        "images that are withdrawn.",
    )
    command.add_argument("dir", type=Path, help="directory of exports (created if missing)")
    command.add_argument("--addr", help="generation service host:port (default: ATELIER_GENERATION_ADDR)")
    command.add_argument("--batch-size", type=int, default=0, help="images checked per batch (default 500)")
    command.add_argument("--timeout", type=float, default=3600.0, help="seconds the whole export may take")
    return command


def export(
    channel: grpc.Channel, root: Path, batch_size: int = 0, timeout_s: float | None = 3600.0
) -> tuple[Path, dict]:
    """Runs one export through `channel`; the new export's directory and its manifest's counts."""
    stub = export_pb2_grpc.ConsentExportServiceStub(channel)
    with ExportWriter(root) as writer:
        summary = None
        for item in stub.ExportConsentedImages(
            export_pb2.ExportConsentedImagesRequest(batch_size=batch_size), timeout=timeout_s
        ):
            if summary is not None:
                raise ExportFailed("the service sent images after its summary")
            if item.HasField("image"):
                writer.add(item.image)
            else:
                summary = item.summary
        if summary is None:
            raise ExportFailed("the stream ended without the service's summary: the export is incomplete")
        path = writer.finish(summary)
    return path, json.loads((path / "manifest.json").read_text())["counts"]


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    settings = ExportSettings()
    address = args.addr or settings.generation_addr
    with secure_sync_channel(address, identities.GENERATION_API, IdentityFiles.from_settings(settings)) as channel:
        try:
            path, counts = export(channel, args.dir, args.batch_size, args.timeout)
        except grpc.RpcError as error:
            sys.stderr.write(f"generation at {address}: {error.code().name}: {error.details()}; nothing written\n")
            return 1
        except (ExportFailed, OSError) as error:
            sys.stderr.write(f"export failed, nothing written: {error}\n")
            return 1
    sys.stdout.write(json.dumps({"export": str(path), **counts}) + "\n")
    return 0
