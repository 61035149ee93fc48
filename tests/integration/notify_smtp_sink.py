#!/usr/bin/env python3
"""A minimal SMTP server for the notify tests (smtpd left Python in 3.12).

usage: notify_smtp_sink.py PORT OUT [--auth USER:PASSWORD]

Speaks just enough ESMTP for libcurl: EHLO, AUTH PLAIN (when --auth is
given, and then required), MAIL, RCPT, DATA, RSET, NOOP, QUIT. Each message
is appended to OUT as one JSON line {"from", "to", "auth", "data"}.
"""
import argparse
import base64
import json
import socketserver

ap = argparse.ArgumentParser()
ap.add_argument("port", type=int)
ap.add_argument("out")
ap.add_argument("--auth")
args = ap.parse_args()


class Handler(socketserver.StreamRequestHandler):
    def reply(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def handle(self):
        self.reply("220 sink ESMTP")
        mail_from, rcpt, authed = None, [], None
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                if args.auth:
                    self.reply("250-sink")
                    self.reply("250-8BITMIME")
                    self.reply("250 AUTH PLAIN")
                else:
                    self.reply("250-sink")
                    self.reply("250 8BITMIME")
            elif verb == "AUTH":
                parts = line.split()
                if len(parts) == 2:
                    self.reply("334 ")
                    resp = self.rfile.readline().decode().strip()
                else:
                    resp = parts[2]
                _, user, pw = base64.b64decode(resp).decode().split("\0")
                if args.auth and f"{user}:{pw}" == args.auth:
                    authed = user
                    self.reply("235 ok")
                else:
                    self.reply("535 bad credentials")
            elif verb == "MAIL":
                if args.auth and not authed:
                    self.reply("530 authentication required")
                    continue
                mail_from, rcpt = line[10:].strip(), []
                self.reply("250 ok")
            elif verb == "RCPT":
                rcpt.append(line[8:].strip())
                self.reply("250 ok")
            elif verb == "DATA":
                self.reply("354 go ahead")
                data = []
                while True:
                    l = self.rfile.readline()
                    if l in (b".\r\n", b".\n", b""):
                        break
                    data.append(l[1:] if l.startswith(b"..") else l)
                with open(args.out, "a") as f:
                    rec = {"from": mail_from, "to": rcpt, "auth": authed,
                           "data": b"".join(data).decode("utf-8")}
                    f.write(json.dumps(rec) + "\n")
                self.reply("250 queued")
            elif verb in ("RSET", "NOOP"):
                self.reply("250 ok")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")


socketserver.TCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("127.0.0.1", args.port), Handler).serve_forever()
