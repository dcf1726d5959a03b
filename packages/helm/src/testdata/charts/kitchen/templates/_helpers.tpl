{{/* Name of the chart */}}
{{- define "kitchen.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kitchen.fullname" -}}
{{- printf "%s-%s" .Release.Name (include "kitchen.name" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "kitchen.labels" -}}
app.kubernetes.io/name: {{ include "kitchen.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}
