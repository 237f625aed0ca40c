package dev.neutrino.autoscaler.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.neutrino.autoscaler.ActuationException;
import dev.neutrino.autoscaler.AutoscalerConfig;
import dev.neutrino.autoscaler.Backoff;
import dev.neutrino.autoscaler.Decider;
import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.MetricSource;
import dev.neutrino.autoscaler.MetricsUnavailableException;
import dev.neutrino.autoscaler.internal.AutoscalerMetrics;
import dev.neutrino.autoscaler.internal.LocalGatewayActuator;
import dev.neutrino.autoscaler.internal.PrometheusQuerySource;
import dev.neutrino.autoscaler.internal.ScrapeSource;
import dev.neutrino.autoscaler.internal.TargetController;
import dev.neutrino.autoscaler.sim.MeasuredColdStart;
import dev.neutrino.autoscaler.sim.PolicySetup;
import dev.neutrino.autoscaler.sim.SimulationResult;
import dev.neutrino.autoscaler.sim.SimulationSettings;
import dev.neutrino.autoscaler.sim.Simulator;
import dev.neutrino.autoscaler.sim.Trace;
import io.prometheus.client.CollectorRegistry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Replays a trace against a real gateway and simulates the same trace with the same settings.
 *
 * <h2>Design note</h2>
 *
 * <p><b>Time.</b> The trace runs {@code speedup} times faster than written: trace second {@code s}
 * lasts {@code 1/speedup} wall seconds. The policy and the decider run on {@link TraceClock} (trace
 * time), so their windows, intervals and cold-start horizon are compressed with the trace; the loop
 * ticks every {@code interval / speedup} wall seconds. What cannot be compressed is the gateway: a
 * request's latency and a load's duration are wall time. A load of {@code c} wall seconds is therefore
 * a cold start of {@code c x speedup} trace seconds, and that is the cold start the simulation takes.
 *
 * <p><b>Rates.</b> A trace's rates are divided by one factor so its peak becomes {@code peakRate}
 * requests per wall second, what this machine's gateway can serve. The load sends that many per wall
 * second; the simulation is given the same divided rates per (trace) second, with the service time
 * measured on the gateway and the given concurrency per instance. Every rate the autoscaler reads
 * (in flight, queued, answers per second) is then the same quantity in both: only the number of requests
 * in one trace second differs (the real one holds {@code 1/speedup} of the simulated one's), so shares
 * (late or dropped, SLO-violating seconds) compare, counts do not.
 *
 * <p><b>Real parts.</b> The gateway (its own child process or a running one), the load (open loop
 * following the trace, {@link TraceLoad}), the metrics (a direct scrape of the gateway's
 * {@code /metrics}, or a Prometheus of its own scraping it), the autoscaler's loop ({@link TargetController} with the {@code local} actuator,
 * which reloads the model with the instance count decided). Before the trace: the model is loaded with
 * the initial count (its load is the first cold start measured) and its service time is taken as the
 * median of sequential requests.
 */
public final class Replay {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration SCRAPE_TIMEOUT = Duration.ofSeconds(2);
  /** A reload with many instances on a busy machine can be slow; the loop waits this long at most. */
  private static final Duration LOAD_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration READY_WITHIN = Duration.ofSeconds(120);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration DRAIN = Duration.ofSeconds(35);
  private static final int PROBE_WARMUP = 5;
  private static final int PROBE_REQUESTS = 21;
  private static final double AUTO_PEAK_UTILIZATION = 0.7;
  /** The trace starts this long after the loop and the load are set up. */
  private static final Duration START_DELAY = Duration.ofMillis(300);

  private Replay() {}

  /**
   * Runs the replay and its simulation; blocks for the trace's length in wall time plus set-up and drain.
   *
   * @param workDir where the own gateway's log goes
   * @param progress a line at each step
   */
  public static ReplayOutcome run(String traceName, Trace trace, ReplaySettings s, Path workDir, PrintStream progress)
      throws IOException, InterruptedException {
    double wallSeconds = trace.seconds() / s.speedup();
    if (wallSeconds > s.maxWall().toSeconds()) {
      throw new IllegalArgumentException(String.format(Locale.ROOT,
          "replaying %ds of trace at speedup %s takes %.0fs, over %s: raise --speedup", trace.seconds(),
          number(s.speedup()), wallSeconds, DurationText.format(s.maxWall())));
    }
    if (trace.peak() <= 0) {
      throw new IllegalArgumentException(traceName + " has no requests to replay");
    }
    LongSupplier nanos = System::nanoTime;
    HttpClient http = HttpClient.newBuilder().connectTimeout(HTTP_TIMEOUT).build();
    GatewayProcess own = null;
    PrometheusProcess prometheus = null;
    try {
      URI gateway = s.gateway();
      if (gateway == null) {
        Path log = Files.createTempFile(Files.createDirectories(workDir), "replay-gateway-", ".log");
        progress.println("starting a gateway (" + s.gatewayJar() + ", log " + log + ")");
        own = GatewayProcess.start(s.gatewayJar(), s.modelRepository(), s.model(), log, READY_WITHIN,
            Duration.ofSeconds((long) wallSeconds).plus(Duration.ofMinutes(10)));
        gateway = own.http();
      }
      URI metrics = s.metricsOf(gateway, own == null ? null : own.metrics());
      awaitReady(http, gateway, s.model());
      byte[] body = inferBody(http, gateway, s.model());
      URI infer = URI.create(gateway + "/v2/models/" + segment(s.model()) + "/infer");

      RecordingActuator actuator = new RecordingActuator(
          new LocalGatewayActuator(http, gateway, s.model(), null, LOAD_TIMEOUT), nanos);
      String loadAverageBefore = loadAverage();
      progress.println("gateway " + gateway + ", metrics " + metrics + "; loading " + s.model() + " with "
          + s.initialReplicas() + " instance(s)");
      int before;
      try {
        before = actuator.read().current();
        actuator.apply(s.initialReplicas());
      } catch (ActuationException e) {
        throw new IOException("setting " + s.model() + " to " + s.initialReplicas() + " instances: " + e.getMessage());
      }
      Duration service = probeServiceTime(http, infer, body);
      double serviceSeconds = service.toNanos() / 1e9;
      double peakRate = Double.isNaN(s.peakRate())
          ? AUTO_PEAK_UTILIZATION * s.bounds().max() * s.replicaConcurrency() / serviceSeconds
          : s.peakRate();
      double divisor = trace.peak() / peakRate;
      double probeColdStart = actuator.changes().get(0).wallSeconds();
      progress.printf(Locale.ROOT, "service time %s (median of %d sequential requests); first load %.2fs; "
              + "rates / %.2f (peak %.0f/s -> %.1f/s)%n", DurationText.format(service), PROBE_REQUESTS,
          probeColdStart, divisor, trace.peak(), peakRate);

      SimulationSettings policySettings = settings(s, service, Duration.ofNanos(
          Math.round(probeColdStart * s.speedup() * 1e9)));
      PolicySetup setup = PolicySetup.of(s.policy(), policySettings, s.policyOverride());

      MetricSource source;
      if (s.prometheus() != null) {
        prometheus = PrometheusProcess.start(s.prometheus(), metrics,
            Files.createTempDirectory(Files.createDirectories(workDir), "replay-prometheus-"),
            Duration.ofSeconds((long) wallSeconds).plus(Duration.ofMinutes(10)));
        source = new PrometheusQuerySource(http,
            new AutoscalerConfig.PrometheusServer(prometheus.url(), SCRAPE_TIMEOUT), queries(s.model()));
        progress.println("prometheus " + prometheus.url() + " scraping " + metrics + " every "
            + DurationText.format(PrometheusProcess.SCRAPE_INTERVAL));
      } else {
        source = new ScrapeSource(http, List.of(metrics), s.model(), SCRAPE_TIMEOUT);
      }
      awaitMetrics(source, nanos);
      TraceClock clock = new TraceClock(nanos.getAsLong() + START_DELAY.toNanos(), s.speedup(), nanos);
      TargetController controller = new TargetController("replay", new WallClockSource(source, nanos), actuator,
          Decider.of(setup.spec(), s.bounds(), Decider.DEFAULT_STALE_AFTER), Backoff.defaults(),
          new AutoscalerMetrics(new CollectorRegistry(true)), clock, false);
      progress.printf(Locale.ROOT, "replaying %s: %ds of trace in %.1fs, policy %s every %s of trace time%n",
          traceName, trace.seconds(), wallSeconds, setup.name(), DurationText.format(setup.interval()));

      Thread loop = new Thread(() -> tickUntilEnd(controller, clock, setup.interval(), trace.seconds()),
          "replay-autoscaler-loop");
      loop.setDaemon(true);
      loop.start();
      TraceLoad.Recorded recorded;
      try {
        recorded = new TraceLoad(http, infer, body, trace, divisor, s.latencyTarget(), REQUEST_TIMEOUT, s.seed())
            .run(clock, DRAIN);
      } finally {
        loop.join(LOAD_TIMEOUT.toMillis() + 10_000);
        if (loop.isAlive()) {
          loop.interrupt();
        }
      }
      String loadAverageAfter = loadAverage();
      String gatewayLoad = gatewayLoadSeconds(http, metrics, s.model());
      List<RecordingActuator.Change> changes = actuator.changes();

      Trace scaled = scaled(trace, divisor);
      SimulationResult real = realResult(setup.name(), trace, clock, recorded, changes, before, s);
      double coldStartWall = meanScaleUp(changes);
      SimulationSettings simSettings = settings(s, service,
          Duration.ofNanos(Math.round(coldStartWall * s.speedup() * 1e9)));
      SimulationResult simulated = Simulator.run(scaled, setup, simSettings);
      return new ReplayOutcome(traceName, scaled, simSettings, setup, s.speedup(), trace.peak(), peakRate, divisor,
          wallSeconds, gateway, source.describe(), own == null ? null : own.log(), service, changes, clock.startNanos(),
          coldStartWall, recorded.unanswered(), loadAverageBefore, loadAverageAfter, recorded.arrivals(),
          lateOrDropped(recorded), gatewayLoad,
          withName(real, "real"), withName(simulated, "sim"));
    } finally {
      if (prometheus != null) {
        prometheus.close();
      }
      if (own != null) {
        own.close();
      }
    }
  }

  /**
   * The autoscaler's default expressions for the model, with the answer rate over a window of a few
   * of the replay's short scrapes instead of a minute.
   */
  private static AutoscalerConfig.Metrics.Prometheus queries(String model) {
    String m = "{model=\"" + model.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}";
    return new AutoscalerConfig.Metrics.Prometheus(
        "sum(neutrino_inflight_requests" + m + ")",
        "sum(neutrino_queue_depth" + m + ")",
        "max(neutrino_queue_oldest_age_seconds" + m + ")",
        "sum(rate(neutrino_requests_total" + m + "[" + PrometheusProcess.RATE_WINDOW.toSeconds() + "s]))");
  }

  /** Reads the metrics until they answer (Prometheus needs its first scrapes), at most {@link #READY_WITHIN}. */
  private static void awaitMetrics(MetricSource source, LongSupplier nanos) throws IOException, InterruptedException {
    long deadline = nanos.getAsLong() + READY_WITHIN.toNanos();
    while (true) {
      try {
        source.read(TraceClock.EPOCH.plusNanos(nanos.getAsLong()));
        return;
      } catch (MetricsUnavailableException e) {
        if (nanos.getAsLong() > deadline) {
          throw new IOException("no metrics from " + source.describe() + " within " + READY_WITHIN.toSeconds()
              + "s: " + e.getMessage());
        }
        Thread.sleep(200);
      }
    }
  }

  /** The gateway's own figure for the model's last load, from its metrics, or why there is none. */
  private static String gatewayLoadSeconds(HttpClient http, URI metrics, String model) throws InterruptedException {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(metrics).timeout(HTTP_TIMEOUT).build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        return "not reported (HTTP " + r.statusCode() + ")";
      }
      return DurationText.format(MeasuredColdStart.fromGatewayMetrics(r.body(), model, metrics.toString()).coldStart());
    } catch (IOException | IllegalArgumentException e) {
      return "not reported (" + e.getMessage() + ")";
    }
  }

  private static long[] lateOrDropped(TraceLoad.Recorded r) {
    long[] out = new long[r.arrivals().length];
    for (int i = 0; i < out.length; i++) {
      out[i] = r.late()[i] + r.dropped()[i];
    }
    return out;
  }

  private static SimulationSettings settings(ReplaySettings s, Duration service, Duration coldStart) {
    if (service.compareTo(s.latencyTarget()) >= 0) {
      throw new IllegalArgumentException("the model answers in " + DurationText.format(service)
          + ", not under the latency target " + DurationText.format(s.latencyTarget()) + ": raise --latency-target");
    }
    return new SimulationSettings(service, s.replicaConcurrency(), coldStart, s.latencyTarget(), s.sloQuantile(),
        SimulationSettings.DEFAULT_QUEUE_LIMIT_PER_REPLICA, s.bounds(), s.initialReplicas(), s.seed());
  }

  /** Ticks the controller at the end of every interval of trace time until the trace ends. */
  private static void tickUntilEnd(TargetController controller, TraceClock clock, Duration interval, int seconds) {
    long every = interval.toSeconds();
    for (long k = 1; k * every <= seconds; k++) {
      long due = clock.wallAt(k * every);
      long now;
      while ((now = clock.nanos().getAsLong()) < due) {
        LockSupport.parkNanos(due - now);
      }
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
      controller.tick();
      // A slow tick (a reload) skips the ticks it overran, as the autoscaler's fixed-delay loop does.
      long elapsed = clock.traceNanos(clock.nanos().getAsLong()) / 1_000_000_000L;
      k = Math.max(k, elapsed / every);
    }
  }

  /** The real run as the simulator reports one: per trace second, by scheduled time. */
  private static SimulationResult realResult(String policy, Trace trace, TraceClock clock, TraceLoad.Recorded r,
      List<RecordingActuator.Change> changes, int before, ReplaySettings s) {
    int n = trace.seconds();
    int[] asked = new int[n];
    int[] ready = new int[n];
    double[] p99 = new double[n];
    long arrivals = 0;
    long late = 0;
    long dropped = 0;
    int violating = 0;
    double replicaSeconds = 0;
    int maxReplicas = 0;
    List<Long> all = new ArrayList<>();
    for (int sec = 0; sec < n; sec++) {
      long at = clock.wallAt(sec);
      asked[sec] = before;
      ready[sec] = before;
      for (RecordingActuator.Change c : changes) {
        if (c.startNanos() <= at) {
          asked[sec] = c.to();
        }
        if (c.ok() && c.endNanos() <= at) {
          ready[sec] = c.to();
        }
      }
      replicaSeconds += asked[sec];
      maxReplicas = Math.max(maxReplicas, asked[sec]);
      arrivals += r.arrivals()[sec];
      late += r.late()[sec];
      dropped += r.dropped()[sec];
      if (r.arrivals()[sec] > 0 && r.late()[sec] + r.dropped()[sec] > (1 - s.sloQuantile()) * r.arrivals()[sec]) {
        violating++;
      }
      p99[sec] = quantile(r.latencyNanos()[sec], 0.99);
      for (long l : r.latencyNanos()[sec]) {
        all.add(l);
      }
    }
    int ups = 0;
    int downs = 0;
    for (RecordingActuator.Change c : changes) {
      if (c.startNanos() >= clock.startNanos()) {
        if (c.to() > c.from()) {
          ups++;
        } else if (c.to() < c.from()) {
          downs++;
        }
      }
    }
    long[] sorted = all.stream().mapToLong(Long::longValue).sorted().toArray();
    return new SimulationResult(policy, arrivals, late, dropped, violating, replicaSeconds, ups, downs, maxReplicas,
        quantile(sorted, 0.99), asked, ready, p99);
  }

  /** The mean wall duration of the first load (before the trace) and of the loads that added instances. */
  private static double meanScaleUp(List<RecordingActuator.Change> changes) {
    double sum = 0;
    int n = 0;
    for (int i = 0; i < changes.size(); i++) {
      RecordingActuator.Change c = changes.get(i);
      if (c.ok() && (i == 0 || c.to() > c.from())) {
        sum += c.wallSeconds();
        n++;
      }
    }
    return n == 0 ? 0 : sum / n;
  }

  private static double quantile(long[] sortedNanos, double q) {
    if (sortedNanos.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(q * sortedNanos.length) - 1;
    return sortedNanos[Math.max(0, i)] / 1e9;
  }

  private static Trace scaled(Trace trace, double divisor) {
    double[] r = trace.ratePerSecond();
    for (int i = 0; i < r.length; i++) {
      r[i] /= divisor;
    }
    return new Trace(r);
  }

  private static SimulationResult withName(SimulationResult r, String name) {
    return new SimulationResult(name, r.arrivals(), r.late(), r.dropped(), r.sloViolatingSeconds(), r.replicaSeconds(),
        r.scaleUps(), r.scaleDowns(), r.maxReplicas(), r.p99LatencySeconds(), r.replicas(), r.readyReplicas(),
        r.p99PerSecond());
  }

  private static void awaitReady(HttpClient http, URI gateway, String model) throws IOException, InterruptedException {
    URI ready = URI.create(gateway + "/v2/models/" + segment(model) + "/ready");
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(ready).timeout(HTTP_TIMEOUT).build(),
            HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
        last = "HTTP " + r.statusCode();
      } catch (IOException e) {
        last = e.toString();
      }
      Thread.sleep(200);
    }
    throw new IOException(model + " on " + gateway + " was not ready within " + READY_WITHIN.toSeconds() + "s ("
        + last + ")");
  }

  /**
   * One request for every input of the model, from its metadata: variable dimensions are 1 (the
   * first, a batch) or 16, integers are 1, floats 0.5, booleans true, strings "a".
   */
  static byte[] inferBody(HttpClient http, URI gateway, String model) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(gateway + "/v2/models/" + segment(model)))
        .timeout(HTTP_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("reading " + model + "'s metadata answered HTTP " + r.statusCode() + ": " + r.body());
    }
    JsonNode inputs = JSON.readTree(r.body()).path("inputs");
    if (!inputs.isArray() || inputs.isEmpty()) {
      throw new IOException(model + "'s metadata lists no inputs: " + r.body());
    }
    ObjectNode request = JSON.createObjectNode();
    ArrayNode list = request.putArray("inputs");
    for (JsonNode input : inputs) {
      ObjectNode in = list.addObject();
      String type = input.path("datatype").asText();
      in.put("name", input.path("name").asText()).put("datatype", type);
      ArrayNode shape = in.putArray("shape");
      long elements = 1;
      int d = 0;
      for (JsonNode dim : input.path("shape")) {
        long v = dim.asLong() >= 0 ? dim.asLong() : d == 0 ? 1 : 16;
        shape.add(v);
        elements *= v;
        d++;
      }
      ArrayNode data = in.putArray("data");
      for (long i = 0; i < elements; i++) {
        switch (type) {
          case "FP16", "FP32", "FP64", "BF16" -> data.add(0.5);
          case "BOOL" -> data.add(true);
          case "BYTES" -> data.add("a");
          default -> data.add(1);
        }
      }
    }
    return JSON.writeValueAsBytes(request);
  }

  /** The median latency of sequential requests, after a few unmeasured ones. */
  private static Duration probeServiceTime(HttpClient http, URI infer, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest request = HttpRequest.newBuilder(infer).timeout(REQUEST_TIMEOUT)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    long[] took = new long[PROBE_REQUESTS];
    for (int i = -PROBE_WARMUP; i < PROBE_REQUESTS; i++) {
      long start = System.nanoTime();
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      long end = System.nanoTime();
      if (r.statusCode() != 200) {
        throw new IOException("the model's first requests failed (HTTP " + r.statusCode() + "): " + r.body());
      }
      if (i >= 0) {
        took[i] = end - start;
      }
    }
    Arrays.sort(took);
    return Duration.ofNanos(Math.max(1_000_000, took[PROBE_REQUESTS / 2]));
  }

  /** The 1-minute load average, or "-" where the system does not say. */
  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+")[0];
    } catch (IOException | RuntimeException e) {
      return "-";
    }
  }

  private static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String number(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : String.format(Locale.ROOT, "%.2f", v);
  }
}
