"""ConsentExportService gRPC handler: the consent export's domain objects → protobuf."""

from __future__ import annotations

import grpc

from atelier.generation.v1 import export_pb2, export_pb2_grpc
from services.generation.consent_export import MAX_BATCH, ConsentedImage, ConsentExporter, ExportUnavailable
from services.generation.handlers import _timestamp


def consented_to_proto(item: ConsentedImage) -> export_pb2.ConsentedImage:
    image = item.image
    return export_pb2.ConsentedImage(
        image_id=str(image.id),
        owner_id=image.owner_id,
        prompt=image.prompt,
        negative_prompt=image.negative_prompt,
        width=image.width,
        height=image.height,
        content_type=image.content_type,
        content=item.content,
        created_at=_timestamp(image.created_at),
        plan=item.plan,
        terms_version=item.terms_version,
        checked_at=_timestamp(item.checked_at),
    )


class ConsentExportServicer(export_pb2_grpc.ConsentExportServiceServicer):
    def __init__(self, exporter: ConsentExporter):
        self._exporter = exporter

    async def ExportConsentedImages(
        self, request: export_pb2.ExportConsentedImagesRequest, context: grpc.aio.ServicerContext
    ):
        if not 0 <= request.batch_size <= MAX_BATCH:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"batch_size: 0 (the default) to {MAX_BATCH}")
        try:
            async for item in self._exporter.export(request.batch_size):
                if isinstance(item, ConsentedImage):
                    yield export_pb2.ExportConsentedImagesResponse(image=consented_to_proto(item))
                else:
                    summary = export_pb2.ExportSummary(
                        scanned=item.scanned, public_images=item.public, exported=item.exported
                    )
                    yield export_pb2.ExportConsentedImagesResponse(summary=summary)
        except ExportUnavailable as error:
            await context.abort(grpc.StatusCode.UNAVAILABLE, f"export stopped, nothing unchecked was sent: {error}")
