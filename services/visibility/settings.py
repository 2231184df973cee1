from glue.settings import ServiceSettings


class VisibilitySettings(ServiceSettings):
    grpc_listen: str = "127.0.0.1:50052"
