#!/usr/bin/env python3
"""Structural checks of one `helm template` rendering of the Pulse chart.

Usage: check_rendered.py MANIFESTS.yaml --name LABEL [options]

Prints one line per check, "ok - LABEL: what" or "not ok - LABEL: what: why", for chart_test.sh to
count, and exits 1 when any check failed. Needs PyYAML (Debian: python3-yaml).
"""

import argparse
import re
import sys

import yaml

# The keys sidecar/config/config.cc accepts, as a tree (None = a leaf). Keep in step with ParseConfig:
# pulsed rejects any other key, so the chart must render only these.
EFFECTIVENESS_ACTIONS = ["win_back", "service_recovery", "check_in", "reorder_reminder", "health_check",
                         "onboarding", "growth", "handover_intro", "feedback_request", "recognition"]
CONFIG_KEYS = {
    "listen": None,
    "http_listen": None,
    "log_level": None,
    "log_format": None,
    "store": {"path": None, "integrity_check": None, "backup": {"dir": None, "interval": None, "keep": None}},
    "adapter": {"type": None, "csv": {"dir": None}, "credentials_file": None, "credentials_env": None},
    "tls": {"cert_file": None, "key_file": None, "client_ca_file": None, "require_client_cert": None,
            "reload_interval": None},
    "auth": {"tokens_file": None, "allow_insecure": None},
    "sweep": {"interval": None, "run_on_start": None, "write_tasks": None},
    "tiers": {"key_revenue_share": None, "key_max_account_share": None, "mid_account_share": None,
              "use_crm_tier": None},
    "signals": {"overdue_ratio": None, "overdue_min_days": None, "min_orders_for_cadence": None,
                "volume_window_days": None, "volume_drop_share": None, "complaint_window_days": None,
                "complaint_min_cases": None, "complaint_rise_ratio": None, "contact_gap_days": None},
    "churn_weights": {"volume_falling": None, "complaints_rising": None, "contact_gap": None, "no_owner": None,
                      "owner_inactive": None},
    "contact": {"horizon_days": None, "at_risk_probability": None, "min_churn_probability": None,
                "default_weekly_capacity": None, "pool_users": None, "key_account_users": None,
                "same_reason_cooldown_days": None, "account_cooldown_days": None, "language": None,
                "effectiveness": {a: None for a in EFFECTIVENESS_ACTIONS}, "proactive_capacity_share": None},
    "feedback": {"enabled": None, "ask_interval_days": None, "monthly_share": {"mid": None, "tail": None},
                 "answer_window_days": None},
    "recognition": {"enabled": None, "tiers": None, "min_tenure_days": None, "quiet_days": None,
                    "max_churn_probability": None, "max_per_owner_per_week": None, "interval_days": None},
}
LIST_KEYS = {"contact.pool_users", "contact.key_account_users", "recognition.tiers"}
# Signal settings config.cc takes per tier: one scalar, or a map of some of key/mid/tail to scalars.
TIERED_KEYS = {f"signals.{k}" for k in CONFIG_KEYS["signals"] if k != "min_orders_for_cadence"}
TIERS = {"key", "mid", "tail"}
# Keys config.cc accepts but does not require: the chart renders them only in some cases.
OPTIONAL_KEYS = {"adapter.credentials_file", "adapter.credentials_env", "tls", "tls.client_ca_file", "auth",
                 "store.backup"}

STANDARD_LABELS = ["helm.sh/chart", "app.kubernetes.io/name", "app.kubernetes.io/instance",
                   "app.kubernetes.io/version", "app.kubernetes.io/managed-by"]
GRPC_PORT, HTTP_PORT = 50051, 9090
DATA_DIR, CONFIG_DIR, SECRET_DIR = "/var/lib/pulse", "/etc/pulse", "/var/run/secrets/pulse"
TLS_DIR, AUTH_DIR = "/var/run/secrets/pulse-tls", "/var/run/secrets/pulse-auth"
# Volumes of the TLS and tokens Secrets; every other Secret volume is the CRM's.
TLS_VOLUME, AUTH_VOLUME = "tls", "auth-tokens"


class Checks:
    def __init__(self, label):
        self.label = label
        self.failed = 0

    def check(self, what, ok, why=""):
        if ok:
            print(f"ok - {self.label}: {what}")
        else:
            self.failed += 1
            print(f"not ok - {self.label}: {what}: {why}")


def config_key_problems(tree, allowed, path=""):
    """Keys of `tree` outside `allowed`, allowed keys missing from `tree`, and wrongly shaped values."""
    problems = []
    if not isinstance(tree, dict):
        return [f"{path or '(root)'} is not a mapping"]
    for key, value in tree.items():
        full = f"{path}.{key}" if path else str(key)
        if key not in allowed:
            problems.append(f"unknown key {full}")
        elif isinstance(allowed[key], dict):
            problems.extend(config_key_problems(value, allowed[key], full))
        elif full in TIERED_KEYS and isinstance(value, dict):
            if not value or not set(value) <= TIERS or \
                    any(isinstance(v, (dict, list)) or v is None for v in value.values()):
                problems.append(f"{full} is neither a scalar nor a map of key/mid/tail to scalars")
        elif full in LIST_KEYS:
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                problems.append(f"{full} is not a list of non-empty strings")
        elif isinstance(value, (dict, list)) or value is None:
            problems.append(f"{full} is not a scalar")
    for key in allowed:
        full = f"{path}.{key}" if path else key
        if key not in tree and full not in OPTIONAL_KEYS:
            problems.append(f"missing key {full}")
    return problems


def lookup(tree, dotted):
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("manifests")
    parser.add_argument("--name", required=True, help="label of this rendering in the output")
    parser.add_argument("--secret-token", help="a credential value that must appear nowhere")
    parser.add_argument("--expect-secret", help="name of the Secret that must be mounted as a file")
    parser.add_argument("--expect-kind", action="append", default=[], help="a kind that must be rendered")
    parser.add_argument("--expect-no-kind", action="append", default=[], help="a kind that must not be rendered")
    parser.add_argument("--expect-config", action="append", default=[],
                        help="KEY.PATH=VALUE the rendered pulse.yaml must hold (compared as strings)")
    parser.add_argument("--expect-claim", help="claimName of the store volume")
    parser.add_argument("--expect-tls", help="name of the TLS Secret serving gRPC")
    parser.add_argument("--expect-mtls", action="store_true", help="client certificates are required")
    parser.add_argument("--expect-auth", help="name of the Secret holding the tokens file")
    args = parser.parse_args()
    c = Checks(args.name)

    text = open(args.manifests, encoding="utf-8").read()
    try:
        docs = [d for d in yaml.safe_load_all(text) if d]
    except yaml.YAMLError as e:
        c.check("the rendering is valid YAML", False, str(e).replace("\n", " "))
        return 1
    c.check("the rendering is valid YAML", True)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)

    def one(kind):
        items = by_kind.get(kind, [])
        return items[0] if len(items) == 1 else None

    for kind in ["ServiceAccount", "ConfigMap", "Service", "Deployment"] + args.expect_kind:
        c.check(f"exactly one {kind} rendered", len(by_kind.get(kind, [])) == 1,
                f"found {len(by_kind.get(kind, []))}")
    for kind in args.expect_no_kind:
        c.check(f"no {kind} rendered", kind not in by_kind, f"found {len(by_kind.get(kind, []))}")

    missing = [f"{d['kind']}/{d['metadata']['name']} lacks {lab}" for d in docs for lab in STANDARD_LABELS
               if lab not in (d.get("metadata", {}).get("labels") or {})]
    c.check("every object carries the standard app.kubernetes.io/* and helm.sh/chart labels", not missing,
            "; ".join(missing[:3]))

    # Credentials: only by reference, never rendered.
    c.check("no Secret object is rendered", "Secret" not in by_kind, "the chart must only reference Secrets")
    if args.secret_token:
        c.check("the test credential appears nowhere in the rendering", args.secret_token not in text,
                "found in the output")

    dep = one("Deployment")
    if dep is None:
        return 1
    spec = dep["spec"]
    pod = spec["template"]["spec"]
    containers = pod.get("containers") or []
    c.check("one container, named pulse", [x.get("name") for x in containers] == ["pulse"],
            str([x.get("name") for x in containers]))
    ctr = containers[0]

    c.check("replicas is 0 or 1 (one SQLite store)", spec.get("replicas") in (0, 1), str(spec.get("replicas")))
    c.check("strategy is Recreate", (spec.get("strategy") or {}).get("type") == "Recreate", str(spec.get("strategy")))
    selector = spec["selector"]["matchLabels"]
    pod_labels = spec["template"]["metadata"]["labels"]
    c.check("the Deployment selector matches the pod labels",
            all(pod_labels.get(k) == v for k, v in selector.items()), f"{selector} vs {pod_labels}")
    c.check("the container runs pulsed serve --config /etc/pulse/pulse.yaml",
            (ctr.get("command") or []) + (ctr.get("args") or [])
            == ["/usr/local/bin/pulsed", "serve", "--config", f"{CONFIG_DIR}/pulse.yaml"],
            f"{ctr.get('command')} {ctr.get('args')}")
    ports = {p["name"]: p["containerPort"] for p in ctr.get("ports", [])}
    c.check("container ports grpc 50051 and http 9090", ports == {"grpc": GRPC_PORT, "http": HTTP_PORT}, str(ports))

    # Probes: native gRPC on 50051; readiness on the RetentionService, liveness on "". With TLS, which
    # Kubernetes' grpc probes cannot speak, HTTP GET /healthz on the http port.
    def grpc_probe(name, service):
        probe = ctr.get(name) or {}
        if args.expect_tls:
            h = probe.get("httpGet") or {}
            c.check(f"{name} is HTTP GET /healthz on the http port (TLS: grpc probes cannot speak it)",
                    h.get("path") == "/healthz" and h.get("port") == "http" and not
                    (set(probe) & {"grpc", "exec", "tcpSocket"}), str(probe))
            return probe
        g = probe.get("grpc") or {}
        c.check(f"{name} is a native grpc probe on 50051, service {service!r}",
                g.get("port") == GRPC_PORT and g.get("service", "") == service and not
                (set(probe) & {"httpGet", "exec", "tcpSocket"}), str(probe))
        return probe

    grpc_probe("readinessProbe", "pulse.v1.RetentionService")
    liveness = grpc_probe("livenessProbe", "")
    startup = ctr.get("startupProbe")
    if startup:
        grpc_probe("startupProbe", "")
        budget = startup.get("periodSeconds", 10) * startup.get("failureThreshold", 3) + \
            startup.get("initialDelaySeconds", 0)
        c.check("the startup probe allows at least 10 minutes for the first sync", budget >= 600, f"{budget}s")
    else:
        budget = liveness.get("initialDelaySeconds", 0)
        c.check("without a startup probe, liveness waits at least 10 minutes", budget >= 600, f"{budget}s")
    for name in ["livenessProbe", "readinessProbe", "startupProbe"]:
        probe = ctr.get(name)
        if probe:
            c.check(f"{name} has explicit timings", all(k in probe for k in
                    ["periodSeconds", "timeoutSeconds", "failureThreshold"]), str(probe))

    # Secure defaults.
    psc = pod.get("securityContext") or {}
    c.check("pod securityContext: runAsNonRoot, uid/gid/fsGroup 10001, seccomp RuntimeDefault",
            psc.get("runAsNonRoot") is True and psc.get("runAsUser") == 10001 and psc.get("runAsGroup") == 10001
            and psc.get("fsGroup") == 10001 and (psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault",
            str(psc))

    def container_secure(x, what):
        sc = x.get("securityContext") or {}
        c.check(f"{what} securityContext: non-root, read-only root fs, no escalation, drop ALL, seccomp",
                sc.get("runAsNonRoot") is True and sc.get("readOnlyRootFilesystem") is True
                and sc.get("allowPrivilegeEscalation") is False and sc.get("privileged") in (None, False)
                and (sc.get("capabilities") or {}).get("drop") == ["ALL"]
                and not (sc.get("capabilities") or {}).get("add")
                and (sc.get("seccompProfile") or {}).get("type") == "RuntimeDefault"
                and sc.get("runAsUser", 10001) == 10001, str(sc))

    container_secure(ctr, "container")
    res = ctr.get("resources") or {}
    c.check("resources: cpu and memory requests and limits",
            all(k in (res.get(s) or {}) for s in ["requests", "limits"] for k in ["cpu", "memory"]), str(res))
    c.check("the pod does not automount a service-account token", pod.get("automountServiceAccountToken") is False,
            str(pod.get("automountServiceAccountToken")))
    sa = one("ServiceAccount")
    c.check("the ServiceAccount does not automount a token and is the pod's",
            sa is not None and sa.get("automountServiceAccountToken") is False
            and pod.get("serviceAccountName") == sa["metadata"]["name"], str(sa))

    # Volumes.
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    mounts = {m["mountPath"]: m for m in ctr.get("volumeMounts", [])}

    def volume_at(path):
        m = mounts.get(path)
        return (m, volumes.get(m["name"])) if m else (None, None)

    m, v = volume_at(DATA_DIR)
    pvc = one("PersistentVolumeClaim")
    claim = (v or {}).get("persistentVolumeClaim", {}).get("claimName")
    if args.expect_claim:
        c.check(f"the store is the existing claim {args.expect_claim} at /var/lib/pulse",
                claim == args.expect_claim, str(v))
    else:
        c.check("the store is the chart's PersistentVolumeClaim, mounted at /var/lib/pulse",
                pvc is not None and claim == pvc["metadata"]["name"] and not m.get("readOnly"), str(v))
    m, v = volume_at("/tmp")
    c.check("/tmp is an emptyDir", v is not None and "emptyDir" in v, str(v))
    m, v = volume_at(CONFIG_DIR)
    cm = one("ConfigMap")
    c.check("/etc/pulse is the chart's ConfigMap, read-only",
            v is not None and m.get("readOnly") is True and cm is not None
            and v.get("configMap", {}).get("name") == cm["metadata"]["name"], str(v))
    c.check("the pod has a checksum/config annotation",
            re.fullmatch(r"[0-9a-f]{64}", str((spec["template"]["metadata"].get("annotations") or {})
                                              .get("checksum/config", ""))) is not None,
            str(spec["template"]["metadata"].get("annotations")))

    secret_volumes = [n for n, v in volumes.items() if "secret" in v and n not in (TLS_VOLUME, AUTH_VOLUME)]

    # TLS and tokens Secrets: whole-folder read-only mounts (no subPath, so renewed files reach the pod).
    for volume, secret, folder in [(TLS_VOLUME, args.expect_tls, TLS_DIR), (AUTH_VOLUME, args.expect_auth, AUTH_DIR)]:
        v = volumes.get(volume)
        ms = [m for m in ctr.get("volumeMounts", []) if m["name"] == volume]
        if secret:
            c.check(f"Secret {secret} is mounted read-only at {folder} without subPath",
                    v is not None and v.get("secret", {}).get("secretName") == secret and len(ms) == 1
                    and ms[0].get("mountPath") == folder and ms[0].get("readOnly") is True and "subPath" not in ms[0],
                    f"{v} mounted as {ms}")
        else:
            c.check(f"no {volume} volume without its Secret", v is None and not ms, str(v))
    secret_file = None  # where the mounted credentials file is, for pulse.yaml's adapter.credentials_file
    env_secret_refs = [e for e in ctr.get("env", []) or [] if "secretKeyRef" in (e.get("valueFrom") or {})] + \
        [e for e in ctr.get("envFrom", []) or [] if "secretRef" in e]
    c.check("no credential reaches the container as an environment variable", not env_secret_refs,
            str(env_secret_refs))
    if args.expect_secret:
        ok = len(secret_volumes) == 1
        why = f"secret volumes: {secret_volumes}"
        if ok:
            v = volumes[secret_volumes[0]]
            ms = [m for m in ctr.get("volumeMounts", []) if m["name"] == secret_volumes[0]]
            ok = (v["secret"].get("secretName") == args.expect_secret and len(ms) == 1
                  and ms[0].get("readOnly") is True and ms[0]["mountPath"].startswith(SECRET_DIR))
            why = f"{v} mounted as {ms}"
            items = v["secret"].get("items") or []
            if ok and len(items) == 1 and "subPath" not in ms[0]:
                secret_file = ms[0]["mountPath"].rstrip("/") + "/" + items[0]["path"]
        c.check(f"Secret {args.expect_secret} is mounted read-only as a file under {SECRET_DIR}/", ok, why)
    else:
        c.check("no Secret is mounted without crm.existingSecret", not secret_volumes, str(secret_volumes))

    # Pulse's config file.
    raw = ((cm or {}).get("data") or {}).get("pulse.yaml")
    try:
        config = yaml.safe_load(raw) if raw else None
    except yaml.YAMLError as e:
        config = None
        raw = f"invalid YAML: {e}"
    c.check("the ConfigMap holds pulse.yaml as valid YAML", isinstance(config, dict), str(raw)[:200])
    config = config or {}
    problems = config_key_problems(config, CONFIG_KEYS)
    c.check("pulse.yaml has exactly the keys config.cc accepts", not problems, "; ".join(problems[:5]))
    c.check("pulse.yaml listens on 0.0.0.0:50051", config.get("listen") == f"0.0.0.0:{GRPC_PORT}",
            str(config.get("listen")))
    c.check("pulse.yaml serves http (/metrics) on 0.0.0.0:9090", config.get("http_listen") == f"0.0.0.0:{HTTP_PORT}",
            str(config.get("http_listen")))
    c.check("pulse.yaml logs JSON lines", config.get("log_format") == "json", str(config.get("log_format")))
    credentials_file = lookup(config, "adapter.credentials_file")
    if args.expect_secret:
        c.check("adapter.credentials_file is the mounted Secret's file",
                secret_file is not None and credentials_file == secret_file, f"{credentials_file} vs {secret_file}")
    else:
        c.check("no adapter.credentials_file without crm.existingSecret", credentials_file is None,
                str(credentials_file))
    c.check("no adapter.credentials_env (the Secret is a file, never an env var)",
            lookup(config, "adapter.credentials_env") is None, str(lookup(config, "adapter.credentials_env")))
    if args.expect_tls:
        c.check("pulse.yaml tls names the mounted certificate and key",
                lookup(config, "tls.cert_file") == f"{TLS_DIR}/tls.crt"
                and lookup(config, "tls.key_file") == f"{TLS_DIR}/tls.key", str(config.get("tls")))
        c.check(f"pulse.yaml tls requires client certificates: {args.expect_mtls}",
                lookup(config, "tls.require_client_cert") is args.expect_mtls
                and (lookup(config, "tls.client_ca_file") == f"{TLS_DIR}/ca.crt") is args.expect_mtls,
                str(config.get("tls")))
    else:
        c.check("no tls in pulse.yaml without tls.existingSecret", "tls" not in config, str(config.get("tls")))
    if args.expect_auth:
        tokens = str(lookup(config, "auth.tokens_file"))
        c.check("pulse.yaml auth.tokens_file is in the mounted tokens Secret", tokens.startswith(AUTH_DIR + "/"), tokens)
    else:
        c.check("no auth in pulse.yaml without auth.existingSecret", "auth" not in config, str(config.get("auth")))
    store_path = str(lookup(config, "store.path"))
    c.check("store.path is on the data volume", store_path.startswith(DATA_DIR + "/"), store_path)
    if lookup(config, "adapter.type") == "csv":
        csv_dir = str(lookup(config, "adapter.csv.dir"))
        c.check("adapter.csv.dir is on a mounted volume",
                any(csv_dir == p or csv_dir.startswith(p + "/") for p in mounts if p != CONFIG_DIR), csv_dir)
    for expectation in args.expect_config:
        key, _, want = expectation.partition("=")
        got = lookup(config, key)
        got_text = yaml.safe_dump(got, default_flow_style=True).strip().removesuffix("...").strip() \
            if isinstance(got, (list, dict)) else str(got).lower() if isinstance(got, bool) else str(got)
        c.check(f"pulse.yaml {key} = {want}", got_text == want, f"got {got_text}")

    # Service.
    svc = one("Service")
    svc_ports = {p["name"]: p for p in (svc or {}).get("spec", {}).get("ports", [])}
    c.check("the Service exposes grpc and http onto the named container ports",
            set(svc_ports) == {"grpc", "http"} and all(p.get("targetPort") == n for n, p in svc_ports.items()),
            str(svc_ports))
    c.check("the Service selects the Deployment's pods",
            svc is not None and svc["spec"].get("selector") == selector, str((svc or {}).get("spec")))

    # helm test hook.
    tests = [d for d in by_kind.get("Pod", []) if (d["metadata"].get("annotations") or {}).get("helm.sh/hook") == "test"]
    c.check("one helm test hook Pod", len(tests) == 1, f"found {len(tests)}")
    if tests and svc:
        t = tests[0]["spec"]
        tc = t["containers"][0]
        argv = (tc.get("command") or []) + (tc.get("args") or [])
        tls_args = []
        if args.expect_tls:
            tls_args = ["--tls-ca", f"{TLS_DIR}/ca.crt"]
            if args.expect_mtls:
                tls_args += ["--tls-cert", f"{TLS_DIR}/tls.crt", "--tls-key", f"{TLS_DIR}/tls.key"]
        want = ["/usr/local/bin/pulsectl", "--server",
                f"{svc['metadata']['name']}:{svc_ports['grpc']['port']}"] + tls_args + ["health"]
        c.check("the test pod runs pulsectl --server <service>:<grpc port> [TLS options] health", argv == want,
                str(argv))
        test_labels = tests[0]["metadata"].get("labels") or {}
        c.check("the test pod is not selected by the Service (nor the NetworkPolicy or PDB)",
                not all(test_labels.get(k) == v for k, v in selector.items()), str(test_labels))
        c.check("the test pod defaults to the Pulse image", tc.get("image") == ctr.get("image"),
                f"{tc.get('image')} vs {ctr.get('image')}")
        c.check("the test pod never restarts and has no token",
                t.get("restartPolicy") == "Never" and t.get("automountServiceAccountToken") is False, str(t))
        container_secure(tc, "test container")

    # Optional objects, when rendered.
    netpol = one("NetworkPolicy")
    if netpol:
        np = netpol["spec"]
        egress = np.get("egress") or []
        dns_only = [r for r in egress if "to" not in r]
        c.check("NetworkPolicy: both directions, selects the pod",
                set(np.get("policyTypes", [])) == {"Ingress", "Egress"} and
                np["podSelector"].get("matchLabels") == selector, str(np.get("policyTypes")))
        c.check("NetworkPolicy egress without a destination is DNS (53) only",
                all({p.get("port") for p in r.get("ports", [])} == {53} for r in dns_only), str(dns_only))
        c.check("NetworkPolicy egress with a destination is ipBlock CIDRs with explicit ports",
                all(r.get("ports") and all(set(t) == {"ipBlock"} for t in r["to"]) for r in egress if "to" in r),
                str(egress))
        c.check("NetworkPolicy ingress only to the grpc/http ports, always from selected peers",
                all(r.get("from") and {p.get("port") for p in r.get("ports", [])} <= {"grpc", "http"}
                    for r in np.get("ingress") or []), str(np.get("ingress")))
    smon = one("ServiceMonitor")
    if smon:
        eps = smon["spec"].get("endpoints", [])
        c.check("ServiceMonitor (monitoring.coreos.com/v1) scrapes http /metrics",
                smon["apiVersion"] == "monitoring.coreos.com/v1" and len(eps) == 1 and eps[0].get("port") == "http"
                and eps[0].get("path") == "/metrics" and smon["spec"]["selector"]["matchLabels"] == selector,
                str(smon["spec"]))
    pdb = one("PodDisruptionBudget")
    if pdb:
        c.check("PodDisruptionBudget selects the pod",
                pdb["apiVersion"] == "policy/v1" and pdb["spec"]["selector"]["matchLabels"] == selector,
                str(pdb["spec"]))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
