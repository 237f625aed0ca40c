package dev.neutrino.gateway;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.neutrino.gateway.http.HttpOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The serving process's configuration: immutable, validated on construction, read from one YAML file
 * ({@code --config}) and overridden by command-line flags. Defaults follow Triton's where it has one.
 *
 * @param host the address the front ends bind
 * @param httpPort HTTP port; 0 picks a free one
 * @param modelRepository the repository folder
 * @param maxRequestBytes largest request body accepted
 * @param idleTimeoutSeconds idle connections are closed after this long
 * @param eventLoops event-loop threads; 0 means one per core
 * @param cpuThreads cores the model instances may use together; 0 means all
 */
public record GatewayConfig(
    String host,
    int httpPort,
    Path modelRepository,
    long maxRequestBytes,
    int idleTimeoutSeconds,
    int eventLoops,
    int cpuThreads) {

  public static final String DEFAULT_HOST = "127.0.0.1";
  public static final int DEFAULT_HTTP_PORT = 8000;
  public static final Path DEFAULT_MODEL_REPOSITORY = Path.of(
      System.getProperty("neutrino.home", "."), "model-repo", "target", "example-repository");

  public GatewayConfig {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(modelRepository, "model_repository");
    if (host.isBlank()) {
      throw new IllegalArgumentException("host must not be empty");
    }
    if (httpPort < 0 || httpPort > 65535) {
      throw new IllegalArgumentException("http_port must be between 0 and 65535, got " + httpPort);
    }
    new HttpOptions(maxRequestBytes, idleTimeoutSeconds); // validates both
    if (eventLoops < 0) {
      throw new IllegalArgumentException("event_loops must be >= 0, got " + eventLoops);
    }
    if (cpuThreads < 0) {
      throw new IllegalArgumentException("cpu_threads must be >= 0, got " + cpuThreads);
    }
  }

  public static GatewayConfig defaults() {
    return new GatewayConfig(DEFAULT_HOST, DEFAULT_HTTP_PORT, DEFAULT_MODEL_REPOSITORY,
        HttpOptions.DEFAULT_MAX_REQUEST_BYTES, HttpOptions.DEFAULT_IDLE_TIMEOUT_SECONDS, 0, 0);
  }

  public HttpOptions httpOptions() {
    return new HttpOptions(maxRequestBytes, idleTimeoutSeconds);
  }

  public GatewayConfig withHttpPort(int port) {
    return new GatewayConfig(host, port, modelRepository, maxRequestBytes, idleTimeoutSeconds, eventLoops, cpuThreads);
  }

  public GatewayConfig withModelRepository(Path repository) {
    return new GatewayConfig(host, httpPort, repository, maxRequestBytes, idleTimeoutSeconds, eventLoops, cpuThreads);
  }

  public GatewayConfig withMaxRequestBytes(long bytes) {
    return new GatewayConfig(host, httpPort, modelRepository, bytes, idleTimeoutSeconds, eventLoops, cpuThreads);
  }

  /** The configuration as YAML-style key/value pairs, for the start-up log. Nothing here is secret yet. */
  public Map<String, Object> describe() {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("host", host);
    out.put("http_port", httpPort);
    out.put("model_repository", modelRepository.toString());
    out.put("max_request_bytes", maxRequestBytes);
    out.put("idle_timeout_seconds", idleTimeoutSeconds);
    out.put("event_loops", eventLoops);
    out.put("cpu_threads", cpuThreads);
    return out;
  }

  /** The keys a configuration file may hold; every one optional. */
  record FileConfig(
      String host,
      Integer httpPort,
      String modelRepository,
      Long maxRequestBytes,
      Integer idleTimeoutSeconds,
      Integer eventLoops,
      Integer cpuThreads) {}

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * Reads a configuration file over the defaults.
   *
   * @throws IllegalArgumentException naming an unknown key or a bad value
   */
  public static GatewayConfig fromYaml(String yaml, GatewayConfig base) {
    FileConfig file;
    try {
      file = yaml.isBlank() ? null : YAML.readValue(yaml, FileConfig.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException("unknown configuration key '" + e.getPropertyName() + "'");
    } catch (JsonMappingException e) {
      throw new IllegalArgumentException("invalid configuration value: " + e.getOriginalMessage().split("\n")[0]);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("malformed configuration YAML: " + e.getOriginalMessage());
    }
    if (file == null) {
      return base;
    }
    return new GatewayConfig(
        file.host() != null ? file.host() : base.host(),
        file.httpPort() != null ? file.httpPort() : base.httpPort(),
        file.modelRepository() != null ? Path.of(file.modelRepository()) : base.modelRepository(),
        file.maxRequestBytes() != null ? file.maxRequestBytes() : base.maxRequestBytes(),
        file.idleTimeoutSeconds() != null ? file.idleTimeoutSeconds() : base.idleTimeoutSeconds(),
        file.eventLoops() != null ? file.eventLoops() : base.eventLoops(),
        file.cpuThreads() != null ? file.cpuThreads() : base.cpuThreads());
  }

  /**
   * Builds the configuration from command-line arguments: {@code --config FILE} first, then flags over it.
   *
   * @throws IllegalArgumentException naming an unknown flag or a bad value
   */
  public static GatewayConfig fromArgs(String[] args) throws IOException {
    Map<String, String> flags = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      String key;
      String value;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        key = arg.substring(2, eq);
        value = arg.substring(eq + 1);
      } else {
        key = arg.substring(2);
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("flag --" + key + " needs a value");
        }
        value = args[++i];
      }
      if (!FLAGS.containsKey(key)) {
        throw new IllegalArgumentException("unknown flag --" + key);
      }
      flags.put(key, value);
    }
    GatewayConfig config = defaults();
    if (flags.containsKey("config")) {
      config = fromYaml(Files.readString(Path.of(flags.get("config"))), config);
    }
    for (Map.Entry<String, String> flag : flags.entrySet()) {
      config = apply(config, flag.getKey(), flag.getValue());
    }
    return config;
  }

  /** The flags {@link #fromArgs} accepts, with their help text. */
  public static final Map<String, String> FLAGS = Map.of(
      "config", "YAML configuration file (flags override it)",
      "model-repository", "model repository folder (default: the example repository)",
      "host", "address to bind (default 127.0.0.1)",
      "http-port", "HTTP port (default 8000; 0 picks a free port)",
      "max-request-bytes", "largest request body accepted (default 64 MiB)",
      "idle-timeout-seconds", "close connections idle this long (default 120)",
      "event-loops", "event-loop threads (default: one per core)",
      "cpu-threads", "cores model instances may use together (default: all)");

  private static GatewayConfig apply(GatewayConfig c, String key, String value) {
    try {
      return switch (key) {
        case "config" -> c;
        case "model-repository" -> c.withModelRepository(Path.of(value));
        case "host" -> new GatewayConfig(value, c.httpPort, c.modelRepository, c.maxRequestBytes,
            c.idleTimeoutSeconds, c.eventLoops, c.cpuThreads);
        case "http-port" -> c.withHttpPort(Integer.parseInt(value));
        case "max-request-bytes" -> c.withMaxRequestBytes(Long.parseLong(value));
        case "idle-timeout-seconds" -> new GatewayConfig(c.host, c.httpPort, c.modelRepository, c.maxRequestBytes,
            Integer.parseInt(value), c.eventLoops, c.cpuThreads);
        case "event-loops" -> new GatewayConfig(c.host, c.httpPort, c.modelRepository, c.maxRequestBytes,
            c.idleTimeoutSeconds, Integer.parseInt(value), c.cpuThreads);
        case "cpu-threads" -> new GatewayConfig(c.host, c.httpPort, c.modelRepository, c.maxRequestBytes,
            c.idleTimeoutSeconds, c.eventLoops, Integer.parseInt(value));
        default -> throw new IllegalArgumentException("unknown flag --" + key);
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("flag --" + key + " needs a number, got '" + value + "'");
    }
  }
}
