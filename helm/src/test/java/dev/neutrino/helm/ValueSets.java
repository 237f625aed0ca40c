package dev.neutrino.helm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The value sets the chart is linted, rendered and checked under, by name, each a YAML overlay on the
 * chart's own values.yaml. "defaults" is the empty overlay.
 */
final class ValueSets {

  private ValueSets() {}

  static final String PEM = """
      -----BEGIN CERTIFICATE-----
      MIIBtest
      -----END CERTIFICATE-----
      """;

  static final Map<String, String> ALL = new LinkedHashMap<>();

  static {
    ALL.put("defaults", "");
    ALL.put("gpu", """
        gpu:
          enabled: true
          count: 2
        gateway:
          config:
            model_control_mode: explicit
            load_model: [simple]
        """);
    ALL.put("autoscaler", """
        autoscaling:
          mode: neutrino
          minReplicas: 1
          maxReplicas: 6
          model: simple
          targetPerReplica: 4
        metrics:
          serviceMonitor: {enabled: true}
        """);
    ALL.put("hpa", """
        autoscaling:
          mode: hpa
          minReplicas: 2
          maxReplicas: 8
        """);
    ALL.put("keda", """
        autoscaling:
          mode: keda
          minReplicas: 1
          maxReplicas: 12
        """);
    ALL.put("tls", """
        tls:
          enabled: true
          cert: |
        %s
          key: |
            -----BEGIN PRIVATE KEY-----
            MIIBkey
            -----END PRIVATE KEY-----
          clientCa: |
        %s
          metrics: true
        metrics:
          serviceMonitor: {enabled: true}
        """.formatted(PEM.indent(4), PEM.indent(4)));
    ALL.put("tls-existing-secret", """
        tls:
          enabled: true
          existingSecret: gateway-cert
        """);
    ALL.put("pvc", """
        modelRepository:
          source: pvc
          pvc:
            create: true
            size: 20Gi
            storageClassName: fast
        gateway:
          config:
            model_control_mode: poll
            repository_poll_secs: 30
        """);
    ALL.put("init-container", """
        modelRepository:
          source: initContainer
          initContainer:
            image: registry.example/models:2024-06
            sourcePath: /repository
        """);
    ALL.put("auth", """
        auth:
          keys:
            admin-key: s3cret-admin
            infer-key: s3cret-infer
          restrictedApis:
            - groups: [model-repository, model-config, statistics]
              header: admin-key
              secretKey: admin-key
            - groups: [inference]
              header: infer-key
              secretKey: infer-key
              protocols: [grpc]
        """);
    ALL.put("metrics-auth", """
        auth:
          keys:
            metrics-key: Bearer t0ken
          metrics:
            header: authorization
            secretKey: metrics-key
        metrics:
          serviceMonitor:
            enabled: true
            authorization:
              type: Bearer
              credentials: {name: scrape-token, key: token}
        """);
    ALL.put("observability", """
        metrics:
          serviceMonitor: {enabled: true}
          prometheusRule: {enabled: true}
          dashboard: {enabled: true}
        networkPolicy:
          enabled: true
          monitoringNamespace: monitoring
          from:
            - namespaceSelector:
                matchLabels:
                  kubernetes.io/metadata.name: apps
        ingress:
          enabled: true
          className: nginx
        httpRoute:
          enabled: true
          parentRefs:
            - name: public
              namespace: gateway-system
          hostnames: [models.example]
        """);
  }
}
