package dev.neutrino.helm;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The instructions of the root Dockerfile that the chart and the tests depend on, read from the file. */
record Dockerfile(List<String> entrypoint, List<String> cmd, List<Integer> exposed, String user,
    List<String> copies) {

  static final Path ROOT = Path.of("..", "Dockerfile");
  /** Where the image holds the example repository (the chart's modelRepository.path). */
  static final String IMAGE_MODELS = "/opt/neutrino/models";
  /** Where the image holds the gateway's jar. */
  static final String IMAGE_JAR = "/opt/neutrino/neutrino-gateway.jar";

  static Dockerfile read(Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<String> entrypoint = List.of();
    List<String> cmd = List.of();
    List<Integer> exposed = new ArrayList<>();
    String user = null;
    List<String> copies = new ArrayList<>();
    // Instructions continue over lines ending in a backslash; comments are whole lines.
    String text = Files.readString(file).replaceAll("\\\\\\n", " ");
    for (String line : text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList()) {
      String[] parts = line.split("\\s+", 2);
      String rest = parts.length > 1 ? parts[1] : "";
      switch (parts[0].toUpperCase()) {
        case "ENTRYPOINT" -> entrypoint = json.readValue(rest, new TypeReference<List<String>>() {});
        case "CMD" -> cmd = json.readValue(rest, new TypeReference<List<String>>() {});
        case "EXPOSE" -> {
          for (String port : rest.split("\\s+")) {
            exposed.add(Integer.parseInt(port.replace("/tcp", "")));
          }
        }
        case "USER" -> user = rest;
        case "COPY" -> copies.add(rest);
        default -> { }
      }
    }
    return new Dockerfile(entrypoint, cmd, exposed, user, copies);
  }
}
