package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.neutrino.autoscaler.AutoscalerConfig;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every rendering parsed into fabric8's types, and what must hold between its objects. */
class ChartInvariantsTest {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  static Stream<String> valueSets() {
    return ValueSets.ALL.keySet().stream();
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void selectorsMatchTheGatewayPods(String valueSet) throws Exception {
    Rendered r = Chart.render(valueSet);
    Deployment deployment = r.gatewayDeployment();
    Map<String, String> podLabels = deployment.getSpec().getTemplate().getMetadata().getLabels();
    assertSelects(podLabels, deployment.getSpec().getSelector().getMatchLabels(), "the Deployment's selector");
    for (Service service : r.all(Service.class)) {
      assertSelects(podLabels, service.getSpec().getSelector(), "Service " + service.getMetadata().getName());
    }
    for (PodDisruptionBudget pdb : r.all(PodDisruptionBudget.class)) {
      assertSelects(podLabels, pdb.getSpec().getSelector().getMatchLabels(), "the PodDisruptionBudget");
    }
    for (NetworkPolicy policy : r.all(NetworkPolicy.class)) {
      assertSelects(podLabels, policy.getSpec().getPodSelector().getMatchLabels(), "the NetworkPolicy");
    }
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    if (pod.getTopologySpreadConstraints() != null) {
      pod.getTopologySpreadConstraints().forEach(c ->
          assertSelects(podLabels, c.getLabelSelector().getMatchLabels(), "a topology spread constraint"));
    }
    r.generic("ServiceMonitor").ifPresent(monitor -> {
      @SuppressWarnings("unchecked")
      Map<String, String> selects = (Map<String, String>) ((Map<String, Object>) ((Map<String, Object>)
          monitor.getAdditionalProperties().get("spec")).get("selector")).get("matchLabels");
      Service main = r.get(Service.class, Chart.FULLNAME);
      assertTrue(main.getMetadata().getLabels().entrySet().containsAll(selects.entrySet()),
          "the ServiceMonitor selects the gateway's Service");
      r.all(Service.class).stream().filter(s -> s != main).forEach(other -> assertFalse(
          other.getMetadata().getLabels().entrySet().containsAll(selects.entrySet()),
          "the ServiceMonitor does not scrape the pods twice through " + other.getMetadata().getName()));
    });
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void probesAndServicesReachNamedContainerPorts(String valueSet) throws Exception {
    Rendered r = Chart.render(valueSet);
    Container gateway = r.gatewayContainer();
    Map<String, Integer> ports = gateway.getPorts().stream()
        .collect(Collectors.toMap(ContainerPort::getName, ContainerPort::getContainerPort));
    assertEquals(Set.of("http", "grpc", "metrics"), ports.keySet());
    List<String> args = gateway.getArgs();
    assertTrue(args.contains("--http-port=" + ports.get("http")), () -> "the gateway listens where it says: " + args);
    assertTrue(args.contains("--grpc-port=" + ports.get("grpc")), () -> args.toString());
    assertTrue(args.contains("--metrics-port=" + ports.get("metrics")), () -> args.toString());
    assertTrue(args.contains("--host=0.0.0.0"), () -> "reachable from outside the pod: " + args);

    boolean mutualTls = valueSet.equals("tls");
    Map<String, Probe> probes = Map.of("liveness", gateway.getLivenessProbe(), "readiness", gateway.getReadinessProbe(),
        "startup", gateway.getStartupProbe());
    for (Map.Entry<String, Probe> probe : probes.entrySet()) {
      assertNotNull(probe.getValue(), probe.getKey());
      if (mutualTls) {
        assertEquals("http", probe.getValue().getTcpSocket().getPort().getStrVal(), probe.getKey());
        continue;
      }
      HTTPGetAction get = probe.getValue().getHttpGet();
      assertTrue(ports.containsKey(get.getPort().getStrVal()), probe.getKey() + " probes a named container port");
      assertEquals("http", get.getPort().getStrVal());
      assertEquals(probe.getKey().equals("liveness") ? "/v2/health/live" : "/v2/health/ready", get.getPath());
      assertEquals(valueSet.startsWith("tls") ? "HTTPS" : "HTTP", get.getScheme());
    }
    Probe startup = gateway.getStartupProbe();
    assertTrue(startup.getPeriodSeconds() * startup.getFailureThreshold() >= 300,
        "the startup probe allows slow model loads (5 minutes or more)");

    for (Service service : r.all(Service.class)) {
      for (ServicePort port : service.getSpec().getPorts()) {
        String target = port.getTargetPort().getStrVal();
        assertTrue(ports.containsKey(target), () -> service.getMetadata().getName() + " targets port " + target);
        assertEquals(ports.get(target), port.getPort(), "the Service's port number is the container's");
        assertEquals(target.equals("grpc") ? "grpc" : "http", port.getAppProtocol());
      }
    }
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void gatewayRunsLockedDown(String valueSet) throws Exception {
    Rendered r = Chart.render(valueSet);
    PodSpec pod = r.gatewayDeployment().getSpec().getTemplate().getSpec();
    assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken());
    assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot());
    assertEquals("RuntimeDefault", pod.getSecurityContext().getSeccompProfile().getType());
    List<Container> containers = new java.util.ArrayList<>(pod.getContainers());
    if (pod.getInitContainers() != null) {
      containers.addAll(pod.getInitContainers());
    }
    for (Container c : containers) {
      SecurityContext sc = c.getSecurityContext();
      assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), c.getName());
      assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), c.getName());
      assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), c.getName());
      assertEquals(Boolean.TRUE, sc.getRunAsNonRoot(), c.getName());
    }
    Container gateway = r.gatewayContainer();
    assertTrue(gateway.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")),
        "a writable /tmp under the read-only root");
    Map<String, Quantity> requests = gateway.getResources().getRequests();
    Map<String, Quantity> limits = gateway.getResources().getLimits();
    assertTrue(requests.containsKey("cpu") && requests.containsKey("memory"), "requests: " + requests);
    assertTrue(limits.containsKey("memory"), "limits: " + limits);
    if (valueSet.equals("gpu")) {
      assertEquals(new Quantity("2"), limits.get("nvidia.com/gpu"));
      assertTrue(gateway.getImage().startsWith("neutrino-gpu:"), gateway.getImage());
    } else {
      assertFalse(limits.containsKey("nvidia.com/gpu"));
    }
    Map<String, String> annotations = r.gatewayDeployment().getSpec().getTemplate().getMetadata().getAnnotations();
    assertTrue(annotations.get("checksum/config").matches("[0-9a-f]{64}"), "the config's checksum rolls the pods");
    assertTrue(annotations.get("checksum/secret").matches("[0-9a-f]{64}"));
    assertFalse(pod.getTopologySpreadConstraints().isEmpty());
  }

  @ParameterizedTest
  @MethodSource("valueSets")
  void gracePeriodCoversTheDrainAndTheExitTimeout(String valueSet) throws Exception {
    Rendered r = Chart.render(valueSet);
    JsonNode config = gatewayConfig(r);
    int drain = flag(r.gatewayContainer().getArgs(), "drain-delay", config.path("drain_delay").asInt(5));
    int exit = flag(r.gatewayContainer().getArgs(), "exit-timeout-secs", config.path("exit_timeout_secs").asInt(30));
    long grace = r.gatewayDeployment().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
    assertTrue(grace > drain + exit, () -> "grace " + grace + " > drain " + drain + " + exit " + exit);
    assertNull(r.gatewayContainer().getLifecycle(), "the gateway drains on SIGTERM itself: no preStop");
  }

  @Test
  void gracePeriodFollowsTheConfiguredDrain() throws Exception {
    String manifests = Chart.template("gateway:\n  config:\n    drain_delay: 0\n    exit_timeout_secs: 120\n");
    Rendered r = new Rendered("long-exit", manifests, Chart.parse(manifests));
    assertEquals(130L, r.gatewayDeployment().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds());
    assertEquals(0, gatewayConfig(r).get("drain_delay").asInt(), "a zero drain stays zero");
  }

  @Test
  void modelRepositoryComesFromTheImageAPvcOrAnInitContainer() throws Exception {
    assertEquals("/opt/neutrino/models", gatewayConfig(Chart.render("defaults")).get("model_repository").asText());
    Rendered pvc = Chart.render("pvc");
    assertEquals("/models", gatewayConfig(pvc).get("model_repository").asText());
    assertEquals("poll", gatewayConfig(pvc).get("model_control_mode").asText());
    PodSpec pvcPod = pvc.gatewayDeployment().getSpec().getTemplate().getSpec();
    assertEquals(Chart.FULLNAME + "-models", pvcPod.getVolumes().stream().filter(v -> v.getName().equals("models"))
        .findFirst().orElseThrow().getPersistentVolumeClaim().getClaimName());
    assertMounted(pvc.gatewayContainer(), "models", "/models");

    Rendered init = Chart.render("init-container");
    PodSpec initPod = init.gatewayDeployment().getSpec().getTemplate().getSpec();
    Container copier = initPod.getInitContainers().get(0);
    assertEquals("registry.example/models:2024-06", copier.getImage());
    assertEquals(List.of("cp", "-R", "/repository/.", "/models/"), copier.getCommand());
    assertMounted(copier, "models", "/models");
    assertMounted(init.gatewayContainer(), "models", "/models");
    assertNotNull(initPod.getVolumes().stream().filter(v -> v.getName().equals("models")).findFirst()
        .orElseThrow().getEmptyDir());
  }

  @Test
  void keysAndCertificatesAreMountedFilesNamedInTheConfig() throws Exception {
    Rendered auth = Chart.render("auth");
    JsonNode config = gatewayConfig(auth);
    assertEquals(List.of("model-repository,model-config,statistics:admin-key=@/etc/neutrino/secrets/admin-key"),
        YAML.convertValue(config.get("http_restricted_api"), List.class));
    assertEquals(List.of("model-repository,model-config,statistics:admin-key=@/etc/neutrino/secrets/admin-key",
        "inference:infer-key=@/etc/neutrino/secrets/infer-key"),
        YAML.convertValue(config.get("grpc_restricted_protocol"), List.class));
    assertMounted(auth.gatewayContainer(), "secrets", "/etc/neutrino/secrets");
    assertFalse(auth.text().contains("s3cret"), "keys travel base64 in the Secret, never in the config");

    Rendered tls = Chart.render("tls");
    JsonNode tlsConfig = gatewayConfig(tls);
    assertEquals("/etc/neutrino/tls/tls.crt", tlsConfig.get("tls_cert_file").asText());
    assertEquals("/etc/neutrino/tls/tls.key", tlsConfig.get("tls_key_file").asText());
    assertEquals("/etc/neutrino/tls/ca.crt", tlsConfig.get("tls_client_ca_file").asText());
    assertTrue(tlsConfig.get("tls_metrics").asBoolean());
    assertMounted(tls.gatewayContainer(), "tls", "/etc/neutrino/tls");

    Rendered metricsAuth = Chart.render("metrics-auth");
    assertEquals("authorization=@/etc/neutrino/secrets/metrics-key", gatewayConfig(metricsAuth).get("metrics_restricted_api")
        .asText());
    assertMounted(metricsAuth.gatewayContainer(), "secrets", "/etc/neutrino/secrets");

    JsonNode existing = gatewayConfig(Chart.render("tls-existing-secret"));
    assertTrue(existing.has("tls_cert_file"));
    assertFalse(existing.has("tls_client_ca_file"), "no mutual TLS unless a client CA key is named");
  }

  @Test
  void scalingObjectsTargetTheGatewayDeployment() throws Exception {
    assertEquals(2, Chart.render("defaults").gatewayDeployment().getSpec().getReplicas());
    for (String valueSet : List.of("autoscaler", "hpa", "keda")) {
      assertNull(Chart.render(valueSet).gatewayDeployment().getSpec().getReplicas(),
          valueSet + " owns the replica count: the Deployment does not set it");
    }
    HorizontalPodAutoscaler hpa = Chart.render("hpa").get(HorizontalPodAutoscaler.class, Chart.FULLNAME);
    assertEquals("autoscaling/v2", hpa.getApiVersion());
    assertEquals("Deployment", hpa.getSpec().getScaleTargetRef().getKind());
    assertEquals(Chart.FULLNAME, hpa.getSpec().getScaleTargetRef().getName());
    assertEquals(2, hpa.getSpec().getMinReplicas());
    assertEquals(8, hpa.getSpec().getMaxReplicas());
    assertEquals("neutrino_inflight_requests", hpa.getSpec().getMetrics().get(0).getPods().getMetric().getName());

    GenericKubernetesResource keda = Chart.render("keda").generic("ScaledObject").orElseThrow();
    assertEquals("keda.sh/v1alpha1", keda.getApiVersion());
    JsonNode spec = YAML.valueToTree(keda.getAdditionalProperties().get("spec"));
    assertEquals(Chart.FULLNAME, spec.at("/scaleTargetRef/name").asText());
    assertEquals(12, spec.get("maxReplicaCount").asInt());
    assertEquals("prometheus", spec.at("/triggers/0/type").asText());
    assertTrue(spec.at("/triggers/0/metadata/query").asText().contains("neutrino_inflight_requests"));

    Rendered autoscaler = Chart.render("autoscaler");
    AutoscalerConfig config = AutoscalerConfig.parse(
        autoscaler.configMap(Chart.FULLNAME + "-autoscaler").getData().get("autoscaler.yaml"));
    AutoscalerConfig.Target target = config.targets().get(0);
    assertEquals(new AutoscalerConfig.Scale.Deployment(Chart.NAMESPACE, Chart.FULLNAME), target.scale());
    assertEquals("simple", target.model());
    assertEquals(6, target.bounds().max());
    PodSpec autoscalerPod = autoscaler.get(Deployment.class, Chart.FULLNAME + "-autoscaler").getSpec().getTemplate()
        .getSpec();
    assertEquals(Chart.RELEASE + "-autoscaler", autoscalerPod.getServiceAccountName(), "runs under the RBAC's account");
  }

  @Test
  void schemaOffersOnlyKeysTheGatewayKnows() throws Exception {
    JsonNode schema = new ObjectMapper().readTree(Chart.DIR.resolve("values.schema.json").toFile());
    JsonNode keys = schema.at("/properties/gateway/properties/config/properties");
    assertTrue(keys.size() > 10);
    String help = Gateways.help();
    keys.fieldNames().forEachRemaining(key -> assertTrue(help.matches("(?s).*--" + key.replace('_', '-') + "[=\\s].*"),
        () -> "gateway.config." + key + " is not a flag of the gateway:\n" + help));
  }

  /** The gateway's configuration file the Deployment's --config names, out of the rendered ConfigMap. */
  static JsonNode gatewayConfig(Rendered r) throws Exception {
    String path = r.gatewayContainer().getArgs().stream().filter(a -> a.startsWith("--config="))
        .map(a -> a.substring("--config=".length())).findFirst().orElseThrow();
    VolumeMount mount = r.gatewayContainer().getVolumeMounts().stream()
        .filter(m -> path.startsWith(m.getMountPath() + "/")).findFirst().orElseThrow();
    String configMap = r.gatewayDeployment().getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow().getConfigMap().getName();
    return YAML.readTree(r.configMap(configMap).getData().get(path.substring(mount.getMountPath().length() + 1)));
  }

  private static int flag(List<String> args, String name, int otherwise) {
    return args.stream().filter(a -> a.startsWith("--" + name + "=")).map(a -> Integer.parseInt(a.split("=", 2)[1]))
        .reduce((a, b) -> b).orElse(otherwise);
  }

  private static void assertSelects(Map<String, String> podLabels, Map<String, String> selector, String what) {
    assertNotNull(selector, what);
    assertFalse(selector.isEmpty(), what + " selects something");
    assertTrue(podLabels.entrySet().containsAll(selector.entrySet()), () -> what + " " + selector + " matches " + podLabels);
  }

  private static void assertMounted(Container c, String volume, String path) {
    assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getName().equals(volume) && m.getMountPath().equals(path)),
        () -> c.getName() + " mounts " + volume + " at " + path + ": " + c.getVolumeMounts());
  }
}
