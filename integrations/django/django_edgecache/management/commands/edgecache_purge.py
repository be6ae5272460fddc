from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...delivery import deliver, queue
from ...models import PendingPurge


class Command(BaseCommand):
    help = "Purges the edge by hand: --tag T (repeatable), --prefix P (ending in / or :), or --everything."

    def add_arguments(self, parser):
        parser.add_argument("--tag", action="append", default=[], dest="tags")
        parser.add_argument("--prefix", action="append", default=[], dest="prefixes")
        parser.add_argument("--everything", action="store_true")
        parser.add_argument("--soft", action="store_true", help="serve stale while revalidating")

    def handle(self, *args, tags, prefixes, everything, soft, **options):
        if not (tags or prefixes or everything):
            raise CommandError("give --tag, --prefix or --everything")
        if any(not p.endswith(("/", ":")) for p in prefixes):
            raise CommandError("a prefix must end in / or :")
        with transaction.atomic():
            rows = queue(tags, prefixes=prefixes, everything=everything, soft=soft or None)
        # Delivered when the transaction commits (and here, should the commit hook not have run:
        # a second delivery finds nothing); what the edge did not accept waits in the outbox.
        deliver()
        if any(PendingPurge.objects.filter(pk=r.pk).exists() for r in rows):
            raise CommandError("the edge did not accept the purge yet: it waits in the outbox (edgecache_deliver)")
        self.stdout.write("purged: the edge accepted it")
