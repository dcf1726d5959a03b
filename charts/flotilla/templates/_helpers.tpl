{{/*
The chart renders each component's install manifest (files/<component>/install.yaml, a copy of
manifests/<component>/install.yaml made by scripts/sync-chart.mjs) object by object: every
document is read with fromYaml, put into the component's namespace, changed where a value says
so (the flotilla.patch.<component> templates below), and printed with toYaml. With the default
values nothing but the namespace changes.
*/}}

{{- define "flotilla.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* kinds that carry no namespace */}}
{{- define "flotilla.clusterScoped" -}}
["Namespace","CustomResourceDefinition","ClusterRole","ClusterRoleBinding","IngressClass","ValidatingWebhookConfiguration","MutatingWebhookConfiguration","PriorityClass","StorageClass","APIService"]
{{- end -}}

{{/* sets spec.replicas of a workload: (dict "o" $o "r" <number>) */}}
{{- define "flotilla.replicas" -}}
{{- $_ := set .o.spec "replicas" (int .r) -}}
{{- end -}}

{{/* with more than one replica, adds a controller's leader-election flag to its first container: (dict "o" $o "r" <number> "flag" "--leader-elect") */}}
{{- define "flotilla.leaderElect" -}}
{{- if gt (int .r) 1 }}
{{- $c := first .o.spec.template.spec.containers }}
{{- if not (has .flag ($c.args | default list)) }}{{ $_ := set $c "args" (append ($c.args | default list) .flag) }}{{ end }}
{{- end }}
{{- end -}}

{{/* sets data[key] of a ConfigMap: (dict "o" $o "k" key "v" value) */}}
{{- define "flotilla.data" -}}
{{- if not .o.data }}{{ $_ := set .o "data" dict }}{{ end -}}
{{- $_ := set .o.data .k .v -}}
{{- end -}}

{{/*
One component: (dict "root" $ "component" "argo-cd" "namespace" "argocd" "home" "argocd")
where home is the namespace the manifest's ClusterRoleBinding subjects name.
*/}}
{{- define "flotilla.render" -}}
{{- $root := .root -}}
{{- $ns := .namespace -}}
{{- $home := .home -}}
{{- $component := .component -}}
{{- $text := $root.Files.Get (printf "files/%s/install.yaml" $component) -}}
{{- if not $text }}{{ fail (printf "files/%s/install.yaml is missing from the chart: run node scripts/sync-chart.mjs" $component) }}{{ end -}}
{{- $text = replace (printf "flotilla/flotilla:%s" $root.Chart.AppVersion) (include "flotilla.image" $root) $text -}}
{{- $cluster := include "flotilla.clusterScoped" . | fromJsonArray -}}
{{- range $doc := splitList "\n---\n" $text }}
{{- $o := fromYaml $doc }}
{{- if $o.Error }}{{ fail (printf "files/%s/install.yaml: %s" $component $o.Error) }}{{ end }}
{{- if $o.kind }}
{{- if not (has $o.kind $cluster) }}{{ $_ := set $o.metadata "namespace" $ns }}{{ end }}
{{- if or (eq $o.kind "RoleBinding") (eq $o.kind "ClusterRoleBinding") }}
{{- range $s := $o.subjects }}
{{- if and (eq $s.kind "ServiceAccount") (eq ($s.namespace | default "") $home) }}{{ $_ := set $s "namespace" $ns }}{{ end }}
{{- end }}
{{- end }}
{{- $_ := include (printf "flotilla.patch.%s" $component) (dict "o" $o "root" $root) }}
{{- if and $o.spec (has $o.kind (list "Deployment" "StatefulSet" "DaemonSet")) }}
{{- $spec := $o.spec.template.spec }}
{{- range $c := concat ($spec.initContainers | default list) $spec.containers }}
{{- if and $root.Values.image.pullPolicy (hasPrefix (printf "%s:" $root.Values.image.repository) $c.image) }}{{ $_ := set $c "imagePullPolicy" $root.Values.image.pullPolicy }}{{ end }}
{{- end }}
{{- with $root.Values.imagePullSecrets }}{{ $_ := set $spec "imagePullSecrets" . }}{{ end }}
{{- end }}
---
{{ toYaml $o }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Argo CD: replicas, controller sharding, Redis's image, SSO and RBAC settings, server.insecure */}}
{{- define "flotilla.patch.argo-cd" -}}
{{- $o := .o -}}
{{- $v := .root.Values.argocd -}}
{{- $n := $o.metadata.name -}}
{{- if eq $o.kind "Deployment" }}
{{- if eq $n "argocd-server" }}{{ include "flotilla.replicas" (dict "o" $o "r" $v.server.replicas) }}{{ end }}
{{- if eq $n "argocd-repo-server" }}{{ include "flotilla.replicas" (dict "o" $o "r" $v.repoServer.replicas) }}{{ end }}
{{- if eq $n "argocd-applicationset-controller" }}
{{- include "flotilla.replicas" (dict "o" $o "r" $v.applicationSet.replicas) }}
{{- include "flotilla.leaderElect" (dict "o" $o "r" $v.applicationSet.replicas "flag" "--enable-leader-election") }}
{{- end }}
{{- if eq $n "argocd-dex-server" }}{{ include "flotilla.replicas" (dict "o" $o "r" $v.dex.replicas) }}{{ end }}
{{- if eq $n "argocd-redis" }}
{{- range $c := $o.spec.template.spec.containers }}{{ if eq $c.name "redis" }}{{ $_ := set $c "image" $v.redis.image }}{{ end }}{{ end }}
{{- end }}
{{- end }}
{{- if and (eq $o.kind "StatefulSet") (eq $n "argocd-application-controller") }}
{{- include "flotilla.replicas" (dict "o" $o "r" $v.controller.replicas) }}
{{- range $c := $o.spec.template.spec.containers }}
{{- range $e := $c.env }}{{ if eq $e.name "ARGOCD_CONTROLLER_REPLICAS" }}{{ $_ := set $e "value" (toString (int $v.controller.replicas)) }}{{ end }}{{ end }}
{{- end }}
{{- end }}
{{- if eq $o.kind "ConfigMap" }}
{{- if eq $n "argocd-cm" }}
{{- if and (or $v.sso.dexConfig $v.sso.oidcConfig) (not $v.sso.url) }}{{ fail "argocd.sso: dexConfig and oidcConfig need argocd.sso.url (the URL users reach argocd-server at)" }}{{ end }}
{{- with $v.sso.url }}{{ include "flotilla.data" (dict "o" $o "k" "url" "v" .) }}{{ end }}
{{- with $v.sso.dexConfig }}{{ include "flotilla.data" (dict "o" $o "k" "dex.config" "v" (toYaml .)) }}{{ end }}
{{- with $v.sso.oidcConfig }}{{ include "flotilla.data" (dict "o" $o "k" "oidc.config" "v" (toYaml .)) }}{{ end }}
{{- end }}
{{- if eq $n "argocd-rbac-cm" }}
{{- with $v.rbac.policyDefault }}{{ include "flotilla.data" (dict "o" $o "k" "policy.default" "v" .) }}{{ end }}
{{- with $v.rbac.policyCsv }}{{ include "flotilla.data" (dict "o" $o "k" "policy.csv" "v" .) }}{{ end }}
{{- end }}
{{- if and (eq $n "argocd-cmd-params-cm") $v.server.insecure }}{{ include "flotilla.data" (dict "o" $o "k" "server.insecure" "v" "true") }}{{ end }}
{{- end }}
{{- end -}}

{{/* Argo Workflows: replicas, argo-server's auth modes, the archive, SSO, the artifact repository */}}
{{- define "flotilla.patch.argo-workflows" -}}
{{- $o := .o -}}
{{- $v := .root.Values.workflows -}}
{{- $n := $o.metadata.name -}}
{{- if eq $o.kind "Deployment" }}
{{- if eq $n "workflow-controller" }}{{ include "flotilla.replicas" (dict "o" $o "r" $v.controller.replicas) }}{{ end }}
{{- if eq $n "argo-server" }}
{{- if and (has "sso" $v.server.authModes) (not $v.server.sso) }}{{ fail "workflows.server.authModes has sso: set workflows.server.sso (issuer, clientId, clientSecret…)" }}{{ end }}
{{- include "flotilla.replicas" (dict "o" $o "r" $v.server.replicas) }}
{{- range $c := $o.spec.template.spec.containers }}
{{- if eq $c.name "argo-server" }}
{{- range $m := $v.server.authModes }}{{ $_ := set $c "args" (append $c.args (printf "--auth-mode=%s" $m)) }}{{ end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (eq $o.kind "ConfigMap") (eq $n "workflow-controller-configmap") }}
{{- if $v.archive.enabled }}
{{- if not $v.archive.postgresql.host }}{{ fail "workflows.archive.enabled needs workflows.archive.postgresql.host" }}{{ end }}
{{- $pg := dict "host" $v.archive.postgresql.host "port" (int $v.archive.postgresql.port) "database" $v.archive.postgresql.database "tableName" $v.archive.postgresql.tableName "userNameSecret" $v.archive.postgresql.userNameSecret "passwordSecret" $v.archive.postgresql.passwordSecret "ssl" $v.archive.postgresql.ssl }}
{{- with $v.archive.postgresql.sslMode }}{{ $_ := set $pg "sslMode" . }}{{ end }}
{{- $p := dict "archive" true "postgresql" $pg }}
{{- with $v.archive.ttl }}{{ $_ := set $p "archiveTTL" . }}{{ end }}
{{- include "flotilla.data" (dict "o" $o "k" "persistence" "v" (toYaml $p)) }}
{{- end }}
{{- with $v.server.sso }}{{ include "flotilla.data" (dict "o" $o "k" "sso" "v" (toYaml .)) }}{{ end }}
{{- with $v.artifactRepository }}{{ include "flotilla.data" (dict "o" $o "k" "artifactRepository" "v" (toYaml .)) }}{{ end }}
{{- end }}
{{- end -}}

{{/* Argo Rollouts: the controller's replicas (leader election with more than one) */}}
{{- define "flotilla.patch.argo-rollouts" -}}
{{- if and (eq .o.kind "Deployment") (eq .o.metadata.name "argo-rollouts") }}
{{- include "flotilla.replicas" (dict "o" .o "r" .root.Values.rollouts.controller.replicas) }}
{{- include "flotilla.leaderElect" (dict "o" .o "r" .root.Values.rollouts.controller.replicas "flag" "--leader-elect") }}
{{- end }}
{{- end -}}

{{/* Argo Events: the controller's replicas (leader election with more than one) */}}
{{- define "flotilla.patch.argo-events" -}}
{{- if eq .o.kind "Deployment" }}
{{- if eq .o.metadata.name "controller-manager" }}
{{- include "flotilla.replicas" (dict "o" .o "r" .root.Values.events.controller.replicas) }}
{{- include "flotilla.leaderElect" (dict "o" .o "r" .root.Values.events.controller.replicas "flag" "--leader-elect") }}
{{- end }}
{{- end }}
{{- end -}}

{{/* An Ingress: (dict "name" n "namespace" ns "service" svc "port" p "ingress" .Values.x.ingress) */}}
{{- define "flotilla.ingress" -}}
{{- $i := .ingress -}}
{{- if not $i.hosts }}{{ fail (printf "%s: ingress.enabled needs at least one host in ingress.hosts" .name) }}{{ end -}}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .name }}
  namespace: {{ .namespace }}
  {{- with $i.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with $i.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with $i.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
  {{- range $h := $i.hosts }}
  - host: {{ $h | quote }}
    http:
      paths:
      - path: {{ $.path | default "/" }}
        pathType: Prefix
        backend:
          service:
            name: {{ $.service }}
            port:
              number: {{ $.port }}
  {{- end }}
{{- end -}}
