package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.Replicas;
import dev.neutrino.autoscaler.internal.KubernetesActuator;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The chart applied to fabric8's Kubernetes mock server in CRUD mode (an API server that stores what it is
 * given), and the autoscaler's own Kubernetes actuator, configured by the chart's rendered autoscaler
 * configuration, scaling the Deployment the chart created.
 */
@EnableKubernetesMockClient(crud = true)
class ChartOnKubernetesTest {

  static KubernetesClient client;

  @Test
  void theAutoscalerScalesTheDeploymentTheChartCreated() throws Exception {
    Rendered r = Chart.render("autoscaler");
    List<String> applied = apply(r);
    assertTrue(applied.containsAll(List.of("Deployment/" + Chart.FULLNAME, "Deployment/" + Chart.FULLNAME + "-autoscaler",
        "Role/" + Chart.RELEASE + "-autoscaler", "ConfigMap/" + Chart.FULLNAME + "-autoscaler")), applied::toString);

    AutoscalerConfig config = AutoscalerConfig.parse(client.configMaps().inNamespace(Chart.NAMESPACE)
        .withName(Chart.FULLNAME + "-autoscaler").get().getData().get("autoscaler.yaml"));
    AutoscalerConfig.Target target = config.targets().get(0);
    KubernetesActuator actuator = new KubernetesActuator(client, (AutoscalerConfig.Scale.Deployment) target.scale());

    assertEquals(1, actuator.read().current(), "the chart leaves the count to the autoscaler: Kubernetes' default 1");
    actuator.apply(target.bounds().max());
    Deployment scaled = client.apps().deployments().inNamespace(Chart.NAMESPACE).withName(Chart.FULLNAME).get();
    assertEquals(target.bounds().max(), scaled.getSpec().getReplicas());
    assertEquals(r.gatewayDeployment().getSpec().getTemplate(), scaled.getSpec().getTemplate(),
        "scaling changes the count only");
    Replicas after = actuator.read();
    assertEquals(target.bounds().max(), after.current());
  }

  @Test
  void theAutoscalersRoleGrantsWhatItsActuatorDoes() throws Exception {
    Rendered r = Chart.render("autoscaler");
    Role role = r.get(Role.class, Chart.RELEASE + "-autoscaler");
    assertTrue(allows(role, "deployments", "get"));
    assertTrue(allows(role, "deployments/scale", "get"));
    assertTrue(allows(role, "deployments/scale", "update"));
    assertEquals(3, role.getRules().stream().mapToInt(rule -> rule.getResources().size() * rule.getVerbs().size()).sum(),
        "nothing more: " + role.getRules());
    RoleBinding binding = r.get(RoleBinding.class, Chart.RELEASE + "-autoscaler");
    assertEquals(Chart.RELEASE + "-autoscaler", binding.getSubjects().get(0).getName());
    assertEquals(Chart.RELEASE + "-autoscaler", r.get(Deployment.class, Chart.FULLNAME + "-autoscaler").getSpec()
        .getTemplate().getSpec().getServiceAccountName());
  }

  @Test
  void everyValueSetsObjectsAreAcceptedByTheApiServer() throws Exception {
    for (String valueSet : ValueSets.ALL.keySet()) {
      Rendered r = Chart.render(valueSet);
      List<String> applied = apply(r);
      for (HasMetadata o : r.objects()) {
        if (!(o instanceof GenericKubernetesResource)) {
          assertTrue(client.resource(o).inNamespace(Chart.NAMESPACE).get() != null, valueSet + ": " + o.getKind());
        }
      }
      assertTrue(applied.contains("Deployment/" + Chart.FULLNAME), valueSet);
      client.resourceList(r.objects().stream().filter(o -> !(o instanceof GenericKubernetesResource)).toList())
          .inNamespace(Chart.NAMESPACE).delete();
    }
  }

  /** Creates (or replaces) every object of a kind the API server knows; custom resources need their CRDs. */
  private static List<String> apply(Rendered r) {
    List<String> applied = new ArrayList<>();
    for (HasMetadata o : r.objects()) {
      if (o instanceof GenericKubernetesResource) {
        continue; // ServiceMonitor, PrometheusRule, ScaledObject: no CRDs on the mock server
      }
      client.resource(o).inNamespace(Chart.NAMESPACE).createOr(existing -> existing.update());
      applied.add(o.getKind() + "/" + o.getMetadata().getName());
    }
    return applied;
  }

  private static boolean allows(Role role, String resource, String verb) {
    for (PolicyRule rule : role.getRules()) {
      if (rule.getApiGroups().contains("apps") && rule.getResources().contains(resource)
          && rule.getVerbs().contains(verb)) {
        return true;
      }
    }
    return false;
  }
}
