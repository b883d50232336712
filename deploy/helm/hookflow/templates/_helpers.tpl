{{/* Names and labels. */}}
{{- define "hookflow.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "hookflow.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains (include "hookflow.name" .) .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name (include "hookflow.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "hookflow.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "hookflow.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hookflow
{{- end -}}

{{/* Selector labels of one role: api, worker or migrate. */}}
{{- define "hookflow.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hookflow.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "hookflow.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hookflow.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "hookflow.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The Secret that holds hookflow's secrets: the operator's, or the chart's. */}}
{{- define "hookflow.secretName" -}}
{{- default (include "hookflow.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "hookflow.temporalTlsOn" -}}
{{- $t := .Values.temporal -}}
{{- if or $t.tls.enabled $t.tls.clientCertSecret $t.tls.caSecret $t.tls.serverName $t.apiKey $t.apiKeyExistingSecret -}}true{{- end -}}
{{- end -}}

{{- define "hookflow.hasTemporalApiKey" -}}
{{- if or .Values.temporal.apiKey .Values.temporal.apiKeyExistingSecret .Values.secrets.existingSecret -}}true{{- end -}}
{{- end -}}

{{/*
The environment every role shares. Secrets come from a Secret by reference, never inline; the
non-secret settings are plain values so a change rolls the pods.
*/}}
{{- define "hookflow.env" -}}
- name: NODE_ENV
  value: production
- name: HOST
  value: 0.0.0.0
- name: PORT
  value: {{ .Values.api.port | quote }}
- name: HOOKFLOW_DATA_DIR
  value: /tmp/hookflow
- name: HOOKFLOW_METRICS_PORT
  value: {{ .Values.metrics.port | quote }}
- name: HOOKFLOW_METRICS_HOST
  value: 0.0.0.0
- name: DATABASE_POOL_SIZE
  value: {{ .Values.database.poolSize | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default (include "hookflow.secretName" .) .Values.database.existingSecret }}
      key: {{ if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}DATABASE_URL{{ end }}
- name: TEMPORAL_ADDRESS
  value: {{ required "temporal.address is required (host:port of the Temporal frontend)" .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: HOOKFLOW_TASK_QUEUE
  value: {{ .Values.temporal.taskQueue | quote }}
- name: HOOKFLOW_TEMPORAL_RETENTION
  value: {{ .Values.temporal.retention | quote }}
{{- if include "hookflow.temporalTlsOn" . }}
- name: TEMPORAL_TLS
  value: "true"
{{- end }}
{{- with .Values.temporal.tls.clientCertSecret }}
- name: TEMPORAL_TLS_CLIENT_CERT_PATH
  value: /etc/hookflow/temporal-client/tls.crt
- name: TEMPORAL_TLS_CLIENT_KEY_PATH
  value: /etc/hookflow/temporal-client/tls.key
{{- end }}
{{- if .Values.temporal.tls.caSecret }}
- name: TEMPORAL_TLS_SERVER_CA_CERT_PATH
  value: /etc/hookflow/temporal-ca/{{ .Values.temporal.tls.caSecretKey }}
{{- end }}
{{- with .Values.temporal.tls.serverName }}
- name: TEMPORAL_TLS_SERVER_NAME
  value: {{ . | quote }}
{{- end }}
{{- if include "hookflow.hasTemporalApiKey" . }}
- name: TEMPORAL_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default (include "hookflow.secretName" .) .Values.temporal.apiKeyExistingSecret }}
      key: {{ if .Values.temporal.apiKeyExistingSecret }}{{ .Values.temporal.apiKeyExistingSecretKey }}{{ else }}TEMPORAL_API_KEY{{ end }}
      optional: true
{{- end }}
- name: HOOKFLOW_SECRET_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ include "hookflow.secretName" . }}
      key: HOOKFLOW_SECRET_KEYS
- name: HOOKFLOW_PAYLOAD_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "hookflow.secretName" . }}
      key: HOOKFLOW_PAYLOAD_KEY
      optional: true
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes: a writable /tmp (the root file system is read-only) and the Temporal TLS files. */}}
{{- define "hookflow.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- with .Values.temporal.tls.clientCertSecret }}
- name: temporal-client
  secret:
    secretName: {{ . }}
    defaultMode: 0440
{{- end }}
{{- with .Values.temporal.tls.caSecret }}
- name: temporal-ca
  secret:
    secretName: {{ . }}
    defaultMode: 0444
{{- end }}
{{- end -}}

{{- define "hookflow.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.temporal.tls.clientCertSecret }}
- name: temporal-client
  mountPath: /etc/hookflow/temporal-client
  readOnly: true
{{- end }}
{{- if .Values.temporal.tls.caSecret }}
- name: temporal-ca
  mountPath: /etc/hookflow/temporal-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* Pod-level settings every role shares. */}}
{{- define "hookflow.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  {{- include "hookflow.volumes" . | nindent 2 }}
{{- end -}}

{{- define "hookflow.podAnnotations" -}}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- if .Values.metrics.podAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.metrics.port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}
