#!/usr/bin/env python3
"""HTTP sink for the notify tests: records every POST as one JSON line.

usage: notify_sink.py PORT OUT [--secret FILE] [--fail-first N]

Each line: {"received" (the sink's clock, seconds), "path", "event", "delivery", "timestamp", "signature", "sig_ok", "body"}.
With --secret, sig_ok tells whether X-Collector-Signature is
sha256=<hex HMAC-SHA256(secret, body)> -- the recipe of docs/alerts.md.
With --fail-first N, the first N requests get HTTP 503 (and are recorded
with "failed": true).
"""
import argparse
import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("out")
ap.add_argument("--secret")
ap.add_argument("--fail-first", type=int, default=0)
args = ap.parse_args()
secret = None
if args.secret:
    with open(args.secret, "rb") as f:
        secret = f.readline().rstrip(b"\r\n")
state = {"n": 0}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = self.headers.get("X-Collector-Signature")
        ok = None
        if secret is not None:
            want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
            ok = sig is not None and hmac.compare_digest(want, sig)
        state["n"] += 1
        failed = state["n"] <= args.fail_first
        rec = {
            "received": time.time(),
            "path": self.path,
            "event": self.headers.get("X-Collector-Event"),
            "delivery": self.headers.get("X-Collector-Delivery"),
            "timestamp": self.headers.get("X-Collector-Timestamp"),
            "signature": sig,
            "sig_ok": ok,
            "failed": failed,
            "body": body.decode("utf-8"),
        }
        with open(args.out, "a") as f:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self.send_response(503 if failed else 204)
        self.end_headers()

    def log_message(self, fmt, *a):
        sys.stderr.write("sink: " + (fmt % a) + "\n")


HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()
