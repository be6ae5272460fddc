"""Sends signed purges to edgecache, signed by the PyPI `standardwebhooks` library."""
import json
import logging
import secrets
import urllib.error
import urllib.request
from datetime import datetime, timezone

from django.conf import settings
from standardwebhooks.webhooks import Webhook

log = logging.getLogger("articles")


def purge(tags: list[str], *, soft: bool = False) -> bool:
    """POSTs a signed purge of `tags`; returns whether the edge accepted it.

    Failures are logged, not raised: a save must not fail because the edge is down. (In
    production, queue the purge and retry it; purges are idempotent.)
    """
    secret = settings.EDGECACHE_PURGE_SECRET
    if not secret:
        log.warning("EDGECACHE_PURGE_SECRET is not set; not purging %s", tags)
        return False
    body = {"tags": sorted(set(tags))}
    if soft:
        body["mode"] = "soft"
    payload = json.dumps(body, separators=(",", ":"))
    msg_id = f"msg_{secrets.token_hex(12)}"
    now = datetime.now(tz=timezone.utc)
    signature = Webhook(secret).sign(msg_id, now, payload)
    request = urllib.request.Request(
        settings.EDGECACHE_PURGE_URL,
        data=payload.encode(),
        method="POST",
        headers={
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.EDGECACHE_PURGE_TIMEOUT) as response:
            log.info("purged %s: %s", body["tags"], response.read().decode()[:300])
            return True
    except urllib.error.HTTPError as error:
        log.error("purge of %s refused: %s %s", body["tags"], error.code, error.read().decode()[:300])
    except (urllib.error.URLError, TimeoutError) as error:
        log.error("purge of %s failed: %s", body["tags"], error)
    return False
