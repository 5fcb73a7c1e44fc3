# Shared helpers for tools/quickstart, tools/test and tools/bench (sourced, not executed).

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD_PACKAGES=(zookeeper libzookeeper-mt-dev libzstd-dev liblz4-dev libsnappy-dev zlib1g-dev kcat)

log() { printf '\033[1m[%s]\033[0m %s\n' "$(basename "$0")" "$*"; }
die() { printf '[%s] error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

# Installs the Debian packages that are missing; runs `apt-get update` once, only when something is missing.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  command -v java >/dev/null 2>&1 || missing+=(default-jre-headless)
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get install ${missing[*]} failed"
}

# tools/zookeeper (the project's ZooKeeper launcher) when it exists, else the minimal fallback.
zookeeper_tool() {
  if [ -x "$ROOT/tools/zookeeper" ]; then echo "$ROOT/tools/zookeeper"; else echo "$ROOT/tools/lib/zookeeper-mini"; fi
}

# free_port [COUNT] -> the first of COUNT consecutive free ports, chosen below the kernel's ephemeral range
# (32768+), where an outgoing connection can grab a port between our check and the server's bind.
free_port() {
  python3 - "${1:-1}" <<'PY'
import random, socket, sys
count = int(sys.argv[1])
for _ in range(500):
    base = random.randint(20000, 32000 - count)
    socks = []
    try:
        for p in range(base, base + count):
            s = socket.socket()
            s.bind(("127.0.0.1", p))
            socks.append(s)
    except OSError:
        continue
    finally:
        for s in socks:
            s.close()
    print(base)
    break
else:
    sys.exit("no free port found")
PY
}

# zk_answers HOST:PORT -> 0 when a ZooKeeper server there answers "ruok" with "imok".
zk_answers() {
  python3 - "$1" <<'PY' 2>/dev/null
import socket, sys
host, _, port = sys.argv[1].partition(":")
try:
    s = socket.create_connection((host or "127.0.0.1", int(port or 2181)), timeout=1)
    s.sendall(b"ruok")
    sys.exit(0 if s.recv(4) == b"imok" else 1)
except (OSError, ValueError):
    sys.exit(1)
PY
}

# broker_ready HOST PORT -> 0 when the broker answers ApiVersions + Metadata.
broker_ready() {
  PYTHONPATH="$ROOT/Tests/Interop" python3 - "$1" "$2" <<'PY' 2>/dev/null
import socket, struct, sys
host, port = sys.argv[1], int(sys.argv[2])
def frame(key, ver, cid, body=b""):
    p = struct.pack(">hhih", key, ver, cid, 2) + b"nt" + body
    return struct.pack(">i", len(p)) + p
def read(s):
    n = struct.unpack(">i", s.recv(4, socket.MSG_WAITALL))[0]
    return s.recv(n, socket.MSG_WAITALL)
try:
    s = socket.create_connection((host, port), timeout=2)
    s.sendall(frame(18, 0, 1) + frame(3, 1, 2, struct.pack(">i", 0)))
    ok = read(s)[:4] == struct.pack(">i", 1) and read(s)[:4] == struct.pack(">i", 2)
    sys.exit(0 if ok else 1)
except (OSError, struct.error):
    sys.exit(1)
PY
}

# Reads a key from a .properties file (last occurrence wins), honouring the KAFKA_* override.
property_value() {
  local file=$1 key=$2 env_name
  env_name="KAFKA_$(echo "$key" | tr '[:lower:].' '[:upper:]_')"
  if [ -n "${!env_name:-}" ]; then echo "${!env_name}"; return; fi
  [ -f "$file" ] && sed -n "s/^[[:space:]]*${key//./\\.}[[:space:]]*[=:][[:space:]]*//p" "$file" | tail -1
}
