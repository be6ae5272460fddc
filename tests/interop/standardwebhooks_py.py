"""Signs or verifies Standard Webhooks cases with the PyPI `standardwebhooks` library.

Usage: standardwebhooks_py.py sign|verify  (JSON list of cases on stdin, JSON list on stdout)
  sign:   {secret, id, timestamp, body}        -> "v1,..." from Webhook.sign
  verify: {secret, id, timestamp, signature, body} -> true, or the library's error message
"""
import json
import sys
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook


def main() -> None:
    mode = sys.argv[1]
    cases = json.load(sys.stdin)
    out = []
    for case in cases:
        wh = Webhook(case["secret"])
        if mode == "sign":
            at = datetime.fromtimestamp(case["timestamp"], tz=timezone.utc)
            out.append(wh.sign(case["id"], at, case["body"]))
        else:
            headers = {
                "webhook-id": case["id"],
                "webhook-timestamp": str(case["timestamp"]),
                "webhook-signature": case["signature"],
            }
            try:
                wh.verify(case["body"].encode(), headers, json_parse=False)
                out.append(True)
            except Exception as error:  # the library's rejection, reported as data
                out.append(f"{type(error).__name__}: {error}")
    json.dump(out, sys.stdout)


main()
