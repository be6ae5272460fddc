#!/usr/bin/env python3
"""Load with purges landing meanwhile, against a running edgecache worker: what a busy site does.

Serves its own origin on --origin-port: 200 pages /p/1../p/200, each tagged `all` and one of
ten groups g0..g9, max-age=300, ~1.5 KB (the origin of ../shared/repro/purge-under-load.py). --clients threads request
random pages while one thread purges a group every --purge-every seconds, signed with the PyPI
`standardwebhooks` library. Prints a Markdown table row (requests, purges, answers by status,
p50 / p99 / max latency) and the first failures; exits 1 if any answer was not a 200.
bench/purge-load.sh starts the worker for it and checks workerd's log for hung requests."""
import argparse, collections, datetime as dt, http.server, json, random, secrets, sys, threading, time
import urllib.error, urllib.request
from standardwebhooks.webhooks import Webhook

ap = argparse.ArgumentParser()
ap.add_argument("--edge", default="http://127.0.0.1:8787")
ap.add_argument("--secret", required=True)
ap.add_argument("--origin-port", type=int, default=8004)
ap.add_argument("--seconds", type=float, default=45)
ap.add_argument("--clients", type=int, default=32)
ap.add_argument("--purge-every", type=float, default=0.2)
a = ap.parse_args()


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def do_GET(self):
        page = self.path.rsplit("/", 1)[-1]
        body = (f"{self.path} {time.time()} " + "x" * 1500).encode()
        self.send_response(200)
        self.send_header("Cache-Control", "max-age=300")
        self.send_header("Cache-Tag", f"all,g{sum(map(ord, page)) % 10}")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


origin = http.server.ThreadingHTTPServer(("127.0.0.1", a.origin_port), Origin)
threading.Thread(target=origin.serve_forever, daemon=True).start()
end = time.time() + a.seconds
t0 = time.time()
lock = threading.Lock()
counts, failures, latencies, purges = collections.Counter(), [], [], [0]


def purger():
    k = 0
    while time.time() < end:
        body = json.dumps({"tags": [f"g{k % 10}"]})
        msg_id, ts = "msg_" + secrets.token_hex(8), int(time.time())
        sig = Webhook(a.secret).sign(msg_id, dt.datetime.fromtimestamp(ts, tz=dt.timezone.utc), body)
        req = urllib.request.Request(a.edge + "/_edgecache/purge", data=body.encode(), method="POST", headers={
            "webhook-id": msg_id, "webhook-timestamp": str(ts), "webhook-signature": sig,
            "content-type": "application/json"})
        try:
            urllib.request.urlopen(req, timeout=10).read()
            purges[0] += 1
        except Exception as e:
            print("purge failed:", e, file=sys.stderr)
            with lock:
                counts["purge failed"] += 1
        k += 1
        time.sleep(a.purge_every)


def client():
    while time.time() < end:
        path, start = f"/p/{random.randint(1, 200)}", time.time()
        try:
            with urllib.request.urlopen(a.edge + path, timeout=60) as r:
                r.read()
                status, failure = r.status, None
        except urllib.error.HTTPError as e:
            status, failure = e.code, e.read()[:100]
        except Exception as e:
            status, failure = "error", str(e)[:80]
        took = time.time() - start
        with lock:
            counts[status] += 1
            latencies.append(took)
            if failure is not None:
                failures.append((start - t0, took, path, status, failure))


threads = [threading.Thread(target=purger)] + [threading.Thread(target=client) for _ in range(a.clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
origin.shutdown()
total = sum(v for k, v in counts.items() if k != "purge failed")
latencies.sort()


def pct(p):
    return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else 0


answers = ", ".join(f"{k}: {v:,}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
print(f"| {a.clients} | {a.seconds:.0f} s | {total:,} | {purges[0]:,} | {answers} | "
      f"{pct(0.5):.1f} ms | {pct(0.99):.1f} ms | {pct(1.0) if latencies else 0:.0f} ms |")
for f in failures[:10]:
    print(f"  started {f[0]:.2f}s, took {f[1]:.2f}s, {f[2]}: {f[3]} {f[4]!r}", file=sys.stderr)
sys.exit(0 if total and counts.get(200, 0) == total and not counts.get("purge failed") else 1)
