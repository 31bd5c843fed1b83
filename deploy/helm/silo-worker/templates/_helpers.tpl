{{/* The release's base name, at most 63 characters (a DNS label). */}}
{{- define "silo-worker.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "silo-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: worker
{{- end -}}

{{- define "silo-worker.labels" -}}
{{ include "silo-worker.selectorLabels" . }}
app.kubernetes.io/part-of: silo
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{- end -}}

{{- define "silo-worker.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/*
The worker's configuration (worker/src/config.ts): .Values.config plus the settings the chart owns
(identity, coordinator, paths of the mounted files). It holds no secret: keys are copied in by the init container.
*/}}
{{- define "silo-worker.config" -}}
{{- if hasKey .Values.config "attack" -}}
{{- fail "config.attack makes a worker malicious; it is for `silo simulate` only, never for a deployed worker" -}}
{{- end -}}
{{- if not .Values.config.data -}}
{{- fail "config.data: say where the owner's data is, e.g. { kind: csv, path: /input/records.csv, labelColumn: outcome }" -}}
{{- end -}}
{{- $managed := dict
  "name" (required "workerName: the name enrolled at the coordinator" .Values.workerName)
  "coordinator" (required "coordinator.address: host:port of the coordinator's federation plane" .Values.coordinator.address)
  "keyFile" "/run/silo/worker.key.json"
  "stateDir" "/data/state" -}}
{{- if .Values.insecure -}}
{{- $_ := set $managed "insecure" true -}}
{{- else -}}
{{- $_ := set $managed "tls" (dict "ca" "/run/silo/tls/ca.crt" "cert" "/run/silo/tls/tls.crt" "key" "/run/silo/tls/tls.key") -}}
{{- $_ := set $managed "coordinatorKey" (required "coordinator.verifierKey: pin the coordinator's ledger-verifier.key" .Values.coordinator.verifierKey) -}}
{{- end -}}
{{- if and .Values.insecure .Values.coordinator.verifierKey -}}
{{- $_ := set $managed "coordinatorKey" .Values.coordinator.verifierKey -}}
{{- end -}}
{{- toYaml (merge $managed (deepCopy .Values.config)) -}}
{{- end -}}
