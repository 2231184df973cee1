"""Start and stop the real servers Atelier runs on (Postgres, NATS JetStream, nanio S3, Triton) and
the Atelier services, for `./atelierctl up` and for the test fixtures."""

from tools.devstack.nats import NatsServer
from tools.devstack.objectstore import ObjectStore
from tools.devstack.postgres import PostgresServer
from tools.devstack.process import PortInUseError, ServerStartError, free_port, free_ports
from tools.devstack.triton import TritonServer, txt2img_repository

__all__ = [
    "NatsServer",
    "ObjectStore",
    "PortInUseError",
    "PostgresServer",
    "ServerStartError",
    "TritonServer",
    "free_port",
    "free_ports",
    "txt2img_repository",
]
