package dev.neutrino.helm;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The rendered gateway container as a local process: the image's entrypoint (from the Dockerfile, with the
 * image's jar and repository mapped to the built ones), the container's args and environment, and its
 * volumes (ConfigMaps, Secrets, emptyDirs) written to a folder. Container paths are mapped to that folder
 * in the args and in the files; the ports are replaced by 0 (the system picks them; {@link #start} reads
 * them back from the line the gateway prints once it listens) and the host by loopback. Nothing
 * else is changed, so a flag or key the chart passes that the gateway does not know fails the start.
 */
final class LocalPod {

  final List<String> command;
  final Map<String, String> env;
  /** The ports the gateway listens on, by name (http, grpc, metrics), known once {@link #start} returns. */
  final Map<String, Integer> ports = new LinkedHashMap<>();
  final Path dir;
  private static final List<String> PORTS = List.of("http", "grpc", "metrics");
  private static final Pattern LISTENING =
      Pattern.compile("neutrino listening http=\\S*:(\\d+) grpc=\\S*:(\\d+) metrics=\\S*:(\\d+)");

  private LocalPod(List<String> command, Map<String, String> env, Path dir) {
    this.command = command;
    this.env = env;
    this.dir = dir;
  }

  static LocalPod of(Rendered r, Path dir) throws IOException {
    return of(r, dir, Gateways.exampleRepository());
  }

  /** As {@link #of(Rendered, Path)}, with {@code repository} standing for the image's model repository. */
  static LocalPod of(Rendered r, Path dir, Path repository) throws IOException {
    Container container = r.gatewayContainer();
    PodSpec pod = r.gatewayDeployment().getSpec().getTemplate().getSpec();
    Dockerfile image = Dockerfile.read(Dockerfile.ROOT);

    Map<String, String> paths = new LinkedHashMap<>();
    paths.put(Dockerfile.IMAGE_JAR, Gateways.jar().toString());
    paths.put(Dockerfile.IMAGE_MODELS, repository.toString());
    for (VolumeMount mount : container.getVolumeMounts()) {
      Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(mount.getName())).findFirst()
          .orElseThrow(() -> new AssertionError("no volume " + mount.getName()));
      Path local = Files.createDirectories(dir.resolve("volumes").resolve(mount.getName()));
      paths.put(mount.getMountPath(), local.toString());
      if (volume.getConfigMap() != null) {
        ConfigMap map = r.configMap(volume.getConfigMap().getName());
        for (Map.Entry<String, String> file : map.getData().entrySet()) {
          Files.writeString(local.resolve(file.getKey()), file.getValue());
        }
      } else if (volume.getSecret() != null) {
        Secret secret = r.get(Secret.class, volume.getSecret().getSecretName());
        List<KeyToPath> items = volume.getSecret().getItems();
        for (Map.Entry<String, String> file : secret.getData().entrySet()) {
          String name = items == null || items.isEmpty() ? file.getKey() : items.stream()
              .filter(i -> i.getKey().equals(file.getKey())).map(KeyToPath::getPath).findFirst().orElse(null);
          if (name != null) {
            Files.write(local.resolve(name), Base64.getDecoder().decode(file.getValue()));
          }
        }
      } else if (volume.getEmptyDir() == null) {
        throw new AssertionError("volume " + volume.getName() + " is of a kind this test cannot provide locally");
      }
    }
    // Longest container path first, so that /etc/neutrino/config wins over a shorter prefix.
    List<Map.Entry<String, String>> byLength = new ArrayList<>(paths.entrySet());
    byLength.sort(Comparator.comparingInt((Map.Entry<String, String> e) -> e.getKey().length()).reversed());
    try (var files = Files.walk(dir.resolve("volumes"))) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String text = Files.readString(file, StandardCharsets.ISO_8859_1);
        Files.writeString(file, mapPaths(text, byLength), StandardCharsets.ISO_8859_1);
      }
    }

    List<String> command = new ArrayList<>();
    List<String> entrypoint = container.getCommand() == null || container.getCommand().isEmpty()
        ? image.entrypoint() : container.getCommand();
    for (String word : entrypoint) {
      command.add(word.equals("java") ? Gateways.java().toString() : mapPaths(word, byLength));
    }
    List<String> args = container.getArgs() == null || container.getArgs().isEmpty() ? image.cmd() : container.getArgs();
    for (String arg : args) {
      String mapped = mapPaths(arg, byLength);
      for (String port : PORTS) {
        if (mapped.startsWith("--" + port + "-port=")) {
          mapped = "--" + port + "-port=0";
        }
      }
      if (mapped.startsWith("--host=")) {
        mapped = "--host=127.0.0.1"; // tests listen on loopback only
      }
      command.add(mapped);
    }
    // /tmp is the pod's emptyDir: the JVM's temporary folder goes to the mounted one.
    String tmp = paths.get("/tmp");
    if (tmp == null) {
      throw new AssertionError("the gateway container mounts no /tmp");
    }
    command.replaceAll(w -> w.equals("-Djava.io.tmpdir=/tmp") ? "-Djava.io.tmpdir=" + tmp : w);

    Map<String, String> env = new LinkedHashMap<>();
    if (container.getEnv() != null) {
      for (EnvVar var : container.getEnv()) {
        if (var.getValueFrom() != null) {
          throw new AssertionError("env " + var.getName() + " comes from the cluster; this test cannot provide it");
        }
        env.put(var.getName(), mapPaths(var.getValue(), byLength));
      }
    }
    return new LocalPod(command, env, dir);
  }

  /** Container paths to local ones in one pass (a mapped path is never mapped again). */
  private static String mapPaths(String text, List<Map.Entry<String, String>> byLength) {
    String alternatives = String.join("|", byLength.stream().map(e -> java.util.regex.Pattern.quote(e.getKey())).toList());
    Map<String, String> to = new java.util.HashMap<>();
    byLength.forEach(e -> to.put(e.getKey(), e.getValue()));
    return java.util.regex.Pattern.compile(alternatives).matcher(text)
        .replaceAll(m -> java.util.regex.Matcher.quoteReplacement(to.get(m.group())));
  }

  /** Starts the gateway and returns once it listens, its {@link #ports} known. */
  Process start(Path log) throws IOException, InterruptedException {
    Process process = Gateways.start(command, env, log);
    try {
      Matcher m = Gateways.awaitLine(process, log, LISTENING);
      for (int i = 0; i < PORTS.size(); i++) {
        ports.put(PORTS.get(i), Integer.parseInt(m.group(i + 1)));
      }
      return process;
    } catch (IOException | InterruptedException | RuntimeException | Error e) {
      Gateways.stop(process);
      throw e;
    }
  }

  java.net.URI url(String port, String path) {
    return java.net.URI.create("http://127.0.0.1:" + ports.get(port) + path);
  }
}
