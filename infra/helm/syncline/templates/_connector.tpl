{{/* The Debezium connector config, as JSON: files/debezium-postgres.json (a copy of the local
stack's template, kept equal by a test) with its placeholders filled from the values, then
connector.overrides. ${pgPassword} is filled by whoever reads the Secret: the hook Job, or
Strimzi's secret config provider (pass "password" to replace it here). */}}
{{- define "syncline.connectorConfig" -}}
{{- $c := .root.Values.connector -}}
{{- $prefix := .root.Values.kafka.topicPrefix -}}
{{- $fill := dict
  "pgHost" (required "connector.database.host is required while connector.mode is not none" $c.database.host)
  "pgPort" (toString $c.database.port)
  "pgUser" $c.database.user
  "pgDatabase" $c.database.dbname
  "topicPrefix" $prefix
  "topicPrefixRegex" ($prefix | replace "." "\\." | replace "-" "\\-")
  "slotName" $c.slotName
  "publicationName" $c.publicationName
  "schemaIncludeList" (join "," $c.schemaIncludeList)
  "tablePartitions" (toString .root.Values.kafka.changeTopicPartitions) -}}
{{- if .password }}{{- $_ := set $fill "pgPassword" .password }}{{- end -}}
{{- $template := .root.Files.Get "files/debezium-postgres.json" | fromJson -}}
{{- $config := dict -}}
{{- range $key, $raw := $template -}}
{{- if not (hasPrefix "$" $key) -}}
{{- $value := $raw -}}
{{- range $name, $with := $fill -}}
{{- $value = replace (printf "${%s}" $name) $with $value -}}
{{- end -}}
{{- range $left := regexFindAll "\\$\\{\\w+\\}" $value -1 -}}
{{- if ne $left "${pgPassword}" -}}
{{- fail (printf "files/debezium-postgres.json: unknown placeholder %s in %s" $left $key) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $config $key $value -}}
{{- end -}}
{{- end -}}
{{- range $key, $value := $c.overrides -}}
{{- $_ := set $config $key (toString $value) -}}
{{- end -}}
{{- toJson $config -}}
{{- end -}}
