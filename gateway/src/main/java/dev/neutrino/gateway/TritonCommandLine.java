package dev.neutrino.gateway;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code tritonserver}'s command line, read with Triton's flag names and meanings and turned into
 * the flags of {@code neutrino serve}, so a Triton start command for an ONNX repository starts
 * Neutrino unchanged. A Triton flag Neutrino does not honour is refused by name; so is a value that
 * asks for something Neutrino cannot do (HTTP turned off, a backend setting
 * other than {@code default-max-batch-size}). Flags take {@code --flag=value} or {@code --flag value};
 * Triton's boolean flags take {@code true}/{@code false} (alone they mean true).
 */
public final class TritonCommandLine {
  /** Triton's flags that take no value when given alone. */
  private static final List<String> SWITCHES = List.of(
      "allow-http", "allow-grpc", "allow-metrics", "strict-readiness", "strict-model-config",
      "disable-auto-complete-config", "log-info", "log-warning", "log-error");

  private TritonCommandLine() {}

  /**
   * The {@code neutrino serve} arguments that mean what {@code args} mean to {@code tritonserver}.
   *
   * @throws IllegalArgumentException naming the flag that is unknown or not supported, or its bad value
   */
  public static List<String> translate(String[] args) {
    Map<String, String> serve = new LinkedHashMap<>();
    List<String> loadModels = new ArrayList<>();
    List<String> repositories = new ArrayList<>();
    Map<String, String> addresses = new LinkedHashMap<>();
    String logLevel = null;
    boolean logInfo = true;
    boolean logWarning = true;
    int verbose = 0;
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      String flag = arg.substring(2);
      String value = null;
      int equals = flag.indexOf('=');
      if (equals >= 0) {
        value = flag.substring(equals + 1);
        flag = flag.substring(0, equals);
      } else if (SWITCHES.contains(flag)) {
        if (i + 1 < args.length && (args[i + 1].equalsIgnoreCase("true") || args[i + 1].equalsIgnoreCase("false"))) {
          value = args[++i];
        } else {
          value = "true";
        }
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException("--" + flag + " needs a value");
      }
      switch (flag) {
        case "model-repository", "model-store" -> repositories.add(value);
        case "http-port", "grpc-port", "metrics-port", "model-control-mode", "repository-poll-secs",
            "exit-timeout-secs", "model-load-thread-count" -> serve.put(flag, integerOrWord(flag, value));
        case "load-model" -> loadModels.add(value);
        case "http-address", "grpc-address", "metrics-address" -> addresses.put(flag, value);
        case "allow-http", "allow-grpc" -> {
          if (!bool(flag, value)) {
            throw new IllegalArgumentException("--" + flag + "=false is not supported: Neutrino always serves "
                + "HTTP and gRPC");
          }
        }
        case "allow-metrics" -> {
          if (!bool(flag, value)) {
            serve.put("metrics-port", "-1");
          }
        }
        case "strict-readiness" -> {
          if (!bool(flag, value)) {
            throw new IllegalArgumentException("--strict-readiness=false is not supported: readiness always "
                + "requires every model to be ready");
          }
        }
        case "strict-model-config", "disable-auto-complete-config" ->
            serve.put("disable-auto-complete-config", Boolean.toString(bool(flag, value)));
        case "backend-config" -> backendConfig(value, serve);
        case "response-cache-byte-size" -> serve.put("response-cache-bytes", integerOrWord(flag, value));
        case "cache-config" -> cacheConfig(value, serve);
        case "log-verbose" -> verbose = Integer.parseInt(integerOrWord(flag, value));
        case "log-info" -> logInfo = bool(flag, value);
        case "log-warning" -> logWarning = bool(flag, value);
        case "log-error" -> bool(flag, value); // errors are always logged
        default -> throw new IllegalArgumentException("tritonserver flag --" + flag + " is not supported");
      }
    }
    if (addresses.values().stream().distinct().count() > 1) {
      throw new IllegalArgumentException("different --http-address, --grpc-address and --metrics-address are not "
          + "supported: Neutrino binds one address, got " + addresses);
    }
    if (!addresses.isEmpty()) {
      serve.put("host", addresses.values().iterator().next());
    }
    if (verbose > 0) {
      logLevel = "debug";
    } else if (!logInfo) {
      logLevel = logWarning ? "warn" : "error";
    }
    if (logLevel != null) {
      serve.put("log-level", logLevel);
    }
    List<String> result = new ArrayList<>();
    serve.forEach((flag, value) -> {
      result.add("--" + flag);
      result.add(value);
    });
    for (String repository : repositories) {
      result.add("--model-repository");
      result.add(repository);
    }
    for (String model : loadModels) {
      result.add("--load-model");
      result.add(model);
    }
    return result;
  }

  /** {@code onnxruntime,default-max-batch-size=N} or {@code default-max-batch-size=N}: nothing else. */
  private static void backendConfig(String value, Map<String, String> serve) {
    String setting = value;
    int comma = value.indexOf(',');
    if (comma >= 0) {
      String backend = value.substring(0, comma);
      if (!backend.equals("onnxruntime")) {
        throw new IllegalArgumentException("--backend-config for backend '" + backend
            + "' is not supported: Neutrino serves the onnxruntime backend");
      }
      setting = value.substring(comma + 1);
    }
    int equals = setting.indexOf('=');
    String key = equals < 0 ? setting : setting.substring(0, equals);
    if (!key.equals("default-max-batch-size") || equals < 0) {
      throw new IllegalArgumentException("--backend-config setting '" + key + "' is not supported "
          + "(only default-max-batch-size is)");
    }
    serve.put("default-max-batch-size", integerOrWord("backend-config default-max-batch-size",
        setting.substring(equals + 1)));
  }

  /** {@code local,size=N}: the local cache of N bytes; other caches are refused. */
  private static void cacheConfig(String value, Map<String, String> serve) {
    int comma = value.indexOf(',');
    String cache = comma < 0 ? value : value.substring(0, comma);
    if (!cache.equals("local")) {
      throw new IllegalArgumentException("--cache-config cache '" + cache + "' is not supported (only local is)");
    }
    String setting = comma < 0 ? "" : value.substring(comma + 1);
    if (!setting.startsWith("size=")) {
      throw new IllegalArgumentException("--cache-config local setting '" + setting + "' is not supported "
          + "(only size is)");
    }
    serve.put("response-cache-bytes", integerOrWord("cache-config local size", setting.substring("size=".length())));
  }

  private static boolean bool(String flag, String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true", "1", "on", "yes" -> true;
      case "false", "0", "off", "no" -> false;
      default -> throw new IllegalArgumentException("--" + flag + " takes true or false, got '" + value + "'");
    };
  }

  /** A number flag's value, checked to be a whole number; the control mode's word as it is. */
  private static String integerOrWord(String flag, String value) {
    if (flag.equals("model-control-mode")) {
      return value;
    }
    try {
      return Long.toString(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + flag + " must be a whole number, got '" + value + "'");
    }
  }
}
