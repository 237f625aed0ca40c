package dev.neutrino.helm;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The chart {@code helm/neutrino} under the real Helm (helm-java runs Helm's own code in-process):
 * rendered as release {@value #RELEASE} in namespace {@value #NAMESPACE} with a YAML overlay of values, and
 * linted strictly with an overlay (Helm's lint reads only the chart's values.yaml, so the overlay is merged
 * into a copy of the chart).
 */
final class Chart {

  static final Path DIR = Path.of("neutrino").toAbsolutePath();
  static final String RELEASE = "demo";
  static final String NAMESPACE = "serving";
  /** What the chart names its objects for {@link #RELEASE}. */
  static final String FULLNAME = RELEASE + "-neutrino";
  static final String KUBE_VERSION = "1.30.0";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();

  private Chart() {}

  /**
   * The rendered manifests with the given values overlays (later ones win), or an exception carrying Helm's
   * error (a schema violation, a failed required).
   */
  static String template(String... overlays) throws IOException {
    List<Path> files = new ArrayList<>();
    try {
      com.marcnuri.helm.TemplateCommand template = new Helm(DIR).template().withName(RELEASE).withNamespace(NAMESPACE)
          .withKubeVersion(KUBE_VERSION);
      for (String values : overlays) {
        Path file = Files.createTempFile("values-", ".yaml");
        files.add(file);
        Files.writeString(file, values.isBlank() ? "{}\n" : values);
        template.withValuesFile(file);
      }
      return template.call();
    } finally {
      for (Path file : files) {
        Files.deleteIfExists(file);
      }
    }
  }

  static Rendered render(String valueSet) throws IOException {
    String manifests = template(values(valueSet));
    return new Rendered(valueSet, manifests, parse(manifests));
  }

  /**
   * The chart's {@code helm test} hooks under a value set. helm-java's template leaves hooks out, so this
   * renders a copy of the chart whose test templates are ordinary ones (moved, their hook annotations dropped).
   */
  static Rendered renderTests(String valueSet) throws IOException {
    Path copy = Files.createTempDirectory("chart-");
    Path file = Files.createTempFile("values-", ".yaml");
    try {
      Path chart = copy.resolve("neutrino");
      copyTree(DIR, chart);
      Path tests = chart.resolve("templates").resolve("tests");
      try (Stream<Path> hooks = Files.list(tests)) {
        for (Path hook : (Iterable<Path>) hooks::iterator) {
          String text = Files.readString(hook).lines().filter(l -> !l.contains("helm.sh/hook"))
              .reduce("", (a, b) -> a + b + "\n");
          Files.writeString(chart.resolve("templates").resolve("test-hook-" + hook.getFileName()), text);
          Files.delete(hook);
        }
      }
      String values = values(valueSet);
      Files.writeString(file, values.isBlank() ? "{}\n" : values);
      String manifests = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE)
          .withKubeVersion(KUBE_VERSION).withValuesFile(file).call();
      return new Rendered(valueSet, manifests, parse(manifests));
    } finally {
      Files.deleteIfExists(file);
      deleteTree(copy);
    }
  }

  private static String values(String valueSet) {
    String values = ValueSets.ALL.get(valueSet);
    if (values == null) {
      throw new IllegalArgumentException("no value set " + valueSet + " in " + ValueSets.ALL.keySet());
    }
    return values;
  }

  /** Every document of a multi-document stream as a typed fabric8 object (generic for kinds it has no type of). */
  static List<HasMetadata> parse(String manifests) {
    List<HasMetadata> objects = new ArrayList<>();
    for (String document : manifests.split("(?m)^---\\s*$")) {
      String body = document.lines().filter(l -> !l.startsWith("#")).reduce("", (a, b) -> a + b + "\n");
      if (body.isBlank()) {
        continue;
      }
      objects.add(KUBERNETES.unmarshal(document, HasMetadata.class));
    }
    return objects;
  }

  /** Helm's strict lint of a copy of the chart whose values.yaml has the value set merged in. */
  static LintResult lint(String valueSet) throws IOException {
    Path copy = Files.createTempDirectory("chart-");
    try {
      Path chart = copy.resolve("neutrino");
      copyTree(DIR, chart);
      Map<String, Object> values = YAML.readValue(DIR.resolve("values.yaml").toFile(), new TypeReference<>() {});
      String overlay = ValueSets.ALL.get(valueSet);
      if (!overlay.isBlank()) {
        merge(values, YAML.readValue(overlay, new TypeReference<Map<String, Object>>() {}));
      }
      YAML.writeValue(chart.resolve("values.yaml").toFile(), values);
      return new Helm(chart).lint().strict().call();
    } finally {
      deleteTree(copy);
    }
  }

  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> into, Map<String, Object> overlay) {
    for (Map.Entry<String, Object> e : overlay.entrySet()) {
      Object old = into.get(e.getKey());
      if (old instanceof Map<?, ?> oldMap && e.getValue() instanceof Map<?, ?> newMap) {
        Map<String, Object> merged = new LinkedHashMap<>((Map<String, Object>) oldMap);
        merge(merged, (Map<String, Object>) newMap);
        into.put(e.getKey(), merged);
      } else {
        into.put(e.getKey(), e.getValue());
      }
    }
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> paths = Files.walk(from)) {
      for (Path p : (Iterable<Path>) paths::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
