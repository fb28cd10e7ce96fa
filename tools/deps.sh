# Sourced by tools/run and tools/test: installs the Debian packages (and, for
# tests, the pinned npm modules) the project needs, only those missing.
# Every dependency of the build and the tests is listed here and nowhere else.

BUILD_PACKAGES=(
  cmake ninja-build pkg-config g++ ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libmosquitto-dev libmsgpack-cxx-dev libabsl-dev libcurl4-openssl-dev
  libssl-dev libyaml-cpp-dev libspdlog-dev libsimdjson-dev rapidjson-dev
  uuid-dev libgtest-dev libgmock-dev libbenchmark-dev help2man dpkg-dev
  libmicrohttpd-dev
)
# Real peers the tests start themselves: MQTT broker, load balancer, gRPC
# clients in Python (Debian's grpcio) and Node, OpenSSL for test CAs,
# headless Chromium for the status page.
TEST_PACKAGES=(
  mosquitto mosquitto-clients nginx-light openssl
  python3 python3-grpcio python3-protobuf python3-paho-mqtt
  curl procps psmisc
  chromium
)
# Only for tools/fuzz (libFuzzer targets built with clang in build-fuzz/);
# the normal build never uses clang.
FUZZ_PACKAGES=(
  clang libclang-rt-14-dev
)

sg_missing_packages() {
  local missing=()
  for p in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  echo "${missing[@]}"
}

sg_install_packages() {
  local missing
  missing=$(sg_missing_packages "$@")
  [ -z "$missing" ] && return 0
  echo "streamgate: installing Debian packages: $missing" >&2
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null; then sudo="sudo"; else
      echo "streamgate: need root (or sudo) to install: $missing" >&2
      return 1
    fi
  fi
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
}

# Node and npm: the machine's own when present, else Debian's.
sg_ensure_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    sg_install_packages nodejs npm
  fi
}

sg_npm_install() {
  local dir="$1"
  # Reinstall only when the lock file changed since the last install.
  local stamp="$dir/node_modules/.streamgate-lock"
  if [ -f "$stamp" ] && cmp -s "$dir/package-lock.json" "$stamp"; then
    return 0
  fi
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  cp "$dir/package-lock.json" "$stamp"
}

sg_build() {
  local build_dir="$1"; shift
  # Paths under the parent folder hash relative to the build, so clones and
  # worktrees of the project share ccache's cache.
  export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$(dirname "$SG_ROOT")}"
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S "$SG_ROOT" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@" >&2
  else
    cmake -S "$SG_ROOT" -B "$build_dir" "$@" >/dev/null
  fi
  cmake --build "$build_dir" -j"$(nproc)" >&2
}
