{{/* The release's base name, at most 63 characters (a DNS label). */}}
{{- define "silo-coordinator.fullname" -}}
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

{{- define "silo-coordinator.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: coordinator
{{- end -}}

{{- define "silo-coordinator.labels" -}}
{{ include "silo-coordinator.selectorLabels" . }}
app.kubernetes.io/part-of: silo
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 }}
{{- end -}}

{{- define "silo-coordinator.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/*
The coordinator's configuration (coordinator/src/config.ts) without apiToken: .Values.config plus the
settings the chart owns (listen addresses, paths of the mounted files, enrolled workers). The init
container appends apiToken from its Secret.
*/}}
{{- define "silo-coordinator.config" -}}
{{- if hasKey .Values.config "apiToken" -}}
{{- fail "config.apiToken: keep the token in a Secret and name it in apiToken.existingSecret" -}}
{{- end -}}
{{- $managed := dict
  "grpc" (dict "host" "0.0.0.0" "port" (int .Values.service.grpcPort))
  "http" (dict "host" "0.0.0.0" "port" (int .Values.service.httpPort))
  "dataDir" "/data" -}}
{{- if .Values.insecure -}}
{{- $_ := set $managed "insecure" true -}}
{{- else -}}
{{- $_ := set $managed "tls" (dict "ca" "/run/silo/tls/ca.crt" "cert" "/run/silo/tls/tls.crt" "key" "/run/silo/tls/tls.key") -}}
{{- end -}}
{{- if .Values.signingKey.existingSecret -}}
{{- $_ := set $managed "keyFile" "/run/silo/coordinator.key.json" -}}
{{- end -}}
{{- $workers := list -}}
{{- range .Values.workers -}}
{{- $workers = append $workers (dict "name" .name "org" (.org | default "") "publicKeyFile" (printf "/etc/silo/config/worker-%s.pub.json" .name)) -}}
{{- end -}}
{{- $_ := set $managed "workers" $workers -}}
{{- toYaml (merge $managed (deepCopy .Values.config)) -}}
{{- end -}}
