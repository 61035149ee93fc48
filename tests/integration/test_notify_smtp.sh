#!/usr/bin/env bash
# E-mail delivery over SMTP (libcurl) to a small local SMTP server: AUTH
# PLAIN with the password from password_file, every recipient, a UTF-8
# subject and a body with both languages and the facts.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/notify_lib.sh"
SMTP_PORT=$(free_port)
printf 'it-smtp-pass-%s\n' "$$" >"$T/smtp.pass"
python3 "$(dirname "$0")/notify_smtp_sink.py" "$SMTP_PORT" "$T/mail.jsonl" \
  --auth "collector:it-smtp-pass-$$" 2>>"$T/smtp.log" &
PIDS+=("$!")
wait_port "$SMTP_PORT" || fail "smtp sink did not start"
start_broker
write_config \
  "alerts:" \
  "  channels:" \
  "    - name: mail" \
  "      type: smtp" \
  "      url: smtp://127.0.0.1:$SMTP_PORT" \
  "      from: collector@xh-gw.example" \
  "      to: [ops@xh.example, duty@xh.example]" \
  "      username: collector" \
  "      password_file: smtp.pass" \
  "      starttls: false" \
  "      events: [firing, resolved]"
start_collector
enqueue mail firing 3 "$(event_json 3 firing pm25_1h critical xujiahui 180)"
enqueue mail resolved 3 "$(event_json 3 resolved pm25_1h critical xujiahui 60 2024-11-26T10:00:00+08:00)"
wait_lines "$T/mail.jsonl" 2 || fail "mails not delivered"
python3 - "$T/mail.jsonl" <<'PY' || fail "mail content"
import email, email.policy, json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
for r in recs:
    assert r["from"] == "<collector@xh-gw.example>", r["from"]
    assert r["to"] == ["<ops@xh.example>", "<duty@xh.example>"], r["to"]
    assert r["auth"] == "collector"
m = [email.message_from_string(r["data"], policy=email.policy.default) for r in recs]
assert m[0]["Subject"] == "[it-gw] CRITICAL FIRING: PM2.5 hourly mean 180 ug/m3 at xujiahui is above 75", m[0]["Subject"]
assert m[1]["Subject"].startswith("[it-gw] CRITICAL RESOLVED: "), m[1]["Subject"]
assert m[0]["To"] == "ops@xh.example, duty@xh.example" and m[0]["Message-ID"], m[0]
body = m[0].get_content()
assert "xujiahui PM2.5 小时均值 180 ug/m3，超过 75" in body, body
assert "PM2.5 hourly mean 180 ug/m3 at xujiahui is above 75" in body, body
assert "Threshold 阈值    75 ug/m3" in body and "Site      站点    xujiahui" in body, body
assert "Source    依据    GB 3095-2012 table 1" in body, body
body1 = m[1].get_content()
assert body1.startswith("RESOLVED 已恢复 | CRITICAL") and "2024-11-26T10:00:00+08:00" in body1, body1
PY
pass "firing and resolved mails: AUTH PLAIN, both recipients, bilingual body with the facts"
! grep -q "it-smtp-pass" "$T/collector.log" || fail "the password was logged"
[ "$(jstat "['delivery']['mail']['delivered']")" = 2 ] || fail "delivered count"
stop_collector || fail "collector exit status"
