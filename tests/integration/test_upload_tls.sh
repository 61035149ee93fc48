#!/usr/bin/env bash
# The upload over HTTPS with a bearer token and a TLS client certificate:
# nginx on loopback with a test CA made here by openssl, requiring a client
# certificate and `Authorization: Bearer <token>`. A day is delivered with
# upload.ca_file, client_cert/client_key and auth: bearer; an untrusted
# server certificate, a missing client certificate and a wrong token are
# configuration errors; a token file rewritten in place is picked up by the
# next run without touching the configuration.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/upload_lib.sh"
CSV=$DATA_DIR/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
[ -f "$CSV" ] || fail "data set not found at $CSV"
command -v nginx >/dev/null || fail "nginx is not installed (deploy/setup.sh installs it)"

# a CA, a server certificate for 127.0.0.1 and a client certificate
mkdir -p "$T/pki"
cd "$T/pki"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout ca.key -out ca.pem -days 2 -subj "/CN=xuhui test CA" 2>/dev/null
openssl req -x509 $ec -keyout other.key -out other.pem -days 2 -subj "/CN=another CA" 2>/dev/null
openssl req $ec -keyout server.key -out server.csr -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >san.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem \
  -days 2 -extfile san.ext 2>/dev/null
openssl req $ec -keyout client.key -out client.csr -subj "/CN=it-gw" 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem \
  -days 2 2>/dev/null
cd - >/dev/null
TOKEN="tok-$$-$RANDOM"
printf '%s\n' "$TOKEN" >"$T/token"

POOL_PORT=$(free_port)
mkdir -p "$POOL_ROOT/pool" "$T/pool/tmp"
cat >"$T/pool/nginx.conf" <<CONF
daemon off;
master_process off;
$([ "$(id -u)" = 0 ] && echo "user root;")
pid $T/pool/nginx.pid;
error_log $T/pool/error.log info;
events { worker_connections 64; }
http {
  log_format pool '\$request_method \$uri \$status \$ssl_client_s_dn';
  access_log $POOL_LOG pool;
  client_body_temp_path $T/pool/tmp/body;
  proxy_temp_path $T/pool/tmp/proxy;
  fastcgi_temp_path $T/pool/tmp/fastcgi;
  uwsgi_temp_path $T/pool/tmp/uwsgi;
  scgi_temp_path $T/pool/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$POOL_PORT ssl;
    ssl_certificate $T/pki/server.pem;
    ssl_certificate_key $T/pki/server.key;
    ssl_client_certificate $T/pki/ca.pem;
    ssl_verify_client on;
    root $POOL_ROOT;
    location /pool/ {
      if (\$http_authorization != "Bearer $TOKEN") { return 401; }
      dav_methods PUT;
      create_full_put_path on;
    }
  }
}
CONF
start_pool

start_broker
write_config "rollup: {interval: 200ms}" \
  "upload: {url: \"https://127.0.0.1:$POOL_PORT/pool\", auth: bearer, token_file: $T/token,
   ca_file: $T/pki/ca.pem, client_cert: $T/pki/client.pem, client_key: $T/pki/client.key,
   jitter: 0, backoff_min: 1s, connect_timeout: 2s}"
sed -i 's|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {raw: 0, hourly: 0}}|' "$T/collector.yaml"
start_collector --set upload.url=
"$DEVSIM" replay -h 127.0.0.1 -p "$BROKER_PORT" --csv "$CSV" --site xujiahui --limit 96 \
  --max-rate >"$T/devsim.out" 2>>"$T/devsim.log" || fail "replay"
wait_stat "['stored_messages']" 96 || fail "not all 96 rows stored"

upload_run --now 2013-03-02T02:00 || fail "https upload: $(cat "$T/upload.out")"
verify_day "$POOL_ROOT/pool" 2013-03-01 1 || fail "2013-03-01 as received differs"
grep -q "^PUT /pool/it-gw/2013/03/01/manifest.json 201 CN=it-gw" "$POOL_LOG" ||
  fail "the manifest did not arrive with the client certificate: $(tail -2 "$POOL_LOG")"
pass "HTTPS with ca_file, a client certificate and a bearer token: 2013-03-01 delivered"

# the server's certificate is not trusted with another CA
if upload_run --now 2013-03-03T02:00 --set upload.ca_file="$T/pki/other.pem"; then
  fail "untrusted server accepted"
fi
[ "$(ledger state 2013-03-02)" = config_error ] || fail "untrusted: $(ledger "state || ' ' || last_error" 2013-03-02)"
note "untrusted server: $(ledger last_error 2013-03-02)"
# no client certificate: nginx answers 400
cp "$T/collector.yaml" "$T/nocert.yaml"
sed -i 's|, client_cert: [^,]*, client_key: [^,]*,|,|' "$T/nocert.yaml"
rc=0
"$COLLECTOR" upload -c "$T/nocert.yaml" --now 2013-03-03T02:00 >>"$T/upload.log" 2>&1 || rc=$?
[ $rc = 1 ] || fail "upload without a client certificate exited $rc"
[ "$(ledger "state || ' ' || last_status" 2013-03-02)" = "config_error 400" ] ||
  fail "no client certificate: $(ledger "state || ' ' || last_status" 2013-03-02)"
# a wrong token: 401; then the token file is rewritten and the next run delivers
printf 'expired-token\n' >"$T/token"
if upload_run --now 2013-03-03T02:00; then fail "a wrong token was accepted"; fi
[ "$(ledger "state || ' ' || last_status" 2013-03-02)" = "config_error 401" ] || fail "wrong token"
! grep -q "expired-token\|$TOKEN" "$T/upload.log" || fail "a token was printed"
printf '%s\n' "$TOKEN" >"$T/token"
upload_run --now 2013-03-03T02:00 || fail "after the token was fixed: $(cat "$T/upload.out")"
verify_day "$POOL_ROOT/pool" 2013-03-02 1 || fail "2013-03-02 as received differs"
[ ! -e "$POOL_ROOT/pool/it-gw/2013/03/03" ] || fail "a day sent before its night"
pass "untrusted server, no client certificate, wrong token: configuration errors; a new token works"
