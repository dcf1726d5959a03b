{{- define "common.who" -}}sub{{- end -}}
