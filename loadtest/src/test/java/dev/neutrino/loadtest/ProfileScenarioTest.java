package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.loadtest.profile.CpuBudget;
import dev.neutrino.loadtest.profile.CpuProfiler;
import dev.neutrino.loadtest.profile.FlameGraph;
import dev.neutrino.loadtest.profile.Stage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * {@code neutrino bench --scenario profile} end to end, briefly: a real gateway on loopback with the
 * example models, the generator's clients, a JFR recording of this JVM; then the table, the JSON, the
 * page and the files; every combination, on the gateway and on its transport floor, is warmed before any
 * is recorded. No figure is asserted beyond being there and adding up.
 */
class ProfileScenarioTest {
  private static final String SVG = "http://www.w3.org/2000/svg";
  private static final List<String> KEYS = List.of("identity_fp32/http-json", "identity_fp32/http-binary",
      "identity_fp32/grpc", "recommender_mlp/http-json", "recommender_mlp/http-binary", "recommender_mlp/grpc");

  @Test
  void profilesEachProtocolAndModelIntoStagesPagesAndFiles(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("profile.json");
    Path html = dir.resolve("profile.html");
    Path files = dir.resolve("stacks");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = BenchCommand.run(new String[] {"--scenario", "profile", "--warmup", "0s",
        "--duration", "1s", "--profile-concurrency", "4", "--profile-period", "1ms", "--client-threads", "1",
        "--profile-dir", files.toString(), "--json", json.toString(), "--html", html.toString()},
        new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, status, printed + err.toString(StandardCharsets.UTF_8));
    assertTrue(printed.contains("cpu us per request") && printed.contains("compute"), printed);
    int firstRecording = printed.indexOf("recording ");
    assertTrue(firstRecording > 0, printed);
    for (String key : KEYS) {
      int warmed = printed.indexOf("warming up " + key + " (round 1");
      assertTrue(warmed >= 0 && warmed < firstRecording, key + " is warmed before any recording: " + printed);
      int floorWarmed = printed.indexOf("warming up floor " + key + " (round 1");
      assertTrue(floorWarmed >= 0 && floorWarmed < firstRecording, key + "'s floor is warmed before any recording");
      assertTrue(printed.contains("recording floor " + key), key + "'s floor is recorded: " + printed);
    }
    assertTrue(printed.contains("floor total") && printed.contains("above floor")
        && printed.contains(CpuBudget.KERNEL_ROW) && printed.contains("floor cpu us per req"), printed);

    JsonNode document = new ObjectMapper().readTree(json.toFile());
    JsonNode rounds = document.path("settings").path("profile_warmup_rounds");
    assertTrue(rounds.isInt() && rounds.asInt() <= CpuProfiler.MAX_WARMUP_ROUNDS, document.path("settings").toString());
    assertEquals(rounds.asInt(), document.path("settings").path("profile_warmup_jit_share_by_round").size());
    JsonNode profile = document.path("ratios").path("profile");
    List<String> keys = new ArrayList<>();
    profile.fieldNames().forEachRemaining(keys::add);
    assertEquals(KEYS, keys);
    double decode = 0;
    double compute = 0;
    for (String key : KEYS) {
      JsonNode budget = profile.path(key);
      assertTrue(budget.path("requests").asLong() > 0, key + ": " + budget);
      JsonNode perRequest = budget.path("cpu_us_per_request");
      assertTrue(perRequest.path("total").asDouble() > 0, key + ": " + budget);
      double stages = 0;
      for (Stage stage : CpuBudget.shownStages()) {
        stages += perRequest.path(stage.label()).asDouble();
      }
      assertEquals(perRequest.path("total").asDouble(), stages, 0.1 * CpuBudget.shownStages().size(),
          key + ": the stages add up to the total");
      // A server that reads and writes sockets spends some of its time in system calls, never more than its total.
      double kernel = budget.path("kernel_cpu_us_per_request").asDouble(-1);
      assertTrue(kernel > 0 && kernel <= perRequest.path("total").asDouble() + 0.1, key + ": " + budget);
      decode += perRequest.path("decode").asDouble();
      compute += perRequest.path("compute").asDouble();
    }
    assertTrue(decode > 0, profile.toString());
    assertTrue(compute > 0, profile.toString());

    JsonNode floors = document.path("ratios").path("profile_transport_floor");
    List<String> floorKeys = new ArrayList<>();
    floors.fieldNames().forEachRemaining(floorKeys::add);
    assertEquals(KEYS, floorKeys);
    for (String key : KEYS) {
      JsonNode floor = floors.path(key);
      assertTrue(floor.path("requests").asLong() > 0, key + ": " + floor);
      double floorTotal = floor.path("cpu_us_per_request").path("total").asDouble();
      assertTrue(floorTotal > 0, key + ": " + floor);
      assertEquals(0, floor.path("cpu_us_per_request").path("compute").asDouble(), 0.05,
          key + ": the floor runs no model: " + floor);
      JsonNode gateway = profile.path(key);
      assertEquals(floorTotal, gateway.path("transport_floor_cpu_us_per_request").asDouble(), 0.05, key);
      double floorKernel = floor.path("kernel_cpu_us_per_request").asDouble(-1);
      assertTrue(floorKernel > 0 && floorKernel <= floorTotal + 0.1, key + ": " + floor);
      assertEquals(floorKernel, gateway.path("transport_floor_kernel_cpu_us_per_request").asDouble(), 0.05, key);
      assertEquals(gateway.path("cpu_us_per_request").path("total").asDouble() - floorTotal,
          gateway.path("above_floor_cpu_us_per_request").asDouble(), 0.15, key + ": the gateway above its floor");
    }

    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    factory.setNamespaceAware(true);
    Document page = factory.newDocumentBuilder().parse(html.toFile());
    NodeList svgs = page.getElementsByTagNameNS(SVG, "svg");
    int flames = 0;
    for (int i = 0; i < svgs.getLength(); i++) {
      Element svg = (Element) svgs.item(i);
      if (svg.getAttribute("class").equals("flame")) {
        flames++;
        assertTrue(svg.getElementsByTagNameNS(SVG, "rect").getLength() > 1, "a flame graph with frames");
      }
    }
    assertEquals(KEYS.size(), flames);
    assertEquals(0, page.getElementsByTagNameNS("*", "script").getLength(), "the bench page stays script-free");

    try (Stream<Path> written = Files.list(files)) {
      assertEquals(4 * KEYS.size(), written.count(), "the gateway's and the floor's stacks and pages");
    }
    assertTrue(Files.exists(files.resolve("floor.identity_fp32.grpc.collapsed")));
    String collapsed = Files.readString(files.resolve("recommender_mlp.http-binary.collapsed"));
    assertTrue(FlameGraph.parseCollapsed(collapsed).values().stream().mapToLong(Long::longValue).sum() > 0);
    factory.newDocumentBuilder().parse(files.resolve("identity_fp32.grpc.html").toFile());
  }
}
