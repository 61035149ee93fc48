#!/usr/bin/env bash
# AWS Signature V4 uploads to an S3-compatible store: a day lands as
# objects in s3rver (npm package, run on the machine's Node.js). s3rver does
# not check signatures, so sigv4_proxy.py sits in front of it and checks
# every request with its own SigV4 implementation (self-tested against the
# AWS documentation's example) and the known secret: the collector's
# requests must all pass, and a request signed with the wrong secret must
# be caught (403, a configuration error in the ledger, nothing stored).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/upload_lib.sh"
CSV=$DATA_DIR/beijing-multisite/PRSA_Data_Aotizhongxin_20130301-20170228.csv
[ -f "$CSV" ] || fail "data set not found at $CSV"
command -v node >/dev/null && command -v npm >/dev/null ||
  fail "node and npm are needed for s3rver (deploy/setup.sh installs nodejs and npm)"
S3RVER_VERSION=3.7.1
S3RVER_DIR=${S3RVER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/xuhui-collector/s3rver-$S3RVER_VERSION}
if [ ! -f "$S3RVER_DIR/node_modules/s3rver/bin/s3rver.js" ]; then
  note "installing s3rver $S3RVER_VERSION from the npm registry into $S3RVER_DIR"
  mkdir -p "$S3RVER_DIR"
  npm install --prefix "$S3RVER_DIR" --no-audit --no-fund --loglevel=error \
    "s3rver@$S3RVER_VERSION" >"$T/npm.log" 2>&1 || fail "npm install s3rver: $(tail -5 "$T/npm.log")"
fi
python3 "$SRC_DIR/tests/integration/sigv4_proxy.py" --self-test >/dev/null ||
  fail "the test's own SigV4 implementation fails the AWS example"

S3_PORT=$(free_port)
PROXY_PORT=$(free_port)
KEY_ID=S3RVER # the only access key id s3rver knows (it checks the id, not the signature)
printf 'xuhui/S3cret+Key=%s\n' "$$" >"$T/aws-secret"
mkdir -p "$T/s3"
node "$S3RVER_DIR/node_modules/s3rver/bin/s3rver.js" -d "$T/s3" -a 127.0.0.1 -p "$S3_PORT" \
  --configure-bucket pool --silent >>"$T/s3rver.log" 2>&1 &
PIDS+=($!)
python3 "$SRC_DIR/tests/integration/sigv4_proxy.py" --listen "$PROXY_PORT" --upstream "$S3_PORT" \
  --access-key "$KEY_ID" --secret "$(cat "$T/aws-secret")" --log "$T/sigv4.jsonl" \
  >>"$T/proxy.log" 2>&1 &
PIDS+=($!)
wait_port "$S3_PORT" || fail "s3rver did not start"
wait_port "$PROXY_PORT" || fail "the SigV4 proxy did not start"

start_broker
write_config "rollup: {interval: 200ms}" \
  "upload: {url: \"http://127.0.0.1:$PROXY_PORT/pool\", auth: sigv4, aws_region: us-east-1,
   aws_access_key_id: $KEY_ID, aws_secret_file: $T/aws-secret, jitter: 0, backoff_min: 1s,
   connect_timeout: 2s}"
sed -i 's|^storage: {path: \(.*\)}$|storage: {path: \1, retention: {raw: 0, hourly: 0}}|' "$T/collector.yaml"
start_collector --set upload.url=
"$DEVSIM" replay -h 127.0.0.1 -p "$BROKER_PORT" --csv "$CSV" --site xujiahui --limit 48 \
  --max-rate >"$T/devsim.out" 2>>"$T/devsim.log" || fail "replay"
wait_stat "['stored_messages']" 48 || fail "not all 48 rows stored"

upload_run --now 2013-03-02T02:00 || fail "sigv4 upload: $(cat "$T/upload.out")"
[ "$(ledger state 2013-03-01)" = done ] || fail "ledger: $(ledger "state || ' ' || last_error" 2013-03-01)"
python3 "$SRC_DIR/tests/integration/verify_upload.py" --db "$T/collector.db" --root "$T/s3/pool" \
  --suffix ._S3rver_object --gateway it-gw --day 2013-03-01 --revision 1 >>"$T/verify.log" 2>&1 ||
  fail "objects in s3rver: $(tail -3 "$T/verify.log")"
python3 - "$T/sigv4.jsonl" <<'PY' || fail "signatures: $(cat "$T/sigv4.jsonl")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
assert len(reqs) == 12, len(reqs)
for r in reqs:
    assert r["method"] == "PUT" and r["ok"], r
    assert "x-amz-content-sha256" in r["signed"].split(";"), r
assert reqs[-1]["path"].endswith("/2013/03/01/manifest.json"), reqs[-1]
PY
pass "2013-03-01 stored as 12 objects; every request's SigV4 signature verified independently"

printf 'not-the-secret\n' >"$T/wrong-secret"
: >"$T/sigv4.jsonl"
if upload_run --now 2013-03-03T02:00 --set upload.aws_secret_file="$T/wrong-secret"; then
  fail "an upload signed with the wrong secret succeeded"
fi
[ "$(ledger "state || ' ' || last_status" 2013-03-02)" = "config_error 403" ] ||
  fail "wrong secret: $(ledger "state || ' ' || last_status || ' ' || last_error" 2013-03-02)"
ledger last_error 2013-03-02 | grep -q SignatureDoesNotMatch || fail "last error: $(ledger last_error 2013-03-02)"
grep -q '"ok": false, "reason": "SignatureDoesNotMatch"' "$T/sigv4.jsonl" || fail "mismatch not caught"
[ ! -e "$T/s3/pool/it-gw/2013/03/02" ] || fail "an object signed with the wrong secret was stored"
! grep -rqF "$(cat "$T/aws-secret")" "$T"/*.log "$T/upload.out" || fail "the secret was printed"
upload_run --now 2013-03-03T02:00 || fail "after fixing the secret: $(cat "$T/upload.out")"
python3 "$SRC_DIR/tests/integration/verify_upload.py" --db "$T/collector.db" --root "$T/s3/pool" \
  --suffix ._S3rver_object --gateway it-gw --day 2013-03-02 --revision 1 >>"$T/verify.log" 2>&1 ||
  fail "2013-03-02 objects: $(tail -3 "$T/verify.log")"
pass "a request signed with the wrong secret is caught (403, config_error, nothing stored)"
