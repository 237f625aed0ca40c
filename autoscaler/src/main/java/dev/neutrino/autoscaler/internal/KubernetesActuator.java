package dev.neutrino.autoscaler.internal;

import dev.neutrino.autoscaler.ActuationException;
import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.ReplicaActuator;
import dev.neutrino.autoscaler.Replicas;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.File;

/**
 * Scales a Kubernetes Deployment through its {@code scale} subresource with the fabric8 client.
 *
 * <p>Reading gets the Deployment ({@code spec.replicas}, {@code status.readyReplicas}); applying reads
 * and replaces {@code deployments/scale}. The RBAC this needs, in the Deployment's namespace:
 *
 * <pre>
 * - apiGroups: ["apps"]
 *   resources: ["deployments"]
 *   verbs: ["get"]
 * - apiGroups: ["apps"]
 *   resources: ["deployments/scale"]
 *   verbs: ["get", "update"]
 * </pre>
 *
 * (also in {@code helm/neutrino/templates/autoscaler-rbac.yaml}). The client is not owned: whoever
 * created it closes it.
 */
public final class KubernetesActuator implements ReplicaActuator {

  private final KubernetesClient client;
  private final String namespace;
  private final String name;

  public KubernetesActuator(KubernetesClient client, AutoscalerConfig.Scale.Deployment target) {
    this.client = client;
    this.namespace = target.namespace();
    this.name = target.name();
  }

  /**
   * A client from the configuration: the given kubeconfig (and context), or else the in-cluster
   * service account inside a pod, or {@code $KUBECONFIG} / {@code ~/.kube/config}. The client's own
   * retries are switched off: the autoscaler's loop retries with its back-off and must not block.
   */
  public static KubernetesClient connect(AutoscalerConfig.Kubernetes settings) {
    Config config = settings.kubeconfig() != null
        ? Config.fromKubeconfig(settings.context(), new File(settings.kubeconfig()))
        : Config.autoConfigure(settings.context());
    config.setRequestTimeout((int) settings.timeout().toMillis());
    config.setRequestRetryBackoffLimit(0);
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  @Override
  public Replicas read() throws ActuationException {
    Deployment deployment;
    try {
      deployment = client.apps().deployments().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      throw failure("reading", e);
    }
    if (deployment == null) {
      throw new ActuationException("deployment " + namespace + "/" + name + " not found");
    }
    Integer spec = deployment.getSpec() == null ? null : deployment.getSpec().getReplicas();
    int current = spec == null ? 1 : spec;
    DeploymentStatus status = deployment.getStatus();
    // A real API server always has a status (readyReplicas omitted when zero); a bare object does not.
    int ready = status == null ? current : status.getReadyReplicas() == null ? 0 : status.getReadyReplicas();
    return new Replicas(current, ready);
  }

  @Override
  public void apply(int replicas) throws ActuationException {
    try {
      client.apps().deployments().inNamespace(namespace).withName(name).scale(replicas);
    } catch (KubernetesClientException e) {
      throw failure("scaling to " + replicas, e);
    }
  }

  @Override
  public String describe() {
    return "deployment " + namespace + "/" + name;
  }

  private ActuationException failure(String what, KubernetesClientException e) {
    String status = e.getCode() > 0 ? "HTTP " + e.getCode() + ": " : "";
    return new ActuationException(
        what + " deployment " + namespace + "/" + name + " failed: " + status + firstLine(e.getMessage()));
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "(no message)";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }
}
