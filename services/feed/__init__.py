"""The feed service: the read model of public images, with likes, pins and reports."""
