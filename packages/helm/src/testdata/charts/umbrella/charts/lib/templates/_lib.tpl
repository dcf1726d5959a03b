{{- define "lib.label" -}}
lib/chart: {{ .Chart.Name }}
{{- end -}}
