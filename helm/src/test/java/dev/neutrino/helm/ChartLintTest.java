package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.LintResult;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The real Helm's strict lint and template over every value set, and the values schema refusing bad values. */
class ChartLintTest {

  static Stream<String> valueSets() {
    return ValueSets.ALL.keySet().stream();
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void lintsStrictlyWithoutWarnings(String valueSet) throws Exception {
    LintResult lint = Chart.lint(valueSet);
    assertFalse(lint.isFailed(), () -> valueSet + ": " + lint.getMessages());
    List<String> complaints = lint.getMessages().stream()
        .filter(m -> m.contains("[WARNING]") || m.contains("[ERROR]")).toList();
    assertTrue(complaints.isEmpty(), () -> valueSet + ": " + complaints);
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void rendersTheGatewayUnderEveryValueSet(String valueSet) throws Exception {
    Rendered r = Chart.render(valueSet);
    assertTrue(r.names().containsAll(List.of("Deployment/" + Chart.FULLNAME, "Service/" + Chart.FULLNAME,
        "ConfigMap/" + Chart.FULLNAME, "PodDisruptionBudget/" + Chart.FULLNAME)),
        () -> valueSet + ": " + r.names());
  }

  @Test
  void rendersAHelmTestPod() throws Exception {
    assertTrue(Chart.renderTests("defaults").names().contains("Pod/" + Chart.FULLNAME + "-test"));
  }

  @Test
  void rendersWhatEachValueSetTurnsOn() throws Exception {
    assertTrue(Chart.render("autoscaler").names().containsAll(List.of("Deployment/" + Chart.FULLNAME + "-autoscaler",
        "ConfigMap/" + Chart.FULLNAME + "-autoscaler", "ServiceAccount/demo-autoscaler", "Role/demo-autoscaler",
        "RoleBinding/demo-autoscaler", "ServiceMonitor/" + Chart.FULLNAME)));
    assertTrue(Chart.render("hpa").names().contains("HorizontalPodAutoscaler/" + Chart.FULLNAME));
    assertTrue(Chart.render("keda").names().contains("ScaledObject/" + Chart.FULLNAME));
    assertTrue(Chart.render("pvc").names().contains("PersistentVolumeClaim/" + Chart.FULLNAME + "-models"));
    assertTrue(Chart.render("tls").names().contains("Secret/" + Chart.FULLNAME + "-tls"));
    assertTrue(Chart.render("auth").names().contains("Secret/" + Chart.FULLNAME + "-auth"));
    assertTrue(Chart.render("observability").names().containsAll(List.of("PrometheusRule/" + Chart.FULLNAME,
        "ConfigMap/" + Chart.FULLNAME + "-dashboard", "NetworkPolicy/" + Chart.FULLNAME,
        "Ingress/" + Chart.FULLNAME, "HTTPRoute/" + Chart.FULLNAME)));
    List<String> defaults = Chart.render("defaults").names();
    for (String off : List.of("HorizontalPodAutoscaler", "ScaledObject", "ServiceMonitor", "PrometheusRule",
        "NetworkPolicy", "Ingress", "HTTPRoute", "Secret", "Role")) {
      assertTrue(defaults.stream().noneMatch(n -> n.startsWith(off + "/")), () -> off + " is off by default: " + defaults);
    }
  }

  @Test
  void schemaRefusesWrongTypesAndUnknownKeys() {
    assertRefused("replicaCount: two\n", "replicaCount");
    assertRefused("replicas: 3\n", "replicas");
    assertRefused("autoscaling:\n  mode: magic\n", "mode");
    assertRefused("gateway:\n  config:\n    drain_delay: soon\n", "drain_delay");
    assertRefused("gateway:\n  config:\n    no_such_flag: 1\n", "no_such_flag");
    assertRefused("ports:\n  http: 70000\n", "http");
  }

  @Test
  void refusesMissingRequiredValuesByName() {
    assertRefused("modelRepository:\n  source: initContainer\n", "modelRepository.initContainer.image");
    assertRefused("auth:\n  restrictedApis:\n    - {groups: [inference], header: k, secretKey: k}\n", "auth.keys.k");
    assertRefused("tls:\n  enabled: true\n", "tls.cert");
  }

  private static void assertRefused(String values, String named) {
    Exception e = assertThrows(Exception.class, () -> Chart.template(values), values);
    assertTrue(e.getMessage().contains(named), () -> "the error names " + named + ": " + e.getMessage());
  }
}
