#!/usr/bin/env bash
# Linode's own clients against the sandbox: installs linode-cli and
# linode_api4 from PyPI into a throwaway virtual environment, starts the
# app as a sandbox on a free loopback port with a known token, and runs
# linode_clients.py, whose every call must succeed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo="$(pwd)"

work="$(mktemp -d)"
app_pid=""
cleanup() {
    [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check linode-cli linode_api4
"$work/venv/bin/linode-cli" --version | head -1

cargo build --locked --quiet --bin install-on-linode
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
token="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
APP_PORT="$port" APP_PUBLIC_URL="http://127.0.0.1:$port" APP_SANDBOX_TOKEN="$token" \
    "${CARGO_TARGET_DIR:-target}/debug/install-on-linode" --sandbox >"$work/app.log" 2>&1 &
app_pid=$!
if ! python3 - "$port" <<'PY'
import sys, time, urllib.request
for _ in range(200):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/healthz", timeout=1)
        break
    except OSError:
        time.sleep(0.1)
else:
    sys.exit("the sandbox did not start")
PY
then
    cat "$work/app.log"
    exit 1
fi

cd "$work"
PATH="$work/venv/bin:$PATH" LINODE_TOKEN="$token" \
    APP_LINODE_API_URL="http://127.0.0.1:$port/sandbox/v4" \
    HOME="$work" "$work/venv/bin/python" "$repo/tests/clients/linode_clients.py"
