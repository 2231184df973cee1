"""Process wiring: the API process (gRPC + outbox relay) and the worker process."""

import asyncio
import logging
from pathlib import Path

import grpc

from atelier.generation.v1 import (
    custom_models_pb2,
    custom_models_pb2_grpc,
    events_pb2,
    export_pb2,
    export_pb2_grpc,
    generation_pb2,
    generation_pb2_grpc,
)
from contracts import identities
from contracts.generation import GENERATION_REQUESTED, STREAM, STREAM_SPEC
from glue.consumer import ConsumerSpec, run_consumer
from glue.metrics_endpoint import serve_metrics
from glue.on_behalf import NO_USER, UserPolicy, acts_for
from glue.periodic import run_periodically
from glue.runtime import Runtime, open_runtime
from glue.service_identity import CallerPolicy, IdentityFiles, secure_channel
from glue.storage import ObjectStore
from services.generation.actions import ACTIONS
from services.generation.clients import BillingClient, VisibilityClient
from services.generation.consent_export import ConsentExporter
from services.generation.custom_model_handlers import CustomModelServicer
from services.generation.custom_model_training import StyleTraining, TritonStyleTrainer
from services.generation.custom_model_uploads import MAX_TOTAL_BYTES
from services.generation.custom_model_use import ModelUse
from services.generation.custom_models import CustomModels
from services.generation.deletion import GenerationDeleter
from services.generation.export_handlers import ConsentExportServicer
from services.generation.handlers import ERRORS, GenerationServicer
from services.generation.inference import TritonImageModel, TritonTxt2Img
from services.generation.progress_relay import ProgressRelay
from services.generation.reservations import AbandonedReservationSweep
from services.generation.settings import SCHEMA, GenerationSettings
from services.generation.worker import WORKER_DURABLE, GenerationWorker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"

SERVICE = generation_pb2.DESCRIPTOR.services_by_name["GenerationService"]
# Prompts, seeds and storage keys of private images: only the gateway, which scopes every call to
# the signed-in user, asks for them.
# The gateway, for its users; the feed reads the prompts of images made public (BatchGetImages
# answers an anonymous viewer only what the authority says is public now).
CALLERS = CallerPolicy.for_service(
    identities.ALL,
    SERVICE,
    {
        **{method.name: {identities.GATEWAY} for method in SERVICE.methods},
        "BatchGetImages": {identities.GATEWAY, identities.FEED},
    },
)
# Every method acts for the user the gateway's token names; the reads also for an anonymous viewer
# (BatchGetImages: public images only, for the feed's prompt look-ups and anonymous pages;
# GetGeneration: none).
USERS = UserPolicy.for_service(
    SERVICE,
    {
        "Submit": acts_for("owner_id"),
        "GetLastVisibility": acts_for("owner_id"),
        "GetGeneration": acts_for("viewer_id", anonymous=True),  # nobody's: NOT_FOUND, like anyone else's
        "ListGenerations": acts_for("owner_id"),
        "BatchGetImages": acts_for("viewer_id", anonymous=True),
        "DeleteGeneration": acts_for("actor_id"),
        "RestoreGeneration": acts_for("actor_id"),
        # A generation's previews, for its owner only; nobody's: NOT_FOUND, like GetGeneration.
        "WatchProgress": acts_for("viewer_id", anonymous=True),
    },
)

# The consent export (ARCHITECTURE.md P7): an operator's, for no user (it reads every owner's
# public images, each checked with the authority and billing at read time).
EXPORT_SERVICE = export_pb2.DESCRIPTOR.services_by_name["ConsentExportService"]
EXPORT_CALLERS = CallerPolicy.for_service(
    identities.ALL, EXPORT_SERVICE, {"ExportConsentedImages": {identities.OPERATOR}}
)
EXPORT_USERS = UserPolicy.for_service(EXPORT_SERVICE, {"ExportConsentedImages": NO_USER})
# Custom models: the gateway's, for the signed-in user only (their owner, or a member of the team
# a model is shared with).
MODELS_SERVICE = custom_models_pb2.DESCRIPTOR.services_by_name["CustomModelService"]
MODELS_CALLERS = CallerPolicy.for_service(
    identities.ALL, MODELS_SERVICE, {method.name: {identities.GATEWAY} for method in MODELS_SERVICE.methods}
)
MODELS_USERS = UserPolicy.for_service(
    MODELS_SERVICE,
    {
        "CreateCustomModel": acts_for("owner_id"),
        "ListCustomModels": acts_for("owner_id"),
        "GetCustomModel": acts_for("viewer_id"),
        "DeleteCustomModel": acts_for("actor_id"),
        "GetTrainingImage": acts_for("viewer_id"),
        "ShareCustomModel": acts_for("actor_id"),
    },
)
# A CreateCustomModel carries its uploads: up to the uploads' limit, with room for the envelope.
MAX_REQUEST_BYTES = MAX_TOTAL_BYTES + 4 * 1024 * 1024
# The API process serves the three services: one policy each way over every method of them.
API_CALLERS = CallerPolicy(identities.ALL, {**CALLERS.allowed, **EXPORT_CALLERS.allowed, **MODELS_CALLERS.allowed})
API_USERS = UserPolicy({**USERS.rules, **EXPORT_USERS.rules, **MODELS_USERS.rules})


async def _open(settings: GenerationSettings, role: str, drain_timeout_s: float = 10.0) -> Runtime:
    return await open_runtime(
        database_url=settings.database_url,
        schema=SCHEMA,
        migrations=MIGRATIONS,
        nats_url=settings.nats_url,
        client_name=f"generation-{role}",
        owned_streams=[STREAM_SPEC],
        stream_replicas=settings.stream_replicas,
        pool_size=settings.db_pool_size,
        drain_timeout_s=drain_timeout_s,
    )


async def run_api(settings: GenerationSettings) -> None:
    runtime = await _open(settings, "api")
    runtime.relay_outbox(SCHEMA, settings)
    identity = IdentityFiles.from_settings(settings)
    billing_channel = secure_channel(settings.billing_addr, identities.BILLING, identity)
    visibility_channel = secure_channel(settings.visibility_addr, identities.VISIBILITY, identity)
    runtime.on_close(lambda: billing_channel.close(None))
    runtime.on_close(lambda: visibility_channel.close(None))
    visibility = VisibilityClient(visibility_channel)
    deleter = GenerationDeleter(runtime.pool, visibility, ObjectStore(settings), settings.delete_undo_window_s)
    billing = BillingClient(billing_channel)
    progress = ProgressRelay(runtime.pool, runtime.nc, settings.progress_watch_max_s)
    model_use = ModelUse(runtime.pool, visibility)
    servicer = GenerationServicer(runtime.pool, billing, visibility, deleter, progress, ACTIONS, model_use)
    exporter = ConsentExportServicer(ConsentExporter(runtime.pool, visibility, billing, ObjectStore(settings)))
    models = CustomModelServicer(
        CustomModels(runtime.pool, billing, ObjectStore(settings), model_use, settings.custom_model_train_steps)
    )

    def register(server: grpc.aio.Server) -> None:
        generation_pb2_grpc.add_GenerationServiceServicer_to_server(servicer, server)
        export_pb2_grpc.add_ConsentExportServiceServicer_to_server(exporter, server)
        custom_models_pb2_grpc.add_CustomModelServiceServicer_to_server(models, server)

    sweep = AbandonedReservationSweep(runtime.pool, billing, settings.reservation_recovery_after_s)
    runtime.run_in_background(
        run_periodically("abandoned reservation sweep", sweep.sweep, settings.reservation_sweep_interval_s),
        "reservation-sweep",
    )
    runtime.run_in_background(
        run_periodically("deletion sweep", deleter.sweep, settings.deletion_sweep_interval_s),
        "deletion-sweep",
    )
    await runtime.serve(
        settings,
        settings.grpc_listen,
        register,
        [SERVICE.full_name, EXPORT_SERVICE.full_name, MODELS_SERVICE.full_name],
        API_CALLERS,
        API_USERS,
        errors=ERRORS,
        max_message_bytes=MAX_REQUEST_BYTES,
    )


async def run_worker(settings: GenerationSettings) -> None:
    serve_metrics(settings.metrics_port, settings.metrics_host)
    runtime = await _open(settings, "worker", drain_timeout_s=settings.worker_drain_timeout_s)
    store = ObjectStore(settings)
    await asyncio.to_thread(store.ensure_bucket)
    visibility_channel = secure_channel(
        settings.visibility_addr, identities.VISIBILITY, IdentityFiles.from_settings(settings)
    )
    runtime.on_close(lambda: visibility_channel.close(None))
    image_models = TritonImageModel(settings.triton_url, timeout_s=settings.inference_timeout_s)
    runtime.on_close(image_models.close)
    trainer = TritonStyleTrainer(settings.triton_url, timeout_s=settings.custom_model_train_timeout_s)
    runtime.on_close(trainer.close)
    worker_visibility = VisibilityClient(visibility_channel)
    styles = StyleTraining(runtime.pool, store, worker_visibility, trainer, ModelUse(runtime.pool, worker_visibility))
    worker = GenerationWorker(
        runtime.pool,
        runtime.nc,
        store,
        TritonTxt2Img(settings.triton_url, settings.triton_model, timeout_s=settings.inference_timeout_s),
        VisibilityClient(visibility_channel),
        image_models,
        ACTIONS,
        inference_attempts=settings.inference_attempts,
        retry_base_s=settings.inference_retry_base_s,
        outage_limit_s=settings.triton_outage_limit_s,
        styles=styles,
    )
    spec = ConsumerSpec(
        stream=STREAM,
        durable=WORKER_DURABLE,
        subject=GENERATION_REQUESTED,
        event_type=events_pb2.GenerationRequested,
        ack_wait_s=settings.worker_ack_wait_s,
        max_deliver=settings.worker_max_deliver,
    )
    runtime.run_in_background(
        run_consumer(runtime.js, spec, worker.handle, settings.worker_concurrency, stopping=runtime.stopping),
        WORKER_DURABLE,
        drains=True,
    )
    log.info("worker consuming", extra={"subject": GENERATION_REQUESTED})
    await runtime.run_until_stopped()
