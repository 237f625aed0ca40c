package dev.neutrino.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway under test as a child process, so that it can have cores of its own: the same JVM
 * binary as this one running the gateway's jar ({@code -Dneutrino.gateway.jar}, else
 * {@code gateway/target/neutrino-gateway.jar} under {@code -Dneutrino.home}, both set by
 * {@code ./neutrino}), or this JVM's class path when there is no jar (the load tester's jar and its
 * tests hold the gateway), on loopback ports the system picks (0, read back from the line the server
 * prints once it listens: a port chosen here and freed before the child binds it can be taken by
 * anything else in between), optionally started under {@code taskset -c}.
 *
 * <p>{@link #start} returns once {@code /v2/health/ready} answers 200. {@link #close} stops it
 * (SIGTERM, then SIGKILL after {@link #STOP_GRACE}) and waits until it has exited; a shutdown hook
 * does the same when this JVM ends first (Ctrl-C), so no gateway outlives the bench. Its output goes
 * to a temporary log, quoted when it fails to start and deleted on close. The naive server runs the
 * same way ({@link #startNaive}), so that it is measured on the same cores.
 *
 * <p>A server may also start on more cores than it is measured on, to warm up there: it is sized for
 * its own cores ({@code -XX:ActiveProcessorCount}, so that its event loops, model instances and
 * collector are those it would have on them alone) and runs on the warm-up cores until
 * {@link #pinToItsCores()}. A gateway started on one core compiles its request path with the JIT's
 * threads sharing that core with its busy ones: on 2 vCPUs, one was still speeding up after 15 s of
 * load (1 s closed-loop windows from 1k to 16k requests/s, and 7k at the end in another run).
 */
final class GatewayProcess implements AutoCloseable {
  static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
  static final Duration STOP_GRACE = Duration.ofSeconds(10);
  static final String MAIN_CLASS = "dev.neutrino.gateway.Main";
  /** The system property naming the gateway's jar. */
  static final String JAR_PROPERTY = "neutrino.gateway.jar";
  private static final int LOG_LINES_QUOTED = 40;
  /** What the gateway prints once it listens (see its Main). */
  private static final Pattern GATEWAY_LISTENING =
      Pattern.compile("neutrino listening http=\\S*:(\\d+) grpc=\\S*:(\\d+)");
  /** What {@link NaiveServer#main} prints once it listens. */
  private static final Pattern NAIVE_LISTENING = Pattern.compile("naive server on port (\\d+)");

  private final Process process;
  private final int httpPort;
  private final int grpcPort;
  private final Path log;
  private final Thread hook;
  private final String description;
  private final Optional<Path> taskset;
  /** The cores {@link #pinToItsCores()} pins it to; empty once it is there, or when it started there or unpinned. */
  private List<Integer> pendingCores;

  private GatewayProcess(Process process, int httpPort, int grpcPort, Path log, Thread hook, String description,
      Optional<Path> taskset, List<Integer> pendingCores) {
    this.process = process;
    this.httpPort = httpPort;
    this.grpcPort = grpcPort;
    this.log = log;
    this.hook = hook;
    this.description = description;
    this.taskset = taskset;
    this.pendingCores = pendingCores;
  }

  /**
   * The command that runs the gateway with these JVM options (a collector, a heap size), before its flags.
   *
   * @throws IllegalArgumentException when {@code -Dneutrino.gateway.jar} names no file
   */
  static List<String> javaCommand(List<String> javaOptions) {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> command = new ArrayList<>(List.of(java));
    command.addAll(javaOptions);
    Path jar = gatewayJar();
    if (jar != null) {
      command.addAll(List.of("-jar", jar.toString()));
    } else {
      command.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS));
    }
    return List.copyOf(command);
  }

  /** The gateway's jar, found as {@code ./neutrino} finds it; null when there is none. */
  static Path gatewayJar() {
    String explicit = System.getProperty(JAR_PROPERTY, "");
    if (!explicit.isEmpty()) {
      Path jar = Path.of(explicit);
      if (!Files.isRegularFile(jar)) {
        throw new IllegalArgumentException("-D" + JAR_PROPERTY + " names no file: " + jar);
      }
      return jar;
    }
    String home = System.getProperty("neutrino.home", "");
    if (!home.isEmpty()) {
      Path jar = Path.of(home, "gateway", "target", "neutrino-gateway.jar");
      if (Files.isRegularFile(jar)) {
        return jar;
      }
    }
    return null;
  }

  /**
   * Starts a gateway over {@code repository} with {@code flags} (those of {@code neutrino serve}; its
   * ports and repository are set here) and waits until it is ready.
   *
   * @param command {@link #javaCommand(List)}, or another way to run the gateway's main class
   * @param taskset taskset, to pin the gateway to {@code cores}; empty to leave it unpinned
   * @throws IOException when it cannot be started or is not ready within {@link #READY_TIMEOUT} (the
   *     message quotes the end of its output); the process is gone by then
   */
  static GatewayProcess start(List<String> command, Optional<Path> taskset, List<Integer> cores, Path repository,
      List<String> flags) throws IOException {
    return start(command, taskset, cores, List.of(), repository, flags);
  }

  /**
   * As {@link #start(List, Optional, List, Path, List)}, started on {@code warmUpCores} and sized for
   * {@code cores} until {@link #pinToItsCores()} (see the class comment); an empty {@code warmUpCores}
   * pins it to {@code cores} from the start.
   */
  static GatewayProcess start(List<String> command, Optional<Path> taskset, List<Integer> cores,
      List<Integer> warmUpCores, Path repository, List<String> flags) throws IOException {
    List<String> argv = new ArrayList<>(command);
    argv.addAll(List.of("--http-port", "0", "--grpc-port", "0", "--metrics-port", "0",
        "--model-repository", repository.toString()));
    argv.addAll(flags);
    return launch(argv, taskset, cores, warmUpCores, GATEWAY_LISTENING);
  }

  /**
   * Starts the naive server ({@link NaiveServer#main}) the same way, from this JVM's class path.
   */
  static GatewayProcess startNaive(Optional<Path> taskset, List<Integer> cores, List<Integer> warmUpCores,
      Path modelFile, String model, int workers, int intraOpThreads) throws IOException {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    return launch(List.of(java, "-cp", System.getProperty("java.class.path"), NaiveServer.class.getName(),
        "0", modelFile.toString(), model, Integer.toString(workers),
        Integer.toString(intraOpThreads)), taskset, cores, warmUpCores, NAIVE_LISTENING);
  }

  private static GatewayProcess launch(List<String> command, Optional<Path> taskset, List<Integer> cores,
      List<Integer> warmUpCores, Pattern listening) throws IOException {
    List<String> argv = new ArrayList<>();
    boolean pinned = taskset.isPresent() && !cores.isEmpty();
    boolean warmsUpElsewhere = pinned && !warmUpCores.isEmpty() && !warmUpCores.equals(cores);
    if (pinned) {
      argv.addAll(List.of(taskset.get().toString(), "-c", Cpus.list(warmsUpElsewhere ? warmUpCores : cores)));
    }
    argv.addAll(command);
    if (warmsUpElsewhere) {
      argv.add(argv.indexOf(command.get(0)) + 1, "-XX:ActiveProcessorCount=" + cores.size());
    }
    Path log = Files.createTempFile("neutrino-bench-server-", ".log");
    Process process;
    try {
      process = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    } catch (IOException e) {
      Files.deleteIfExists(log);
      throw new IOException("cannot start " + String.join(" ", argv) + ": " + e.getMessage(), e);
    }
    Thread hook = new Thread(() -> kill(process), "neutrino-bench-server-reaper");
    Runtime.getRuntime().addShutdownHook(hook);
    String description = "pid " + process.pid() + (!pinned ? " unpinned"
        : warmsUpElsewhere ? " sized for " + cores.size() + " core(s), on core(s) " + Cpus.list(warmUpCores)
            + " while it warms up, then pinned to core(s) " + Cpus.list(cores)
        : " pinned to core(s) " + Cpus.list(cores));
    int[] ports;
    try {
      ports = awaitPorts(process, log, listening);
    } catch (IOException | RuntimeException e) {
      discard(process, hook, log);
      throw e;
    }
    GatewayProcess server = new GatewayProcess(process, ports[0], ports[1], log, hook, description, taskset,
        warmsUpElsewhere ? List.copyOf(cores) : List.of());
    try {
      server.awaitReady();
      return server;
    } catch (IOException | RuntimeException e) {
      server.close();
      throw e;
    }
  }

  Endpoint http() {
    return Endpoint.http("127.0.0.1", httpPort);
  }

  /** The gRPC endpoint; null for the naive server, which has none. */
  Endpoint grpc() {
    return grpcPort > 0 ? Endpoint.grpc("127.0.0.1", grpcPort) : null;
  }

  /** The process, to check it is gone after {@link #close}. */
  ProcessHandle handle() {
    return process.toHandle();
  }

  /** Whether it runs on its warm-up cores still, until {@link #pinToItsCores()}. */
  boolean warmingUp() {
    return !pendingCores.isEmpty();
  }

  /** Pins every thread of it to its own cores, after a warm-up elsewhere; nothing when it is there already. */
  void pinToItsCores() throws IOException {
    if (warmingUp()) {
      Cpus.pin(taskset.orElseThrow(), process.pid(), pendingCores);
      pendingCores = List.of();
    }
  }

  /** "pid N pinned to core(s) 1", for reports. */
  String description() {
    return description;
  }

  private void awaitReady() throws IOException {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v2/health/ready"))
        .timeout(Duration.ofSeconds(5)).GET().build();
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("the server exited with status " + process.exitValue() + " before it was ready; "
            + "its output ends:\n" + tail(log));
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // Not listening yet.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for the gateway", e);
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the server was not ready within " + READY_TIMEOUT.toSeconds() + " s; its output "
            + "ends:\n" + tail(log));
      }
      pause(100, "the gateway");
    }
  }

  /** Sleeps between two looks at a starting server; an interruption ends the wait with an IOException. */
  private static void pause(long millis, String waitingFor) throws IOException {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for " + waitingFor, e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_LINES_QUOTED), lines.size()));
    } catch (IOException e) {
      return "(its log cannot be read: " + e.getMessage() + ")";
    }
  }

  /** Stops the gateway and waits until it, and anything it started, has exited. */
  @Override
  public void close() {
    discard(process, hook, log);
  }

  /** Stops {@code process}, drops its reaper hook and deletes its log. */
  private static void discard(Process process, Thread hook, Path log) {
    kill(process);
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // This JVM is shutting down: the hook runs (and finds the process gone).
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      // A temporary file: removed with the system's temporary files.
    }
  }

  private static void kill(Process process) {
    List<ProcessHandle> children = process.descendants().toList();
    process.destroy();
    boolean exited;
    try {
      exited = process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      if (!exited) {
        process.destroyForcibly();
        process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    children.forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * The HTTP and gRPC ports (-1 for none) in the line the server prints once it listens, read from its
   * log as it grows, within {@link #READY_TIMEOUT}.
   */
  private static int[] awaitPorts(Process process, Path log, Pattern listening) throws IOException {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      boolean exited = !process.isAlive();
      Matcher m = listening.matcher(Files.readString(log, StandardCharsets.UTF_8));
      if (m.find()) {
        return new int[] {Integer.parseInt(m.group(1)), m.groupCount() > 1 ? Integer.parseInt(m.group(2)) : -1};
      }
      if (exited) {
        throw new IOException("the server exited with status " + process.exitValue() + " before it listened; "
            + "its output ends:\n" + tail(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the server did not listen within " + READY_TIMEOUT.toSeconds() + " s; its output "
            + "ends:\n" + tail(log));
      }
      pause(50, "the server to listen");
    }
  }
}
