{{/*
The chart name, or nameOverride.
*/}}
{{- define "pulse.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources, at most 63 characters (the DNS label limit).
A release name that already contains the chart name is used as is.
*/}}
{{- define "pulse.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "pulse.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The standard labels every object of the release carries, without a component.
*/}}
{{- define "pulse.commonLabels" -}}
helm.sh/chart: {{ include "pulse.chart" . }}
app.kubernetes.io/name: {{ include "pulse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: pulse
{{- end }}

{{/*
The labels of the Pulse server's objects.
*/}}
{{- define "pulse.labels" -}}
{{ include "pulse.commonLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{/*
The labels that select the Pulse server's pod; they never change across upgrades. The component keeps
the helm test pod out of the Service, the NetworkPolicy and the PodDisruptionBudget.
*/}}
{{- define "pulse.selectorLabels" -}}
app.kubernetes.io/name: {{ include "pulse.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/*
The ServiceAccount the pod runs as.
*/}}
{{- define "pulse.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "pulse.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The Pulse image reference.
*/}}
{{- define "pulse.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/*
The image of the helm test pod: the Pulse image unless tests.image is set.
*/}}
{{- define "pulse.testImage" -}}
{{- $repository := .Values.tests.image.repository | default .Values.image.repository }}
{{- $tag := .Values.tests.image.tag | default .Values.image.tag | default .Chart.AppVersion }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}

{{/*
The label that lets a pod through the NetworkPolicy to the grpc and http ports (a label name is at
most 63 characters).
*/}}
{{- define "pulse.clientLabel" -}}
{{ include "pulse.fullname" . | trunc 56 | trimSuffix "-" }}-client: "true"
{{- end }}

{{/*
Fixed paths and ports inside the pod. The ports are Pulse's own (listen in the config file, and the
http endpoint for /metrics and /healthz); the Service maps its own ports onto them.
*/}}
{{- define "pulse.grpcContainerPort" -}}50051{{- end }}
{{- define "pulse.httpContainerPort" -}}9090{{- end }}
{{- define "pulse.configDir" -}}/etc/pulse{{- end }}
{{- define "pulse.dataDir" -}}/var/lib/pulse{{- end }}
{{- define "pulse.secretDir" -}}/var/run/secrets/pulse{{- end }}
{{- define "pulse.tlsDir" -}}/var/run/secrets/pulse-tls{{- end }}
{{- define "pulse.authDir" -}}/var/run/secrets/pulse-auth{{- end }}

{{/*
The PersistentVolumeClaim of the store.
*/}}
{{- define "pulse.claimName" -}}
{{- .Values.persistence.existingClaim | default (printf "%s-data" (include "pulse.fullname" .)) }}
{{- end }}

{{/*
Where the CSV adapter reads from: the mounted CSV volume, or a folder on Pulse's data volume when
no CSV volume is configured.
*/}}
{{- define "pulse.csvVolumeEnabled" -}}
{{- if or .Values.adapter.csv.existingClaim .Values.adapter.csv.existingConfigMap }}true{{- end }}
{{- end }}

{{- define "pulse.csvDir" -}}
{{- if include "pulse.csvVolumeEnabled" . }}
{{- .Values.adapter.csv.mountPath }}
{{- else }}
{{- printf "%s/crm" (include "pulse.dataDir" .) }}
{{- end }}
{{- end }}

{{/*
Fails the render on combinations the schema cannot express. Included by the Deployment and the ConfigMap.
*/}}
{{- define "pulse.validate" -}}
{{- if and (ne .Values.adapter.type "csv") (not .Values.crm.existingSecret) }}
{{- fail (printf "adapter.type=%s needs CRM credentials: create a Secret holding them and set crm.existingSecret (and crm.existingSecretKey, default \"credentials\"). The chart never takes credentials as plain values." .Values.adapter.type) }}
{{- end }}
{{- if and .Values.auth.existingSecret (not .Values.tls.existingSecret) (not .Values.auth.allowInsecure) }}
{{- fail "auth.existingSecret without tls.existingSecret would send bearer tokens in clear text: set tls.existingSecret, or auth.allowInsecure=true if a service mesh encrypts the traffic" }}
{{- end }}
{{- if and .Values.crm.existingSecret (not .Values.crm.existingSecretKey) }}
{{- fail "crm.existingSecretKey must name the key inside crm.existingSecret that holds the credentials" }}
{{- end }}
{{- if and (eq .Values.adapter.type "csv") (not .Values.adapter.csv.existingClaim) .Values.adapter.csv.existingConfigMap .Values.sweep.writeTasks }}
{{- fail "adapter.csv.existingConfigMap is mounted read-only, but Pulse appends tasks.csv and owner_changes.csv to the CSV folder: set sweep.writeTasks=false, or use adapter.csv.existingClaim" }}
{{- end }}
{{- if and (eq .Values.adapter.type "csv") (include "pulse.csvVolumeEnabled" .) (or (eq (clean .Values.adapter.csv.mountPath) (include "pulse.dataDir" .)) (hasPrefix (printf "%s/" (include "pulse.dataDir" .)) (clean .Values.adapter.csv.mountPath))) }}
{{- fail (printf "adapter.csv.mountPath must not be inside %s (Pulse's data volume)" (include "pulse.dataDir" .)) }}
{{- end }}
{{- end }}

{{/*
pulsectl's connection options for the helm test pod: TLS (and mTLS) from the mounted TLS Secret.
*/}}
{{- define "pulse.testTlsArgs" -}}
{{- if .Values.tls.existingSecret }}
{{- $d := include "pulse.tlsDir" . -}}
"--tls-ca", "{{ $d }}/ca.crt",
{{- if .Values.tls.requireClientCert }} "--tls-cert", "{{ $d }}/tls.crt", "--tls-key", "{{ $d }}/tls.key",{{ end }}
{{- end }}
{{- end }}

{{/*
A probe's handler: Kubernetes' native grpc probe on the health service, or with TLS (which grpc probes
cannot speak) HTTP GET /healthz, which answers like the health service.
*/}}
{{- define "pulse.probeHandler" -}}
{{- if .root.Values.tls.existingSecret }}
httpGet:
  path: /healthz
  port: http
{{- else }}
grpc:
  port: {{ include "pulse.grpcContainerPort" .root }}
  service: {{ .service | quote }}
{{- end }}
{{- end }}

{{/*
The timing fields of a probe, from its values block.
*/}}
{{- define "pulse.probeTimings" -}}
initialDelaySeconds: {{ .initialDelaySeconds }}
periodSeconds: {{ .periodSeconds }}
timeoutSeconds: {{ .timeoutSeconds }}
failureThreshold: {{ .failureThreshold }}
{{- end }}

{{/*
A signal setting for pulse.yaml: a number for every tier, or a map of some of key/mid/tail
(tiers left out keep Pulse's default), rendered as a YAML flow map.
*/}}
{{- define "pulse.tiered" -}}
{{- if kindIs "map" . -}}
{{- $parts := list -}}
{{- range $tier := list "key" "mid" "tail" -}}
{{- if hasKey $ $tier -}}
{{- $parts = append $parts (printf "%s: %v" $tier (index $ $tier)) -}}
{{- end -}}
{{- end -}}
{{- printf "{%s}" (join ", " $parts) -}}
{{- else -}}
{{- printf "%v" . -}}
{{- end -}}
{{- end -}}
