package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The chart against the real binary: the rendered gateway container started as a local process with
 * exactly its entrypoint, args, environment and mounted files (ports and host substituted, see
 * {@link LocalPod}), called at the rendered probe paths and ports, and asked one inference.
 */
class ChartOnRealGatewayTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String INFER = """
      {"inputs": [
        {"name": "INPUT0", "shape": [1, 16], "datatype": "INT32", "data": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15]},
        {"name": "INPUT1", "shape": [1, 16], "datatype": "INT32", "data": [1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}]}""";

  @ParameterizedTest
  @ValueSource(strings = {"defaults", "auth"})
  void servesAsRenderedAtTheProbePathsAndInfers(String valueSet) throws Exception {
    Rendered r = Chart.render(valueSet);
    Path dir = workDir();
    LocalPod pod = LocalPod.of(r, dir);
    Path log = dir.resolve("gateway.log");
    Process gateway = pod.start(log);
    try {
      Container c = r.gatewayContainer();
      String port = c.getReadinessProbe().getHttpGet().getPort().getStrVal();
      Gateways.awaitOk(gateway, pod.url(port, c.getStartupProbe().getHttpGet().getPath()), log);
      assertEquals(200, Gateways.get(pod.url(port, c.getLivenessProbe().getHttpGet().getPath())).statusCode());
      assertEquals(200, Gateways.get(pod.url(port, c.getReadinessProbe().getHttpGet().getPath())).statusCode());

      HttpResponse<String> answer = post(pod.url("http", "/v2/models/simple/infer"), INFER, null);
      assertEquals(200, answer.statusCode(), answer::body);
      JsonNode outputs = JSON.readTree(answer.body()).get("outputs");
      JsonNode sum = outputs.get(0).get("name").asText().equals("OUTPUT0") ? outputs.get(0) : outputs.get(1);
      List<Integer> values = new ArrayList<>();
      sum.get("data").forEach(v -> values.add(v.asInt()));
      assertEquals(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16), values);

      HttpResponse<String> metrics = Gateways.get(pod.url("metrics", "/metrics"));
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.body().contains("neutrino_requests_total"), "the metrics port the Service names serves");

      if (valueSet.equals("auth")) {
        // The key reaches the gateway only as the Secret's mounted file, named in the ConfigMap's config.
        URI index = pod.url("http", "/v2/repository/index");
        assertEquals(401, post(index, "{}", null).statusCode());
        assertEquals(403, post(index, "{}", "wrong").statusCode());
        assertEquals(200, post(index, "{}", "s3cret-admin").statusCode());
      }
      runHelmTestPod(pod);
    } finally {
      Gateways.stop(gateway);
    }
    Chart.deleteTree(dir); // kept when the test fails, for its log
  }

  @Test
  void aFlagTheGatewayDoesNotKnowStopsTheStart() throws Exception {
    Rendered r = Chart.render("defaults");
    Path dir = workDir();
    LocalPod pod = LocalPod.of(r, dir);
    List<String> command = new ArrayList<>(pod.command);
    command.add("--no-such-flag=1");
    Path log = dir.resolve("gateway.log");
    Process gateway = Gateways.start(command, pod.env, log);
    try {
      assertTrue(gateway.waitFor(60, TimeUnit.SECONDS), "the gateway stops at once");
      assertEquals(2, gateway.exitValue());
      String output = Files.readString(log);
      assertTrue(output.contains("no-such-flag"), () -> "the error names the flag: " + output);
    } finally {
      Gateways.stop(gateway);
    }
    Chart.deleteTree(dir);
  }

  /** Runs the chart's helm test script (sh and curl, as in its curl image) against the local gateway. */
  private static void runHelmTestPod(LocalPod gateway) throws Exception {
    Pod test = Chart.renderTests("defaults").get(Pod.class, Chart.FULLNAME + "-test");
    Container c = test.getSpec().getContainers().get(0);
    List<String> command = new ArrayList<>(c.getCommand());
    command.addAll(c.getArgs());
    String inCluster = c.getEnv().stream().filter(e -> e.getName().equals("GATEWAY")).findFirst().orElseThrow().getValue();
    assertEquals("http://" + Chart.FULLNAME + "." + Chart.NAMESPACE + ".svc:8000", inCluster,
        "the test calls the gateway's Service on its HTTP port");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().put("GATEWAY", "http://127.0.0.1:" + gateway.ports.get("http"));
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the helm test finishes");
    assertEquals(0, p.exitValue(), () -> "helm test script failed: " + out);
  }

  private static HttpResponse<String> post(URI url, String body, String adminKey) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (adminKey != null) {
      request.header("admin-key", adminKey);
    }
    return Gateways.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Path workDir() throws Exception {
    return Files.createTempDirectory(Files.createDirectories(Path.of("target")), "pod-").toAbsolutePath();
  }
}
