#!/usr/bin/env bash
# Broker security as deployed: TLS with a private CA, a client certificate
# the broker requires, hostname verification, and a username with the
# password read from a file. The collector stores over the secured link,
# refuses a broker whose certificate does not match its name, and never
# prints the password.
. "$(dirname "$0")/lib.sh"
P=$(free_port)
mkdir -p "$T/pki"
cd "$T/pki"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=test-ca" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost\n' >san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out server.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=collector" -keyout client.key -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt 2>/dev/null
cd - >/dev/null
touch "$T/passwd"
mosquitto_passwd -b "$T/passwd" collector 's3cret-Pw!' 2>/dev/null
mosquitto_passwd -b "$T/passwd" sensor 'sensor-pw' 2>/dev/null
chmod 644 "$T/passwd" "$T"/pki/*
chmod 600 "$T/pki/client.key" # the collector refuses a private key others can read
cat >"$T/broker.conf" <<CONF
listener $P 127.0.0.1
user root
allow_anonymous false
password_file $T/passwd
cafile $T/pki/ca.crt
certfile $T/pki/server.crt
keyfile $T/pki/server.key
require_certificate true
CONF
mosquitto -c "$T/broker.conf" >>"$T/broker.log" 2>&1 &
PIDS+=($!)
wait_port "$P" || fail "TLS broker did not start"
BROKER_PORT=$P
echo 's3cret-Pw!' >"$T/mqtt.pw"
write_config
TLS=(--set mqtt.host=localhost --set mqtt.username=collector --set "mqtt.password_file=$T/mqtt.pw"
  --set "mqtt.tls.ca_file=$T/pki/ca.crt" --set "mqtt.tls.cert_file=$T/pki/client.crt"
  --set "mqtt.tls.key_file=$T/pki/client.key")
start_collector "${TLS[@]}"
mosquitto_pub -h localhost -p "$P" --cafile "$T/pki/ca.crt" --cert "$T/pki/client.crt" \
  --key "$T/pki/client.key" -u sensor -P sensor-pw -q 1 -t xh/air/xujiahui/aqm-01 \
  -m '{"ts": 1700000000, "pm25": 12}'
wait_stat "['stored_messages']" 1 || fail "nothing stored over TLS"
pass "TLS with client certificate, hostname check and password file: message stored"
stop_collector
! grep -q "s3cret" "$T/collector.log" || fail "password in the log"
pass "password never logged"

# the broker's certificate names localhost, not 127.0.0.1: must be refused
"$COLLECTOR" run -c "$T/collector.yaml" "${TLS[@]}" --set mqtt.host=127.0.0.1 >"$T/mismatch.log" 2>&1 &
BAD=$!
PIDS+=($BAD)
sleep 3
! grep -q "mqtt: connected" "$T/mismatch.log" || fail "connected despite a hostname mismatch"
grep -q "cannot connect\|connection to .* lost\|lost" "$T/mismatch.log" || fail "mismatch not reported: $(cat "$T/mismatch.log")"
kill -TERM $BAD
wait $BAD || fail "exit status after failed connections"
pass "hostname mismatch refused and reported; clean exit while retrying"

# wrong password: refused by the broker, reported, no crash
echo wrong >"$T/bad.pw"
"$COLLECTOR" run -c "$T/collector.yaml" "${TLS[@]}" --set "mqtt.password_file=$T/bad.pw" >"$T/badpw.log" 2>&1 &
BAD=$!
PIDS+=($BAD)
sleep 3
grep -q "refused the connection" "$T/badpw.log" || fail "refusal not reported: $(cat "$T/badpw.log")"
kill -TERM $BAD
wait $BAD || fail "exit status"
pass "wrong password refused and reported"

# a client certificate without a CA would leave TLS off (plaintext): the
# daemon refuses the configuration (exit 2) and says where it is
cp "$T/collector.yaml" "$T/nocafile.yaml"
printf '  tls:\n    cert_file: %s\n    key_file: %s\n' "$T/pki/client.crt" "$T/pki/client.key" >"$T/tls.part"
sed -i "/^mqtt:/r $T/tls.part" "$T/nocafile.yaml"
line=$(grep -n "cert_file:" "$T/nocafile.yaml" | cut -d: -f1)
set +e
out=$(timeout 20 "$COLLECTOR" run -c "$T/nocafile.yaml" 2>&1); rc=$?
set -e
[ $rc = 2 ] || fail "cert_file without a CA: exit $rc, expected 2 ($out)"
grep -q "nocafile.yaml:$line: mqtt.tls.cert_file and key_file need mqtt.tls.ca_file or ca_path" <<<"$out" ||
  fail "cert_file without a CA not reported at its line: $out"
! grep -q "connected" <<<"$out" || fail "connected in plaintext"
pass "client certificate without a CA: configuration error at file:line, exit 2"

# a password file or private key that others can read is refused, naming file and mode
chmod 644 "$T/mqtt.pw"
set +e
out=$(timeout 20 "$COLLECTOR" run -c "$T/collector.yaml" "${TLS[@]}" 2>&1); rc=$?
set -e
[ $rc = 2 ] || fail "loose password file: exit $rc, expected 2"
grep -q "mqtt.password_file $T/mqtt.pw: permissions 0644 are too open" <<<"$out" ||
  fail "loose password file not reported: $out"
! grep -q "s3cret" <<<"$out" || fail "password printed"
chmod 600 "$T/mqtt.pw"
chmod 640 "$T/pki/client.key"
set +e
out=$("$COLLECTOR" check -c "$T/collector.yaml" "${TLS[@]}" 2>&1); rc=$?
set -e
[ $rc = 2 ] && grep -q "mqtt.tls.key_file $T/pki/client.key: permissions 0640 are too open" <<<"$out" ||
  fail "loose private key not refused ($rc): $out"
pass "secret files readable by group or others refused with their name and mode"
