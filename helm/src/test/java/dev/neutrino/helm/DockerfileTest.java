package dev.neutrino.helm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What can be checked of the images without building them (deploy/build-image.sh builds and runs one):
 * the entrypoint's flags exist in the gateway, the exposed ports are its defaults and the chart's, the
 * user is not root, and the chart's image paths are where the image puts things.
 */
class DockerfileTest {

  @Test
  void imageRunsTheGatewayAsNonRootOnItsDefaultPorts() throws Exception {
    for (Path file : List.of(Dockerfile.ROOT, Path.of("..", "Dockerfile.gpu"))) {
      Dockerfile image = Dockerfile.read(file);
      assertEquals("java", image.entrypoint().get(0), file + ": exec form, java first");
      assertTrue(image.entrypoint().stream().anyMatch(w -> w.startsWith("-XX:MaxRAMPercentage=")), file.toString());
      assertTrue(image.entrypoint().get(image.entrypoint().size() - 2).equals("-jar"), file.toString());
      assertEquals(List.of(8000, 8001, 8002), image.exposed(), file.toString());
      assertFalse(image.user().startsWith("0") || image.user().startsWith("root"), file + ": USER " + image.user());
      assertTrue(image.user().matches("[1-9][0-9]*(:[1-9][0-9]*)?"), "a numeric user, so runAsNonRoot can check it");
      assertTrue(image.copies().stream().anyMatch(c -> c.endsWith(" " + Dockerfile.IMAGE_MODELS)), file.toString());
    }
    Dockerfile image = Dockerfile.read(Dockerfile.ROOT);
    assertEquals(Dockerfile.IMAGE_JAR, image.entrypoint().get(image.entrypoint().size() - 1));
    String help = Gateways.help();
    for (String arg : image.cmd()) {
      String flag = arg.split("=", 2)[0];
      assertTrue(help.matches("(?s).*" + flag + "[=\\s].*"), () -> "the image passes " + flag + ", unknown to the gateway");
    }
    for (String port : List.of("8000", "8001", "8002")) {
      assertTrue(help.contains("default " + port), () -> "the gateway's default port " + port + ":\n" + help);
    }
  }

  @Test
  void chartPointsWhereTheImageHoldsThings() throws Exception {
    JsonNode values = new ObjectMapper(new YAMLFactory()).readTree(Chart.DIR.resolve("values.yaml").toFile());
    assertEquals(Dockerfile.IMAGE_MODELS, values.at("/modelRepository/path").asText());
    assertEquals(List.of(8000, 8001, 8002), List.of(values.at("/ports/http").asInt(), values.at("/ports/grpc").asInt(),
        values.at("/ports/metrics").asInt()));
    assertEquals(10001, values.at("/podSecurityContext/runAsUser").asInt());
    assertTrue(Dockerfile.read(Dockerfile.ROOT).user().startsWith("10001"), "the pod runs as the image's user");
  }
}
