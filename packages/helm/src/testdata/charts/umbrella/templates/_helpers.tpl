{{- define "common.who" -}}parent{{- end -}}
