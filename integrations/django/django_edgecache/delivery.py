"""Queueing purges in the outbox and delivering them to the edge.

`queue(tags)` writes a row inside the current transaction and asks for a delivery once it
commits (nothing on rollback: the row is rolled back with the change). `deliver()` sends every
due row: rows of one mode are merged into batches of at most 100 tags, each batch one signed
request (its message id derived from its rows, so a retried batch is a replay the edge answers
with its first receipt). A network error, a 5xx or a 429 leaves the rows for a later attempt,
with exponential backoff; a 4xx refusal marks them failed (logged and signalled, kept).
"""
import hashlib
import json
import logging
import random
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from django.db import transaction
from django.utils import timezone as dj_timezone
from standardwebhooks.webhooks import Webhook

from .conf import MAX_LIST_ITEMS, MissingSecret, config, soft_by_default, tag_prefix
from .models import PendingPurge
from .signals import purge_failed, purge_retry, purge_sent

log = logging.getLogger("django_edgecache")


_local = threading.local()


@contextmanager
def suppressed():
    """Queues nothing inside (this thread): for loading data into a site whose edge holds
    nothing of it yet, e.g. seeding a fresh database."""
    before = getattr(_local, "suppressed", False)
    _local.suppressed = True
    try:
        yield
    finally:
        _local.suppressed = before


def queue(
    tags=(), *, prefixes=(), everything: bool = False, soft: bool | None = None, using: str | None = None
) -> list[PendingPurge]:
    """Queues a purge of `tags` (prefixed with TAG_PREFIX), key `prefixes` (ending in "/" or
    ":"), or `everything`, in the current transaction; it is delivered after the commit. `soft`
    defaults to the SOFT setting. (Rows of at most 100 items a list, the edge's limit.)"""
    if getattr(_local, "suppressed", False):
        return []
    prefix = tag_prefix()
    wanted = sorted({f"{prefix}{t}" for t in tags if t})
    wanted_prefixes = sorted({p for p in prefixes if p})
    if soft is None:
        soft = soft_by_default()
    now = dj_timezone.now()
    objects = PendingPurge.objects.using(using)
    if everything:
        rows = [objects.create(everything=True, soft=soft, next_attempt_at=now)]
    else:
        rows = [
            objects.create(tags=wanted[i : i + MAX_LIST_ITEMS], soft=soft, next_attempt_at=now)
            for i in range(0, len(wanted), MAX_LIST_ITEMS)
        ] + [
            objects.create(prefixes=wanted_prefixes[i : i + MAX_LIST_ITEMS], soft=soft, next_attempt_at=now)
            for i in range(0, len(wanted_prefixes), MAX_LIST_ITEMS)
        ]
    if rows:
        transaction.on_commit(lambda: _deliver_after_commit(using), using=using)
    return rows


def _deliver_after_commit(using) -> None:
    # Never raises into the code that committed: what could not be sent waits in the outbox.
    try:
        deliver(using=using)
    except MissingSecret as error:
        log.warning("edgecache purges wait in the outbox: %s", error)
    except Exception:  # noqa: BLE001 — logged with its traceback, the rows stay queued
        log.exception("edgecache delivery failed; the purges wait in the outbox")


@dataclass
class Report:
    """What one `deliver()` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    receipts: list = field(default_factory=list)


def _batches(rows):
    """Rows merged per mode into request bodies of at most MAX_LIST_ITEMS tags and prefixes:
    (soft, body, rows). Rows purging everything become one request per mode."""
    out = []
    for soft in (False, True):
        mode = [r for r in rows if r.soft == soft]
        everything = [r for r in mode if r.everything]
        if everything:
            out.append((soft, {"everything": True}, everything))
        body: dict = {}
        members: list[PendingPurge] = []
        for row in (r for r in mode if not r.everything):
            lists = {"tags": row.tags, "prefixes": row.prefixes}
            grows = any(len(set(body.get(k, [])) | set(v)) > MAX_LIST_ITEMS for k, v in lists.items())
            if members and grows:
                out.append((soft, body, members))
                body, members = {}, []
            for name, items in lists.items():
                if not items:
                    continue
                merged = body.setdefault(name, [])
                for item in items:
                    if item not in merged:
                        merged.append(item)
            members.append(row)
        if members:
            out.append((soft, body, members))
    return out


def _message_id(body, soft, rows) -> str:
    basis = json.dumps([sorted(r.pk for r in rows), body, soft], sort_keys=True)
    return "msg_" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def _send(cfg, message_id: str, body: bytes):
    """POSTs one signed purge: (status or None, answer text)."""
    now = datetime.now(tz=timezone.utc)
    request = urllib.request.Request(
        cfg.purge_url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(cfg.secret).sign(message_id, now, body.decode()),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=cfg.timeout) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(errors="replace")
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as error:
        return None, f"{type(error).__name__}: {getattr(error, 'reason', error)}"


def backoff(attempts: int, cap: float) -> float:
    """Seconds before attempt `attempts + 1`: 1, 2, 4, … up to `cap`, with ±20 % jitter."""
    return min(cap, 2 ** max(0, attempts - 1)) * random.uniform(0.8, 1.2)


def deliver(*, using: str | None = None, everything: bool = False, include_failed: bool = False) -> Report:
    """Sends every due purge in the outbox (`everything`: whatever its backoff; `include_failed`:
    those marked failed too); see the module."""
    cfg = config()
    now = dj_timezone.now()
    report = Report()
    rows = PendingPurge.objects.using(using)
    if not everything:
        rows = rows.filter(next_attempt_at__lte=now)
    rows = list(rows if include_failed else rows.filter(failed=False))
    for soft, body, members in _batches(rows):
        message_id = _message_id(body, soft, members)
        if soft:
            body = {**body, "mode": "soft"}
        # What every signal about this request carries.
        about = {"tags": body.get("tags", []), "body": body, "mode": "soft" if soft else "hard", "message_id": message_id}
        payload = json.dumps(body, separators=(",", ":")).encode()
        status, answer = _send(cfg, message_id, payload)
        ids = [r.pk for r in members]
        if status is not None and 200 <= status < 300:
            PendingPurge.objects.using(using).filter(pk__in=ids).delete()
            receipt = _json(answer)
            report.sent += 1
            report.receipts.append(receipt)
            log.info("edgecache purge sent: %s (%s) receipt %s", body, message_id, answer[:300])
            purge_sent.send(PendingPurge, receipt=receipt, **about)
            continue
        error = f"HTTP {status}: {answer[:300]}" if status is not None else answer
        retryable = status is None or status >= 500 or status in (408, 429)
        for row in members:
            row.attempts += 1
            row.last_error = error
            if retryable and row.attempts < cfg.max_attempts:
                row.failed = False
                row.next_attempt_at = now + timedelta(seconds=backoff(row.attempts, cfg.max_backoff))
            else:
                row.failed = True
            row.save(using=using, update_fields=["attempts", "last_error", "failed", "next_attempt_at"])
        if retryable and all(not r.failed for r in members):
            report.retried += 1
            log.warning("edgecache purge of %s will be retried: %s", body, error)
            purge_retry.send(
                PendingPurge,
                error=error,
                attempt=max(r.attempts for r in members),
                next_attempt_at=min(r.next_attempt_at for r in members),
                **about,
            )
        else:
            report.failed += 1
            log.error("edgecache purge of %s failed: %s", body, error)
            purge_failed.send(PendingPurge, error=error, **about)
    return report


def _json(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return {"raw": text[:300]}
