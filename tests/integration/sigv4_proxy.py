#!/usr/bin/env python3
"""A signature-checking front for an S3-compatible test server.

s3rver stores what it is sent but does not check signatures, so this
proxy, placed between the collector and s3rver, checks each request's AWS
Signature Version 4 itself, from the request as received and the known
secret, with an implementation written here from the AWS specification
(standard library only: hmac, hashlib), independent of libcurl's:

  CanonicalRequest = Method \\n CanonicalURI \\n CanonicalQueryString \\n
                     CanonicalHeaders \\n SignedHeaders \\n HashedPayload
  StringToSign     = "AWS4-HMAC-SHA256" \\n X-Amz-Date \\n Scope \\n hex(SHA256(CanonicalRequest))
  SigningKey       = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")

It also checks that x-amz-content-sha256 is the SHA-256 of the body that
arrived. A request that fails is answered 403 SignatureDoesNotMatch, as S3
would; one that passes is forwarded unchanged to s3rver. Every request
is logged as a JSON line: method, path, ok, reason.

  sigv4_proxy.py --listen PORT --upstream PORT --access-key ID --secret S --log FILE
  sigv4_proxy.py --self-test   (the worked example of the AWS S3 documentation)
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import http.server
import json
import re
import sys
import threading
import urllib.parse

HOP = {"connection", "keep-alive", "expect", "transfer-encoding", "upgrade", "proxy-connection"}


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def canonical_uri(path):
    # S3: each path segment URI-encoded once (unreserved characters kept), slashes kept
    return "/".join(urllib.parse.quote(urllib.parse.unquote(seg), safe="-_.~")
                    for seg in path.split("/")) or "/"


def canonical_query(query):
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    enc = sorted((urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~"))
                 for k, v in pairs)
    return "&".join("%s=%s" % kv for kv in enc)


def signature(secret, method, raw_path, headers, signed, payload_hash, amz_date, scope):
    """headers: dict of lower-case name -> value as received."""
    path, _, query = raw_path.partition("?")
    canon_headers = "".join(
        "%s:%s\n" % (h, re.sub(r"\s+", " ", headers.get(h, "").strip())) for h in signed)
    creq = "\n".join([method, canonical_uri(path), canonical_query(query), canon_headers,
                      ";".join(signed), payload_hash])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    date, region, service, term = scope.split("/")
    key = _hmac(_hmac(_hmac(_hmac(("AWS4" + secret).encode("utf-8"), date), region), service),
                term)
    return hmac.new(key, sts.encode("utf-8"), hashlib.sha256).hexdigest()


AUTH_RE = re.compile(r"^AWS4-HMAC-SHA256 Credential=([^/,]+)/([^,]+), ?SignedHeaders=([^,]+), ?"
                     r"Signature=([0-9a-f]{64})$")


def verify(secret, access_key, method, raw_path, headers, body):
    """Returns (ok, reason)."""
    auth = headers.get("authorization", "")
    m = AUTH_RE.match(auth)
    if not m:
        return False, "no SigV4 Authorization header"
    key_id, scope, signed_s, sig = m.groups()
    signed = signed_s.split(";")
    if key_id != access_key:
        return False, "unknown access key %s" % key_id
    if signed != sorted(signed) or "host" not in signed or "x-amz-date" not in signed:
        return False, "SignedHeaders %s must be sorted and include host and x-amz-date" % signed_s
    if len(scope.split("/")) != 4 or not scope.endswith("/s3/aws4_request"):
        return False, "bad credential scope %s" % scope
    amz_date = headers.get("x-amz-date", "")
    if not amz_date.startswith(scope.split("/")[0]):
        return False, "x-amz-date %s outside the scope's date" % amz_date
    t = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
    if abs((datetime.datetime.now(datetime.timezone.utc) - t).total_seconds()) > 900:
        return False, "x-amz-date %s more than 15 minutes off" % amz_date
    payload = headers.get("x-amz-content-sha256")
    if payload is None:
        return False, "no x-amz-content-sha256 header"
    if payload != "UNSIGNED-PAYLOAD" and payload != hashlib.sha256(body).hexdigest():
        return False, "x-amz-content-sha256 is not the SHA-256 of the body received"
    want = signature(secret, method, raw_path, headers, signed, payload, amz_date, scope)
    if not hmac.compare_digest(want, sig):
        return False, "SignatureDoesNotMatch"
    return True, "ok"


def self_test():
    # AWS S3 API reference, "Signature Calculations for the Authorization Header:
    # Transferring Payload in a Single Chunk", example GET Object.
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    empty = hashlib.sha256(b"").hexdigest()
    headers = {"host": "examplebucket.s3.amazonaws.com", "range": "bytes=0-9",
               "x-amz-content-sha256": empty, "x-amz-date": "20130524T000000Z"}
    got = signature(secret, "GET", "/test.txt", headers,
                    ["host", "range", "x-amz-content-sha256", "x-amz-date"], empty,
                    "20130524T000000Z", "20130524/us-east-1/s3/aws4_request")
    want = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    if got != want:
        print("self-test FAILED: %s" % got)
        return 1
    print("self-test ok: the AWS documentation's example signature")
    return 0


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    cfg = None
    lock = threading.Lock()

    def log_message(self, fmt, *args):
        pass

    def _handle(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        ok, reason = verify(self.cfg.secret, self.cfg.access_key, self.command, self.path,
                            headers, body)
        with self.lock, open(self.cfg.log, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "ok": ok,
                                "reason": reason, "bytes": len(body),
                                "signed": AUTH_RE.match(headers.get("authorization", "")) and
                                AUTH_RE.match(headers["authorization"]).group(3)}) + "\n")
        if not ok:
            msg = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SignatureDoesNotMatch"
                   "</Code><Message>%s</Message></Error>" % reason).encode()
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(msg)))
            self.end_headers()
            self.wfile.write(msg)
            return
        up = http.client.HTTPConnection("127.0.0.1", self.cfg.upstream, timeout=30)
        fwd = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
        up.request(self.command, self.path, body=body, headers=fwd)
        r = up.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in HOP and k.lower() != "content-length":
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        up.close()

    do_PUT = do_GET = do_HEAD = do_DELETE = do_POST = _handle


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--listen", type=int)
    ap.add_argument("--upstream", type=int)
    ap.add_argument("--access-key")
    ap.add_argument("--secret")
    ap.add_argument("--log")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
    Proxy.cfg = a
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.listen), Proxy)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
