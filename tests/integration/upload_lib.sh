# Helpers for the upload tests (sourced after lib.sh): a real nginx on a
# free loopback port as the district data pool — WebDAV PUT under /pool/
# behind basic auth, plus locations that answer 500, 429 and 403 on
# purpose — and the checks of what arrived.
#   POOL_PORT, POOL_ROOT (files land in $POOL_ROOT/pool/...), POOL_LOG (access log)

POOL_PID=
POOL_USER=gw
POOL_PASS=pool-Secret-1
POOL_ROOT=$T/pool/www
POOL_LOG=$T/pool/access.log

write_pool_config() {
  mkdir -p "$T/pool/www/pool" "$T/pool/tmp"
  printf '%s\n' "$POOL_PASS" >"$T/pool-password"
  printf '%s:%s\n' "$POOL_USER" "$(openssl passwd -apr1 "$POOL_PASS")" >"$T/pool/htpasswd"
  local user_line=""
  [ "$(id -u)" = 0 ] && user_line="user root;"
  cat >"$T/pool/nginx.conf" <<CONF
daemon off;
master_process off;
$user_line
worker_processes 1;
pid $T/pool/nginx.pid;
error_log $T/pool/error.log info;
events { worker_connections 64; }
http {
  log_format pool '\$request_method \$uri \$status \$request_length';
  access_log $POOL_LOG pool;
  client_body_temp_path $T/pool/tmp/body;
  proxy_temp_path $T/pool/tmp/proxy;
  fastcgi_temp_path $T/pool/tmp/fastcgi;
  uwsgi_temp_path $T/pool/tmp/uwsgi;
  scgi_temp_path $T/pool/tmp/scgi;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$POOL_PORT;
    root $POOL_ROOT;
    location /pool/ {
      auth_basic "data pool";
      auth_basic_user_file $T/pool/htpasswd;
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
    location /s500/ { return 500; }
    location /s429/ { add_header Retry-After 1 always; return 429; }
    location /s403/ { return 403; }
  }
}
CONF
}

# start_pool: (re)start nginx on $POOL_PORT (chosen once, so the URL stays valid)
start_pool() {
  POOL_PORT=${POOL_PORT:-$(free_port)}
  [ -f "$T/pool/nginx.conf" ] || write_pool_config
  nginx -c "$T/pool/nginx.conf" -p "$T/pool" >>"$T/nginx.log" 2>&1 &
  POOL_PID=$!
  PIDS+=("$POOL_PID")
  wait_port "$POOL_PORT" || fail "nginx did not start"
}

stop_pool() { # the pool goes down: connections are refused
  kill -9 "$POOL_PID" 2>/dev/null || true
  wait "$POOL_PID" 2>/dev/null || true
}

POOL_URL() { echo "http://127.0.0.1:$POOL_PORT/${1:-pool}"; }

# upload_yaml URL: an upload section with basic auth against the pool
upload_yaml() {
  echo "upload: {url: \"$1\", auth: basic, username: $POOL_USER, password_file: $T/pool-password, jitter: 0, backoff_min: 1s, backoff_max: 4s, connect_timeout: 2s, low_speed_time: 5s, reupload_window: 100000d}"
}

# upload_run ARGS...: `collector upload` by hand, output in $T/upload.out; returns its exit code
upload_run() {
  local rc=0
  "$COLLECTOR" upload -c "$T/collector.yaml" "$@" >"$T/upload.out" 2>>"$T/upload.log" || rc=$?
  cat "$T/upload.out" >>"$T/upload.log"
  return $rc
}

ledger() { sql "select $1 from upload_ledger where day = '$2'"; }

# verify_day ROOT DAY REVISION: files, checksums, rows against the manifest and the database
verify_day() {
  python3 "$SRC_DIR/tests/integration/verify_upload.py" --db "$T/collector.db" --root "$1" \
    --gateway it-gw --day "$2" --revision "$3" >>"$T/verify.log" 2>&1 ||
    { tail -5 "$T/verify.log" >&2; return 1; }
}
