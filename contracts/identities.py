"""Who may call whom: the service identities the platform's certificates name (their subject CN).
A server allows each of its methods to some of these; any other name is unknown."""

GATEWAY = "gateway"
GENERATION_API = "generation-api"
GENERATION_WORKER = "generation-worker"
VISIBILITY = "visibility"
FEED = "feed"
BILLING = "billing"
WEBHOOKS = "webhooks"
# People running the operator commands (billing set-plan, feed moderation).
OPERATOR = "operator"

ALL = frozenset({GATEWAY, GENERATION_API, GENERATION_WORKER, VISIBILITY, FEED, BILLING, WEBHOOKS, OPERATOR})

# The one process that authenticates people, so the one that signs user tokens (glue.user_token).
USER_TOKEN_SIGNER = GATEWAY
