{{/* The chart's name, or nameOverride. */}}
{{- define "neutrino.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's resource name: fullnameOverride, or the release name (prefixed by the chart's unless it holds it). */}}
{{- define "neutrino.fullname" -}}
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

{{- define "neutrino.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. */}}
{{- define "neutrino.labels" -}}
helm.sh/chart: {{ include "neutrino.chart" . }}
app.kubernetes.io/name: {{ include "neutrino.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The gateway pods' selector: also the labels of its Service, ServiceMonitor, PDB and NetworkPolicy. */}}
{{- define "neutrino.selectorLabels" -}}
app.kubernetes.io/name: {{ include "neutrino.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end }}

{{- define "neutrino.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "neutrino.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The gateway's image: the GPU build's with gpu.enabled. */}}
{{- define "neutrino.image" -}}
{{- if .Values.gpu.enabled }}
{{- printf "%s:%s" .Values.gpu.image.repository (default .Chart.AppVersion .Values.gpu.image.tag) }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* Where the gateway reads its files. */}}
{{- define "neutrino.configDir" -}}/etc/neutrino/config{{- end }}
{{- define "neutrino.secretDir" -}}/etc/neutrino/secrets{{- end }}
{{- define "neutrino.tlsDir" -}}/etc/neutrino/tls{{- end }}

{{/* The Secret holding access keys: auth.existingSecret or the chart's own. */}}
{{- define "neutrino.authSecretName" -}}
{{- default (printf "%s-auth" (include "neutrino.fullname" .)) .Values.auth.existingSecret }}
{{- end }}

{{/* Whether the gateway mounts access keys. */}}
{{- define "neutrino.authEnabled" -}}
{{- if or .Values.auth.restrictedApis .Values.auth.metrics.secretKey }}true{{- end }}
{{- end }}

{{/* The Secret holding TLS material: tls.existingSecret or the chart's own. */}}
{{- define "neutrino.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "neutrino.fullname" .)) .Values.tls.existingSecret }}
{{- end }}

{{/* Mutual TLS: a client CA from the chart's values or the existing Secret. */}}
{{- define "neutrino.mutualTls" -}}
{{- if .Values.tls.enabled }}
{{- if .Values.tls.existingSecret }}{{ if .Values.tls.clientCaKey }}true{{ end }}
{{- else if .Values.tls.clientCa }}true{{ end }}
{{- end }}
{{- end }}

{{/* The model repository's folder inside the gateway container. */}}
{{- define "neutrino.modelRepositoryPath" -}}
{{- if eq .Values.modelRepository.source "image" }}
{{- .Values.modelRepository.path }}
{{- else }}
{{- .Values.modelRepository.mountPath }}
{{- end }}
{{- end }}

{{/* The PVC of modelRepository.source=pvc. */}}
{{- define "neutrino.pvcName" -}}
{{- default (printf "%s-models" (include "neutrino.fullname" .)) .Values.modelRepository.pvc.claimName }}
{{- end }}

{{/* The gateway's configuration file: gateway.config with what the chart sets itself. */}}
{{- define "neutrino.gatewayConfig" -}}
{{- $config := deepCopy .Values.gateway.config }}
{{- $_ := set $config "model_repository" (include "neutrino.modelRepositoryPath" .) }}
{{- if .Values.tls.enabled }}
{{- $_ := set $config "tls_cert_file" (printf "%s/tls.crt" (include "neutrino.tlsDir" .)) }}
{{- $_ := set $config "tls_key_file" (printf "%s/tls.key" (include "neutrino.tlsDir" .)) }}
{{- if include "neutrino.mutualTls" . }}
{{- $_ := set $config "tls_client_ca_file" (printf "%s/ca.crt" (include "neutrino.tlsDir" .)) }}
{{- end }}
{{- $_ := set $config "tls_metrics" .Values.tls.metrics }}
{{- end }}
{{- $http := list }}
{{- $grpc := list }}
{{- range .Values.auth.restrictedApis }}
{{- $rule := printf "%s:%s=@%s/%s" (join "," .groups) .header (include "neutrino.secretDir" $) .secretKey }}
{{- $protocols := dig "protocols" (list "http" "grpc") . }}
{{- if has "http" $protocols }}{{ $http = append $http $rule }}{{ end }}
{{- if has "grpc" $protocols }}{{ $grpc = append $grpc $rule }}{{ end }}
{{- end }}
{{- if $http }}{{ $_ := set $config "http_restricted_api" $http }}{{ end }}
{{- if $grpc }}{{ $_ := set $config "grpc_restricted_protocol" $grpc }}{{ end }}
{{- if .Values.auth.metrics.secretKey }}
{{- $_ := set $config "metrics_restricted_api" (printf "%s=@%s/%s" .Values.auth.metrics.header (include "neutrino.secretDir" .) .Values.auth.metrics.secretKey) }}
{{- end }}
{{- toYaml $config }}
{{- end }}

{{/* Seconds Kubernetes waits after SIGTERM: the drain delay, the exit timeout and a margin. */}}
{{- define "neutrino.terminationGracePeriod" -}}
{{- $drain := int (dig "drain_delay" 5 .Values.gateway.config) }}
{{- $exit := int (dig "exit_timeout_secs" 30 .Values.gateway.config) }}
{{- add $drain $exit (int .Values.gateway.terminationGraceExtraSeconds) }}
{{- end }}

{{/* The PromQL label matchers of this release's gateways, as scraped through its ServiceMonitor. */}}
{{- define "neutrino.seriesSelector" -}}
job="{{ include "neutrino.fullname" . }}",namespace="{{ .Release.Namespace }}"
{{- end }}

{{/* Demand of the scaled model over this release's gateways: requests in flight and queued. */}}
{{- define "neutrino.demandQuery" -}}
sum(neutrino_inflight_requests{ {{- include "neutrino.seriesSelector" . }},model="{{ .Values.autoscaling.model }}"})
{{- end }}
