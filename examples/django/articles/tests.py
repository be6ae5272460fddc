"""Saving and deleting articles sends signed, well-shaped purges.

The endpoint here is django-edgecache's stand-in edge, which records what it receives; each request is
checked with the PyPI `standardwebhooks` verifier and, when EDGECACHE_BIN names the edgecache
CLI (the README's test command sets it), with edgecache's own verifier too.
"""
import os
import subprocess
import tempfile
import time

from django.db import transaction
from django.test import TestCase, override_settings
from standardwebhooks.webhooks import Webhook

from django_edgecache.models import PendingPurge
from django_edgecache.testing import StandInEdge

from .models import Article, Author

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class PurgeOnSaveTests(TestCase):
    def setUp(self):
        self.endpoint = StandInEdge(SECRET)
        self.addCleanup(self.endpoint.close)
        os.environ["EDGECACHE_PURGE_SECRET"] = SECRET
        override = override_settings(EDGECACHE={"PURGE_URL": self.endpoint.url, "TIMEOUT": 2})
        override.enable()
        self.addCleanup(override.disable)
        self.author = Author.objects.create(name="Ada")

    def create(self, slug="hello", title="Hello"):
        with self.captureOnCommitCallbacks(execute=True):
            return Article.objects.create(slug=slug, title=title, body="...", author=self.author)

    def assert_signed_purge(self, request, tags):
        headers = request["headers"]
        self.assertEqual(request["path"], "/_edgecache/purge")
        self.assertEqual(headers["content-type"], "application/json")
        self.assertRegex(headers["webhook-id"], r"^msg_[0-9a-f]{32}$")
        self.assertLess(abs(int(headers["webhook-timestamp"]) - time.time()), 60)
        self.assertRegex(headers["webhook-signature"], r"^v1,[A-Za-z0-9+/]{43}=$")
        # Verified by the reference library over the raw bytes received...
        payload = Webhook(SECRET).verify(request["body"], headers)
        self.assertEqual(payload, {"tags": sorted(tags)})
        # ...and by edgecache's verifier, through its CLI.
        binary = os.environ.get("EDGECACHE_BIN")
        if binary:
            with tempfile.NamedTemporaryFile() as body_file:
                body_file.write(request["body"])
                body_file.flush()
                result = subprocess.run(
                    [binary, "verify", "--id", headers["webhook-id"], "--timestamp", headers["webhook-timestamp"],
                     "--signature", headers["webhook-signature"], "--body-file", body_file.name],
                    env={**os.environ, "EDGECACHE_PURGE_SECRET": SECRET}, capture_output=True, text=True,
                )
            self.assertEqual(result.returncode, 0, result.stderr)

    def test_edgecache_verifier_is_available_when_the_test_command_runs(self):
        if os.environ.get("EDGECACHE_REQUIRE_BIN") == "1":
            self.assertTrue(os.path.exists(os.environ.get("EDGECACHE_BIN", "")), "EDGECACHE_BIN missing")

    def test_save_sends_a_signed_purge_of_the_article_tags(self):
        article = self.create()
        self.assertEqual(len(self.endpoint.received), 1)
        self.assert_signed_purge(self.endpoint.received[0], ["articles", "article:hello", f"author:{self.author.id}"])
        with self.captureOnCommitCallbacks(execute=True):
            article.title = "Hello again"
            article.save()
        self.assertEqual(len(self.endpoint.received), 2)
        self.assert_signed_purge(self.endpoint.received[1], ["articles", "article:hello", f"author:{self.author.id}"])

    def test_a_new_slug_or_author_purges_the_old_tags_too(self):
        article = self.create()
        other = Author.objects.create(name="Grace")
        with self.captureOnCommitCallbacks(execute=True):
            article.slug = "renamed"
            article.author = other
            article.save()
        self.assert_signed_purge(
            self.endpoint.received[-1],
            ["articles", "article:hello", "article:renamed", f"author:{self.author.id}", f"author:{other.id}"],
        )

    def test_delete_sends_a_signed_purge(self):
        article = self.create()
        with self.captureOnCommitCallbacks(execute=True):
            article.delete()
        self.assertEqual(len(self.endpoint.received), 2)
        self.assert_signed_purge(self.endpoint.received[1], ["articles", "article:hello", f"author:{self.author.id}"])

    def test_a_rolled_back_save_purges_nothing(self):
        with self.captureOnCommitCallbacks(execute=True):
            try:
                with transaction.atomic():
                    Article.objects.create(slug="ghost", title="Ghost", body="", author=self.author)
                    raise RuntimeError("rollback")
            except RuntimeError:
                pass
        self.assertEqual(self.endpoint.received, [])

    def test_an_unreachable_or_refusing_edge_never_fails_the_save(self):
        with override_settings(EDGECACHE={"PURGE_URL": "http://127.0.0.1:9/_edgecache/purge", "TIMEOUT": 1}):
            self.create(slug="offline")
        self.assertTrue(Article.objects.filter(slug="offline").exists())
        self.assertEqual(PendingPurge.objects.count(), 1, "the purge waits in the outbox")
        refusing = StandInEdge(SECRET, status=401)
        self.addCleanup(refusing.close)
        with override_settings(EDGECACHE={"PURGE_URL": refusing.url}):
            self.create(slug="refused")
        self.assertTrue(Article.objects.filter(slug="refused").exists())
        self.assertEqual(len(refusing.received), 1)
        self.assertTrue(PendingPurge.objects.filter(failed=True).exists())


class CacheHeaderTests(TestCase):
    def test_pages_carry_edge_lifetimes_and_tags(self):
        author = Author.objects.create(name="Ada")
        Article.objects.create(slug="hello", title="Hello", body="b", author=author)
        response = self.client.get("/articles/hello")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Cache-Tag"], f"article:hello,author:{author.id}")
        self.assertIn("max-age=3600", response["CDN-Cache-Control"])
        listing = self.client.get("/api/articles")
        self.assertEqual(listing.json()["articles"][0]["slug"], "hello")
        self.assertIn("articles", listing["Cache-Tag"].split(","))
