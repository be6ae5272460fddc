"""Signals about deliveries, each with `body` (the purge request: `tags`, `prefixes` or
`everything`), `tags` (its tags), `mode` and `message_id`:

- `purge_sent`: the edge accepted it; `receipt` is its JSON receipt.
- `purge_retry`: an attempt failed (network error, 5xx, 429); `error`, `attempt`, `next_attempt_at`.
- `purge_failed`: given up (a 4xx refusal, or MAX_ATTEMPTS reached); `error`. The rows stay in the
  outbox marked failed: `manage.py edgecache_deliver --retry-failed` sends them again.
"""
from django.dispatch import Signal

purge_sent = Signal()
purge_retry = Signal()
purge_failed = Signal()
