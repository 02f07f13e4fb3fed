{{/*
Names and labels shared by every template. Kubernetes caps names (DNS labels) and label values at
63 characters: every name and label value here is cut to fit, and a component's name keeps its
whole suffix ("-upload-gateway") so that the four services never collide after truncation.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "uplink.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: fullnameOverride, else "<release>-<name>", else the release
name alone when it already contains the chart name.
*/}}
{{- define "uplink.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
"<fullname>-<suffix>" in at most 63 characters: the prefix is cut, never the suffix.
Call with (dict "root" $ "suffix" "link-service").
*/}}
{{- define "uplink.componentName" -}}
{{- $prefix := include "uplink.fullname" .root | trunc (int (sub 62 (len .suffix))) | trimSuffix "-" }}
{{- printf "%s-%s" $prefix .suffix }}
{{- end }}

{{/* A label value: allowed characters only, at most 63, alphanumeric at both ends. */}}
{{- define "uplink.labelValue" -}}
{{- $value := regexReplaceAll "[^A-Za-z0-9._-]" (toString .) "_" | trunc 63 }}
{{- regexReplaceAll "^[-_.]+" (regexReplaceAll "[-_.]+$" $value "") "" }}
{{- end }}

{{- define "uplink.chart" -}}
{{- include "uplink.labelValue" (printf "%s-%s" .Chart.Name .Chart.Version) }}
{{- end }}

{{/* The image tag the pods run: image.tag, else the chart's appVersion. */}}
{{- define "uplink.imageTag" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{- define "uplink.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (include "uplink.imageTag" .) }}
{{- end }}
{{- end }}

{{/* Selector labels of everything the release runs (without the component). */}}
{{- define "uplink.selectorLabels" -}}
app.kubernetes.io/name: {{ include "uplink.labelValue" (include "uplink.name" .) }}
app.kubernetes.io/instance: {{ include "uplink.labelValue" .Release.Name }}
{{- end }}

{{/* Labels of every resource. */}}
{{- define "uplink.labels" -}}
helm.sh/chart: {{ include "uplink.chart" . }}
{{ include "uplink.selectorLabels" . }}
app.kubernetes.io/version: {{ include "uplink.labelValue" (include "uplink.imageTag" .) | quote }}
app.kubernetes.io/part-of: uplink
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of one component. Call with (dict "root" $ "component" "link-service"). */}}
{{- define "uplink.componentSelectorLabels" -}}
{{ include "uplink.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Labels of one component's resources. Call with (dict "root" $ "component" "link-service"). */}}
{{- define "uplink.componentLabels" -}}
{{ include "uplink.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/*
The services, as "<name>: <values key>". Templates range over this (in name order) and skip
the ones turned off.
*/}}
{{- define "uplink.components" -}}
expiry-scheduler: expiryScheduler
link-service: linkService
note-relay: noteRelay
upload-gateway: uploadGateway
{{- end }}

{{- define "uplink.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "uplink.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The chart's Secret (rendered unless secret.existingSecret is set). */}}
{{- define "uplink.secretName" -}}
{{- include "uplink.fullname" . }}
{{- end }}

{{/*
terminationGracePeriodSeconds: the preStop pause, the drain delay, then the shutdown's whole
budget (SHUTDOWN_TIMEOUT_MS, all phases together), plus 5 s so that a service that uses all of it
still exits by itself before SIGKILL.
*/}}
{{- define "uplink.terminationGracePeriodSeconds" -}}
{{- $stoppingMs := add (int64 .Values.shutdown.drainDelayMs) (int64 .Values.shutdown.timeoutMs) }}
{{- add (int64 .Values.shutdown.preStopSleepSeconds) (div (add $stoppingMs 999) 1000) 5 }}
{{- end }}

{{/* PUBLIC_UPLOAD_BASE_URL, or nothing (the service's default) when it cannot be derived. */}}
{{- define "uplink.publicUploadUrl" -}}
{{- if .Values.publicUrls.upload }}
{{- .Values.publicUrls.upload }}
{{- else if .Values.uploadGateway.ingress.enabled }}
{{- printf "https://%s/u/" .Values.uploadGateway.ingress.host }}
{{- end }}
{{- end }}

{{/* PUBLIC_FILE_BASE_URL, or nothing (the service's default) when it cannot be derived. */}}
{{- define "uplink.publicFileUrl" -}}
{{- if .Values.publicUrls.file }}
{{- .Values.publicUrls.file }}
{{- else if .Values.uploadGateway.ingress.enabled }}
{{- printf "https://%s/f/" .Values.uploadGateway.ingress.host }}
{{- end }}
{{- end }}

{{/* "true" when the component talks to Blob Storage. Call with (dict "root" $ "component" ...). */}}
{{- define "uplink.usesStorage" -}}
{{- if or (eq .component "upload-gateway") (eq .component "note-relay") (and (eq .component "link-service") .root.Values.linkService.storagePreviews) }}true{{ end }}
{{- end }}

{{/* "true" when workload identity is on and the component talks to Blob Storage. */}}
{{- define "uplink.usesWorkloadIdentity" -}}
{{- if and (eq .root.Values.azureStorage.auth "workloadIdentity") (include "uplink.usesStorage" .) }}true{{ end }}
{{- end }}

{{/*
A component's non-secret environment (its ConfigMap's data), as YAML. Its own `config` comes
last and wins. Call with (dict "root" $ "component" "link-service").
*/}}
{{- define "uplink.config" -}}
{{- $root := .root }}
{{- $values := $root.Values }}
{{- $service := index $values (get (include "uplink.components" $root | fromYaml) .component) }}
{{- $env := dict
  "HOST" "0.0.0.0"
  "PORT" (toString (int64 $service.port))
  "LOG_LEVEL" $values.logLevel
  "NATS_URL" $values.nats.url
  "MONGODB_DB" $values.mongodb.database
  "SHUTDOWN_TIMEOUT_MS" (toString (int64 $values.shutdown.timeoutMs))
  "SHUTDOWN_DRAIN_DELAY_MS" (toString (int64 $values.shutdown.drainDelayMs))
}}
{{- with $values.otel.endpoint }}
{{- $_ := set $env "OTEL_EXPORTER_OTLP_ENDPOINT" . }}
{{- end }}
{{- if $values.metrics.enabled }}
{{- $_ := set $env "METRICS_PORT" (toString (int64 $values.metrics.port)) }}
{{- end }}
{{- with $service.nodeOptions }}
{{- $_ := set $env "NODE_OPTIONS" . }}
{{- end }}
{{- if or (eq .component "link-service") (eq .component "upload-gateway") }}
{{- with include "uplink.publicUploadUrl" $root }}
{{- $_ := set $env "PUBLIC_UPLOAD_BASE_URL" . }}
{{- end }}
{{- with $values.trustProxy }}
{{- $_ := set $env "TRUST_PROXY" . }}
{{- end }}
{{- end }}
{{- if has .component (list "note-relay" "link-service") }}
{{- with include "uplink.publicFileUrl" $root }}
{{- $_ := set $env "PUBLIC_FILE_BASE_URL" . }}
{{- end }}
{{- end }}
{{- if include "uplink.usesStorage" . }}
{{- $storage := $values.azureStorage }}
{{- $_ := set $env "AZURE_STORAGE_CONTAINER" $storage.container }}
{{- $_ := set $env "AZURE_STORAGE_USE_IDENTITY" (toString (eq $storage.auth "workloadIdentity")) }}
{{- if ne $storage.auth "connectionString" }}
{{- with $storage.accountName }}
{{- $_ := set $env "AZURE_STORAGE_ACCOUNT_NAME" . }}
{{- end }}
{{- with $storage.blobEndpoint }}
{{- $_ := set $env "AZURE_STORAGE_BLOB_ENDPOINT" . }}
{{- end }}
{{- end }}
{{- if eq .component "upload-gateway" }}
{{- $_ := set $env "AZURE_STORAGE_CONFIGURE" (toString $storage.configure) }}
{{- end }}
{{- end }}
{{- if and (eq .component "upload-gateway") $values.clamav.enabled }}
{{- $_ := set $env "CLAMAV_URL" (printf "tcp://%s:%d" (include "uplink.componentName" (dict "root" $root "suffix" "clamav")) (int64 $values.clamav.port)) }}
{{- end }}
{{- range $name, $value := $service.config }}
{{- $text := $value }}
{{- if kindIs "bool" $value }}
{{- $text = toString $value }}
{{- else if not (kindIs "string" $value) }}
{{- /* YAML and JSON numbers arrive as float64: 8388608 would print as 8.388608e+06. */}}
{{- $text = toString (int64 $value) }}
{{- end }}
{{- $_ := set $env $name $text }}
{{- end }}
{{- toYaml $env }}
{{- end }}

{{/*
A component's secret variables, as "<variable>: <optional>": MONGODB_URI everywhere, the sealing
keys where tenants' credentials are used (and, optional, in upload-gateway: its audit log's
customer address hashes are keyed with a key derived from them), link-service's operator token, bootstrap key and OpenID
client secret, the storage credential azureStorage.auth needs where
Blob Storage is used (optional for link-service, whose previews are optional).
*/}}
{{- define "uplink.secretVariables" -}}
{{- $vars := dict "MONGODB_URI" false }}
{{- if or (eq .component "link-service") (eq .component "note-relay") }}
{{- $_ := set $vars "UPLINK_SECRET_KEYS" false }}
{{- end }}
{{- if eq .component "upload-gateway" }}
{{- $_ := set $vars "UPLINK_SECRET_KEYS" true }}
{{- end }}
{{- if eq .component "link-service" }}
{{- $_ := set $vars "UPLINK_OPERATOR_TOKEN" true }}
{{- $_ := set $vars "UPLINK_BOOTSTRAP_API_KEY" true }}
{{- $_ := set $vars "OIDC_CLIENT_SECRET" true }}
{{- end }}
{{- if include "uplink.usesStorage" . }}
{{- $optional := eq .component "link-service" }}
{{- if eq .root.Values.azureStorage.auth "connectionString" }}
{{- $_ := set $vars "AZURE_STORAGE_CONNECTION_STRING" $optional }}
{{- else if eq .root.Values.azureStorage.auth "accountKey" }}
{{- $_ := set $vars "AZURE_STORAGE_ACCOUNT_KEY" $optional }}
{{- end }}
{{- end }}
{{- toYaml $vars }}
{{- end }}

{{/*
A component's secret env entries. Each variable comes from, in order: secret.refs, the
existingSecret, the chart's Secret when its value is set; else it is left out.
*/}}
{{- define "uplink.secretEnv" -}}
{{- $secret := .root.Values.secret }}
{{- $chartSecret := include "uplink.secretName" .root }}
{{- range $var, $optional := include "uplink.secretVariables" . | fromYaml }}
{{- $ref := get $secret.refs $var }}
{{- if $ref }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $ref.name }}
      key: {{ $ref.key }}
      {{- if $optional }}
      optional: true
      {{- end }}
{{- else if $secret.existingSecret }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret.existingSecret }}
      key: {{ get $secret.existingSecretKeys $var | default $var }}
      {{- if $optional }}
      optional: true
      {{- end }}
{{- else if get $secret.values $var }}
- name: {{ $var }}
  valueFrom:
    secretKeyRef:
      name: {{ $chartSecret }}
      key: {{ $var }}
{{- end }}
{{- end }}
{{- end }}

{{/* The chart's Secret data: the non-empty `secret.values`. */}}
{{- define "uplink.secretData" -}}
{{- range $key, $value := .Values.secret.values }}
{{- if $value }}
{{ $key }}: {{ $value | b64enc }}
{{- end }}
{{- end }}
{{- end }}

{{/* "true" when the chart renders its own Secret. */}}
{{- define "uplink.createSecret" -}}
{{- if and (not .Values.secret.existingSecret) (include "uplink.secretData" . | trim) }}true{{ end }}
{{- end }}

{{/* A NetworkPolicy egress rule from {to, ports}: an empty `to` allows any destination. */}}
{{- define "uplink.egressRule" -}}
- ports:
    {{- toYaml .ports | nindent 4 }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
The ingress rules of a component's NetworkPolicy, as a list (empty: all ingress denied).
Call with (dict "root" $ "component" "link-service").
*/}}
{{- define "uplink.networkPolicyIngress" -}}
{{- $root := .root }}
{{- $np := $root.Values.networkPolicy }}
{{- $service := index $root.Values (get (include "uplink.components" $root | fromYaml) .component) }}
{{- if and (has .component (list "upload-gateway" "link-service")) $service.ingress.enabled }}
{{- $controller := dict }}
{{- with $np.ingressController.namespaceSelector }}
{{- $_ := set $controller "namespaceSelector" . }}
{{- end }}
{{- with $np.ingressController.podSelector }}
{{- $_ := set $controller "podSelector" . }}
{{- end }}
# The ingress controller.
- from:
    {{- list $controller | toYaml | nindent 4 }}
  ports:
    - port: {{ $service.port }}
      protocol: TCP
{{- end }}
{{- if $root.Values.tests.enabled }}
# The `helm test` pod.
- from:
    - podSelector:
        matchLabels:
          {{- include "uplink.componentSelectorLabels" (dict "root" $root "component" "helm-test") | nindent 10 }}
  ports:
    - port: {{ $service.port }}
      protocol: TCP
{{- end }}
{{- if and $root.Values.metrics.enabled $root.Values.metrics.from }}
# Prometheus (metrics.from), on the metrics port only.
- from:
    {{- toYaml $root.Values.metrics.from | nindent 4 }}
  ports:
    - port: {{ $root.Values.metrics.port }}
      protocol: TCP
{{- end }}
{{- with $service.networkPolicy.from }}
# This service's own clients (networkPolicy.from).
- from:
    {{- toYaml . | nindent 4 }}
  ports:
    - port: {{ $service.port }}
      protocol: TCP
{{- end }}
{{- end }}

{{/* The volumes clamd and freshclam share: their configuration, the database, /tmp. */}}
{{- define "uplink.clamavMounts" -}}
- name: config
  mountPath: /etc/uplink-clamav
  readOnly: true
- name: database
  mountPath: /var/lib/clamav
- name: tmp
  mountPath: /tmp
{{- end }}
