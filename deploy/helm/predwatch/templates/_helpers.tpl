{{/* Chart name, truncated to the 63 characters of a label value. */}}
{{- define "predwatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name: fullnameOverride, else the release name when it already says predwatch,
else <release>-<name>. */}}
{{- define "predwatch.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "predwatch.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The labels that select this release's predwatchd pods (Deployment, Service, PDB,
NetworkPolicy, PodMonitor). Never change them on upgrade: a Deployment's selector is
immutable. */}}
{{- define "predwatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "predwatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: daemon
{{- end -}}

{{/* Labels of every object. */}}
{{- define "predwatch.labels" -}}
{{ include "predwatch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{- define "predwatch.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Where the Secret is mounted, and the name of the Secret. */}}
{{- define "predwatch.secretsDir" -}}/etc/predwatch/secrets{{- end -}}

{{- define "predwatch.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "predwatch.fullname" .)) -}}
{{- end -}}

{{/* The gRPC write token of a Secret the chart creates: secrets.grpcToken (one trailing
newline of --set-file removed), else the token of the Secret this release already has (so
an upgrade keeps it), else a random one. Computed once per render and kept in
.Values.secrets._resolvedGrpcToken, so the Secret and the pod's checksum agree. */}}
{{- define "predwatch.grpcToken" -}}
{{- if not (hasKey .Values.secrets "_resolvedGrpcToken") -}}
{{- $token := .Values.secrets.grpcToken | default "" | trimSuffix "\n" -}}
{{- if $token -}}
{{- if not (regexMatch "^[!-~]{16,}$" $token) -}}
{{- fail "secrets.grpcToken: the gRPC token needs at least 16 printable ASCII characters and no whitespace (openssl rand -hex 32)" -}}
{{- end -}}
{{- else -}}
{{- $existing := lookup "v1" "Secret" .Release.Namespace (include "predwatch.secretName" .) -}}
{{- if and $existing (index ($existing.data | default dict) "grpc-token") -}}
{{- $token = index $existing.data "grpc-token" | b64dec -}}
{{- else -}}
{{- $token = randAlphaNum 48 -}}
{{- end -}}
{{- end -}}
{{- $_ := set .Values.secrets "_resolvedGrpcToken" $token -}}
{{- end -}}
{{- .Values.secrets._resolvedGrpcToken -}}
{{- end -}}

{{/* predwatchd's configuration file: .Values.config with the keys the chart owns filled
in from the structured values. Literal secrets in kafka.properties are refused. */}}
{{- define "predwatch.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- if hasKey $cfg "kafka" -}}
{{- fail "config.kafka: set the kafka.* values instead (the chart writes the config's kafka section)" -}}
{{- end -}}
{{- $kafka := dict "brokers" .Values.kafka.brokers "topics" .Values.kafka.topics "group_id" .Values.kafka.groupId "rebuild" .Values.kafka.rebuild -}}
{{- with .Values.kafka.deadLetterTopic -}}
{{- $_ := set $kafka "dead_letter_topic" . -}}
{{- end -}}
{{- $props := dict -}}
{{- range $key, $value := (.Values.kafka.properties | default dict) -}}
{{- /* Values files give numbers as float64: 52428800 must not become "5.24288e+07". */ -}}
{{- if and (kindIs "float64" $value) (eq $value (float64 (int64 $value))) -}}
{{- $value = int64 $value -}}
{{- end -}}
{{- $value = toString $value -}}
{{- if and (regexMatch "(?i)password|secret|jaas|token" $key) (not (regexMatch "^\\$\\{(env|file):[^}]+\\}$" $value)) -}}
{{- fail (printf "kafka.properties.%s: a secret must be a reference, ${env:NAME} or ${file:PATH}, not a literal (kafka.sasl and secrets.kafkaPassword put the SASL password in the Secret)" $key) -}}
{{- end -}}
{{- $_ := set $props $key $value -}}
{{- end -}}
{{- if .Values.kafka.sasl.enabled -}}
{{- $_ := set $props "security.protocol" .Values.kafka.sasl.securityProtocol -}}
{{- $_ := set $props "sasl.mechanisms" .Values.kafka.sasl.mechanism -}}
{{- $_ := set $props "sasl.username" .Values.kafka.sasl.username -}}
{{- $_ := set $props "sasl.password" (printf "${file:%s/kafka-password}" (include "predwatch.secretsDir" .)) -}}
{{- end -}}
{{- if $props -}}
{{- $_ := set $kafka "properties" $props -}}
{{- end -}}
{{- $_ := set $cfg "kafka" $kafka -}}
{{- $metrics := deepCopy (get $cfg "metrics" | default dict) -}}
{{- if hasKey $metrics "bind" -}}
{{- fail "config.metrics.bind: the chart binds 0.0.0.0:<ports.metrics>; set ports.metrics" -}}
{{- end -}}
{{- $_ := set $metrics "bind" (printf "0.0.0.0:%d" (int .Values.ports.metrics)) -}}
{{- $_ := set $cfg "metrics" $metrics -}}
{{- $grpc := deepCopy (get $cfg "grpc" | default dict) -}}
{{- if hasKey $grpc "bind" -}}
{{- fail "config.grpc.bind: the chart binds 0.0.0.0:<ports.grpc>; set ports.grpc" -}}
{{- end -}}
{{- $_ := set $grpc "bind" (printf "0.0.0.0:%d" (int .Values.ports.grpc)) -}}
{{- $auth := deepCopy (get $grpc "auth" | default dict) -}}
{{- if or (hasKey $auth "token_file") (hasKey $auth "token_env") -}}
{{- fail "config.grpc.auth.token_file/token_env: the chart reads the write token from the Secret (secrets.*)" -}}
{{- end -}}
{{- $_ := set $auth "token_file" (printf "%s/grpc-token" (include "predwatch.secretsDir" .)) -}}
{{- $_ := set $grpc "auth" $auth -}}
{{- /* The replicas answer for each other (docs/KAFKA.md "Several replicas"): the headless
Service's name (short: the pods' own namespace) stands for every pod's address. */ -}}
{{- if and .Values.service.headless (not (hasKey $grpc "peers")) -}}
{{- $_ := set $grpc "peers" (list (printf "%s:%d" (include "predwatch.fullname" .) (int .Values.ports.grpc))) -}}
{{- end -}}
{{- $_ := set $cfg "grpc" $grpc -}}
{{- if hasKey $cfg "state" -}}
{{- fail "config.state: set the state.* values instead (the chart mounts and names the state directory)" -}}
{{- end -}}
{{- if ne .Values.state.volume "none" -}}
{{- $_ := set $cfg "state" (dict "dir" (include "predwatch.stateDir" .)) -}}
{{- end -}}
{{- toYaml $cfg -}}
{{- end -}}

{{/* Where the state volume is mounted (config state.dir). */}}
{{- define "predwatch.stateDir" -}}
/var/lib/predwatch
{{- end -}}
