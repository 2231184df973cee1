"""The feed service: the read model of public images, with likes, pins and reports.

- `projection` is the merge rule (pure, order-free); `consumers` feed it from the three durable
  consumers (ImagesReady, VisibilityChanged, ImageDeleted) with group commit; `rebuild` replays
  the streams into a shadow table and swaps it in (`python -m services.feed rebuild`).
- `handlers` serve FeedService; every page goes through `paging.authorized_page`, which asks the
  visibility authority (`authority`) about every candidate before it leaves (P1) and fails closed.
- `repository` holds the SQL (schema `feed`, migrations in `migrations/`); `cursors` the opaque
  keyset cursors; `social` the input rules and the report threshold.
"""
