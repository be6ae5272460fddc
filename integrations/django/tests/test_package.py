"""django-edgecache against a stand-in edge on loopback that verifies every request with the
PyPI standardwebhooks library and answers as told (the end-to-end tests against the real worker
are in tests/worker/django.test.mjs)."""
import os
from io import StringIO

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.test import TestCase, override_settings
from django.utils import timezone

import django_edgecache
from django_edgecache.conf import config
from django_edgecache.models import PendingPurge
from django_edgecache.signals import purge_failed, purge_retry, purge_sent
from django_edgecache.testing import StandInEdge

from .models import Post, Topic

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
os.environ["EDGECACHE_PURGE_SECRET"] = SECRET
django_edgecache.register(Post, tags=Post.edge_tags)


class Base(TestCase):
    def setUp(self):
        self.edge = StandInEdge(SECRET)
        self.settings_override = override_settings(EDGECACHE={"PURGE_URL": self.edge.url, "TIMEOUT": 2})
        self.settings_override.enable()
        self.addCleanup(self.settings_override.disable)
        self.addCleanup(self.edge.close)

    def tags_sent(self):
        self.assertTrue(all(r["verified"] for r in self.edge.received))
        return [sorted(r["json"]["tags"]) for r in self.edge.received]


class Settings(TestCase):
    def test_missing_or_wrong_settings_are_clear_errors_and_failed_checks(self):
        for given, message in [
            (None, "must be a dict"),
            ({}, "PURGE_URL"),
            ({"PURGE_URL": "ftp://x"}, "PURGE_URL"),
            ({"PURGE_URL": "http://x", "TTL": 5}, "unknown keys: TTL"),
        ]:
            with self.subTest(given=given), override_settings(EDGECACHE=given):
                with self.assertRaisesMessage(ImproperlyConfigured, message):
                    config()
                errors = checks.run_checks()
                self.assertTrue(any(e.id == "edgecache.E001" for e in errors), errors)
        # A missing secret is a warning: saves go on, purges wait in the outbox until it is set.
        with override_settings(EDGECACHE={"PURGE_URL": "http://x", "SECRET_ENV": "NO_SUCH_VARIABLE"}):
            with self.assertRaisesMessage(ImproperlyConfigured, "NO_SUCH_VARIABLE"):
                config()
            self.assertTrue(any(e.id == "edgecache.W001" for e in checks.run_checks()))
            with self.captureOnCommitCallbacks(execute=True):
                Post.objects.create(slug="no-secret", author="ann")
            self.assertEqual(PendingPurge.objects.count(), 1, "the purge waits")
        with override_settings(EDGECACHE={"PURGE_URL": "http://x"}):
            self.assertNotIn("whsec", repr(config()), "the secret is redacted")
            self.assertEqual([e for e in checks.run_checks() if e.id.startswith("edgecache")], [])


class Purges(Base):
    def test_a_save_purges_after_commit_and_a_changed_slug_purges_the_old_tags_too(self):
        with self.captureOnCommitCallbacks(execute=True):
            post = Post.objects.create(slug="hello", author="ann")
        self.assertEqual(self.tags_sent(), [["author:ann", "post:hello", "posts"]])
        with self.captureOnCommitCallbacks(execute=True):
            post.slug, post.author = "hello-again", "bob"
            post.save()
        self.assertEqual(
            self.tags_sent()[1], ["author:ann", "author:bob", "post:hello", "post:hello-again", "posts"]
        )
        with self.captureOnCommitCallbacks(execute=True):
            post.delete()
        self.assertEqual(self.tags_sent()[2], ["author:bob", "post:hello-again", "posts"])
        self.assertEqual(PendingPurge.objects.count(), 0, "delivered rows leave the outbox")

    def test_many_to_many_changes_purge_the_instance(self):
        with self.captureOnCommitCallbacks(execute=True):
            post = Post.objects.create(slug="m2m", author="ann")
            topic = Topic.objects.create(name="rust")
        with self.captureOnCommitCallbacks(execute=True):
            post.topics.add(topic)
        self.assertEqual(self.tags_sent()[-1], ["author:ann", "post:m2m", "posts"])
        self.assertEqual(len(self.edge.received), 2)

    def test_a_rollback_sends_nothing_and_leaves_nothing(self):
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            try:
                with transaction.atomic():
                    Post.objects.create(slug="never", author="ann")
                    raise RuntimeError("rolled back")
            except RuntimeError:
                pass
        self.assertEqual(callbacks, [])
        self.assertEqual(self.edge.received, [])
        self.assertEqual(PendingPurge.objects.count(), 0)

    def test_one_transaction_is_one_request_and_lists_are_cut_at_the_edges_limit(self):
        with self.captureOnCommitCallbacks(execute=True):
            with transaction.atomic():
                for i in range(3):
                    Post.objects.create(slug=f"p{i}", author="ann")
        self.assertEqual(len(self.edge.received), 1, "three saves in one transaction: one signed request")
        self.assertEqual(len(self.edge.received[0]["json"]["tags"]), 5)
        with self.captureOnCommitCallbacks(execute=True):
            django_edgecache.purge([f"t{i}" for i in range(250)])
        sizes = [len(r["json"]["tags"]) for r in self.edge.received[1:]]
        self.assertEqual(sorted(sizes), [50, 100, 100])

    def test_with_the_edge_down_saves_succeed_and_purges_wait_then_all_arrive(self):
        seen = {"retry": [], "sent": []}
        on_retry = lambda **kw: seen["retry"].append(kw)  # noqa: E731
        on_sent = lambda **kw: seen["sent"].append(kw)  # noqa: E731
        purge_retry.connect(on_retry)
        purge_sent.connect(on_sent)
        self.addCleanup(purge_retry.disconnect, on_retry)
        self.addCleanup(purge_sent.disconnect, on_sent)
        self.edge.status = 503
        with self.captureOnCommitCallbacks(execute=True):
            Post.objects.create(slug="a", author="ann")
        with self.captureOnCommitCallbacks(execute=True):
            Post.objects.create(slug="b", author="bob")
        self.assertEqual(Post.objects.count(), 2, "the saves succeeded")
        waiting = list(PendingPurge.objects.all())
        self.assertEqual(len(waiting), 2)
        self.assertTrue(all(r.attempts >= 1 and not r.failed and r.next_attempt_at > timezone.now() for r in waiting))
        self.assertTrue(seen["retry"] and "HTTP 503" in seen["retry"][0]["error"])
        # Nothing is due yet: a plain run sends nothing.
        out = StringIO()
        call_command("edgecache_deliver", stdout=out)
        self.assertIn("sent 0", out.getvalue())
        self.edge.status = 200
        before = len(self.edge.received)
        out = StringIO()
        call_command("edgecache_deliver", "--all", stdout=out)
        self.assertIn("sent 1", out.getvalue())
        self.assertIn("0 purge(s) waiting", out.getvalue())
        delivered = self.edge.received[before:]
        self.assertEqual(len(delivered), 1, "both waiting purges in one request")
        self.assertEqual(sorted(delivered[0]["json"]["tags"]), ["author:ann", "author:bob", "post:a", "post:b", "posts"])
        self.assertEqual(seen["sent"][-1]["receipt"]["id"], delivered[0]["id"])

    def test_a_retried_batch_keeps_its_message_id_so_the_edge_sees_a_replay(self):
        self.edge.status = 500
        with self.captureOnCommitCallbacks(execute=True):
            Post.objects.create(slug="r", author="ann")
        self.edge.status = 200
        django_edgecache.deliver(everything=True)
        first, second = self.edge.received
        self.assertEqual(first["id"], second["id"])

    def test_an_unreachable_edge_and_a_refusal(self):
        failed = []
        on_failed = lambda **kw: failed.append(kw)  # noqa: E731
        purge_failed.connect(on_failed)
        self.addCleanup(purge_failed.disconnect, on_failed)
        with override_settings(EDGECACHE={"PURGE_URL": "http://127.0.0.1:9/_edgecache/purge", "TIMEOUT": 1}):
            with self.captureOnCommitCallbacks(execute=True):
                Post.objects.create(slug="u", author="ann")
            row = PendingPurge.objects.get()
            self.assertEqual((row.attempts, row.failed), (1, False))
            self.assertIn("URLError", row.last_error)
        PendingPurge.objects.all().delete()
        self.edge.status = 401  # e.g. a wrong secret: retrying would not help
        with self.captureOnCommitCallbacks(execute=True):
            Post.objects.create(slug="v", author="ann")
        row = PendingPurge.objects.get()
        self.assertTrue(row.failed)
        self.assertIn("HTTP 401", failed[0]["error"])
        self.edge.status = 200
        call_command("edgecache_deliver", "--all", stdout=StringIO())
        self.assertEqual(PendingPurge.objects.count(), 1, "failed purges wait for --retry-failed")
        call_command("edgecache_deliver", "--all", "--retry-failed", stdout=StringIO())
        self.assertEqual(PendingPurge.objects.count(), 0)

    def test_suppressed_queues_nothing(self):
        with self.captureOnCommitCallbacks(execute=True), django_edgecache.suppressed():
            Post.objects.create(slug="seeded", author="ann")
        self.assertEqual((self.edge.received, PendingPurge.objects.count()), ([], 0))

    def test_backoff_grows_and_is_capped(self):
        from django_edgecache.delivery import backoff

        self.assertLess(backoff(1, 300), 1.3)
        self.assertGreater(backoff(6, 300), 25)
        self.assertLessEqual(backoff(30, 300), 360)


class ByHand(Base):
    def test_prefixes_and_everything_by_hand_and_through_the_command(self):
        with self.captureOnCommitCallbacks(execute=True):
            django_edgecache.purge(prefixes=["/blog/", "article:"], soft=True)
        self.assertEqual(self.edge.received[-1]["json"], {"prefixes": ["/blog/", "article:"], "mode": "soft"})
        out = StringIO()
        call_command("edgecache_purge", "--tag", "articles", "--prefix", "/docs/", stdout=out)
        self.assertIn("purged", out.getvalue())
        self.assertEqual(self.edge.received[-1]["json"], {"tags": ["articles"], "prefixes": ["/docs/"]})
        call_command("edgecache_purge", "--everything", stdout=StringIO())
        self.assertEqual(self.edge.received[-1]["json"], {"everything": True})
        from django.core.management.base import CommandError

        with self.assertRaisesMessage(CommandError, "end in / or :"):
            call_command("edgecache_purge", "--prefix", "/docs", stdout=StringIO())
        self.edge.status = 503
        with self.assertRaisesMessage(CommandError, "waits in the outbox"):
            call_command("edgecache_purge", "--tag", "later", stdout=StringIO())
        self.assertEqual(PendingPurge.objects.count(), 1)

    def test_the_admin_lists_the_outbox_and_sends_it(self):
        from django.contrib.auth.models import User

        self.edge.status = 503
        with self.captureOnCommitCallbacks(execute=True):
            Post.objects.create(slug="waiting", author="ann")
        self.client.force_login(User.objects.create_superuser("admin", "a@example.com", "pw"))
        page = self.client.get("/admin/django_edgecache/pendingpurge/")
        self.assertContains(page, "post:waiting")
        self.assertContains(page, "HTTP 503")
        self.edge.status = 200
        ids = list(PendingPurge.objects.values_list("pk", flat=True))
        self.client.post("/admin/django_edgecache/pendingpurge/", {"action": "send_now", "_selected_action": ids})
        self.assertEqual(PendingPurge.objects.count(), 0)


class Tagging(Base):
    def test_the_decorator_the_template_tag_and_the_mixin(self):
        response = self.client.get("/posts/hello")
        self.assertEqual(response["Cache-Tag"], "author:ann,post:hello,posts")
        self.assertEqual(response["CDN-Cache-Control"], "max-age=600")
        self.assertEqual(response["Cache-Control"], "public, max-age=0, must-revalidate")
        listing = self.client.get("/listing")
        self.assertEqual(listing["Cache-Tag"], "author:ann,listing,posts")
        self.assertEqual(listing["Surrogate-Key"], "author:ann listing posts")
        self.assertEqual(listing["CDN-Cache-Control"], "max-age=3600")
        private = self.client.get("/private")
        self.assertFalse(private.has_header("Cache-Tag"), "a private response is left alone")

    def test_a_tag_prefix_namespaces_what_is_sent_and_what_pages_carry(self):
        with override_settings(EDGECACHE={"PURGE_URL": self.edge.url, "TAG_PREFIX": "blog:"}):
            self.assertEqual(self.client.get("/posts/x")["Cache-Tag"], "blog:author:ann,blog:post:x,blog:posts")
            with self.captureOnCommitCallbacks(execute=True):
                Post.objects.create(slug="x", author="ann")
        self.assertEqual(self.tags_sent()[-1], ["blog:author:ann", "blog:post:x", "blog:posts"])
