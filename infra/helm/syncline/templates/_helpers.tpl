{{/* Names, labels and shared pieces of the Syncline chart. */}}

{{- define "syncline.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "syncline.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "component" "evaluator"). */}}
{{- define "syncline.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "syncline.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{- define "syncline.connectionsSecret" -}}
{{- .Values.connections.existingSecret | default (printf "%s-connections" (include "syncline.fullname" .)) -}}
{{- end -}}

{{- define "syncline.authSecret" -}}
{{- .Values.auth.existingSecret | default (printf "%s-jwt" (include "syncline.fullname" .)) -}}
{{- end -}}

{{- define "syncline.rulesConfigMap" -}}
{{- printf "%s-rules" (include "syncline.fullname" .) -}}
{{- end -}}

{{/* The evaluator's consumer group: its default SYNCLINE_GROUP_ID (KEDA reads this group's lag). */}}
{{- define "syncline.groupId" -}}
{{- printf "syncline-evaluator.%s.%s" .Values.deployment (toString .Values.rulesVersion) -}}
{{- end -}}

{{/* One env entry from the connections Secret: (dict "root" $ "key" "REDIS_URL" "optional" false). */}}
{{- define "syncline.secretEnv" -}}
- name: {{ .key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "syncline.connectionsSecret" .root }}
      key: {{ .key }}
      optional: {{ .optional }}
{{- end -}}

{{/* What both services' pods share: the rules checksum (a rules change rolls them) and scrape annotations. */}}
{{- define "syncline.podAnnotations" -}}
checksum/sync-rules: {{ .root.Values.syncRules | sha256sum }}
{{- if not .root.Values.connections.existingSecret }}
checksum/connections: {{ include (print .root.Template.BasePath "/secrets.yaml") .root | sha256sum }}
{{- end }}
{{- if .root.Values.metrics.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .port | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{/* Pod anti-affinity of one component: none, soft (preferred) or hard (required). */}}
{{- define "syncline.antiAffinity" -}}
{{- $term := dict "topologyKey" "kubernetes.io/hostname" "labelSelector" (dict "matchLabels" (include "syncline.selector" . | fromYaml)) -}}
{{- if eq .mode "hard" }}
podAntiAffinity:
  requiredDuringSchedulingIgnoredDuringExecution:
    - {{- toYaml $term | nindent 6 }}
{{- else if eq .mode "soft" }}
podAntiAffinity:
  preferredDuringSchedulingIgnoredDuringExecution:
    - weight: 100
      podAffinityTerm:
        {{- toYaml $term | nindent 8 }}
{{- end }}
{{- end -}}

{{/* Fails the render when the instance count in effect exceeds the change topics' partitions. */}}
{{- define "syncline.checkPartitions" -}}
{{- $partitions := int .Values.kafka.changeTopicPartitions -}}
{{- $a := .Values.evaluator.autoscaling -}}
{{- $what := "evaluator.replicas" -}}
{{- $n := .Values.evaluator.replicas -}}
{{- if $a.keda.enabled -}}
{{- $what = "evaluator.autoscaling.keda.maxReplicas" -}}{{- $n = $a.keda.maxReplicas -}}
{{- else if $a.hpa.enabled -}}
{{- $what = "evaluator.autoscaling.hpa.maxReplicas" -}}{{- $n = $a.hpa.maxReplicas -}}
{{- end -}}
{{- if gt (int $n) $partitions -}}
{{- fail (printf "%s (%d) exceeds kafka.changeTopicPartitions (%d): an evaluator instance beyond the change topics' partition count gets no partition. Lower it, or create the change topics with more partitions and raise kafka.changeTopicPartitions." $what (int $n) $partitions) -}}
{{- end -}}
{{- end -}}

{{/* Fails the render naming every required value that is missing (each template that needs them
includes this, so the message is the same whichever template helm renders first). */}}
{{- define "syncline.checkRequired" -}}
{{- $missing := list -}}
{{- if not .Values.syncRules -}}
{{- $missing = append $missing "syncRules (the sync rules, PowerSync YAML)" -}}
{{- end -}}
{{- $c := .Values.connections -}}
{{- if not $c.existingSecret -}}
{{- if not $c.kafkaBrokers }}{{ $missing = append $missing "connections.kafkaBrokers (or connections.existingSecret)" }}{{ end -}}
{{- if not $c.redisUrl }}{{ $missing = append $missing "connections.redisUrl (or connections.existingSecret)" }}{{ end -}}
{{- end -}}
{{- $a := .Values.auth -}}
{{- if not (or $a.existingSecret $a.secret $a.keys $a.jwksUrls) -}}
{{- $missing = append $missing "a key source for client JWTs: auth.secret, auth.keys, auth.jwksUrls or auth.existingSecret" -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "missing required values:\n  - %s" (join "\n  - " $missing)) -}}
{{- end -}}
{{- end -}}
