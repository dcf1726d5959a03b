{{- define "faulty.tag" -}}
{{ required "image.tag must be set" .Values.image.tag }}
{{- end -}}
