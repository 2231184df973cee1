"""The public HTTP API (`/api/v1/...`): the routers (`routes/`, one per area, never importing each
other) and what they share: request and response bodies, views of protobuf messages, who may read
an image or a generation, how a generation starts."""
