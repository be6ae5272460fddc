import time

from django.core.management.base import BaseCommand

from ...delivery import deliver
from ...models import PendingPurge


class Command(BaseCommand):
    help = "Delivers the purges waiting in the outbox to the edge (those whose retry is due, or all)."

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="do not wait for each purge's backoff")
        parser.add_argument("--retry-failed", action="store_true", help="send purges marked failed again")
        parser.add_argument("--loop", type=float, metavar="SECONDS", help="keep delivering, every SECONDS")

    def handle(self, *args, **options):
        while True:
            report = deliver(everything=options["all"], include_failed=options["retry_failed"])
            waiting = PendingPurge.objects.count()
            self.stdout.write(
                f"sent {report.sent}, retrying {report.retried}, failed {report.failed}; {waiting} purge(s) waiting"
            )
            if not options["loop"]:
                return
            time.sleep(options["loop"])
