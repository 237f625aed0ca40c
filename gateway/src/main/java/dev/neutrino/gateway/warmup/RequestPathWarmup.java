package dev.neutrino.gateway.warmup;

import dev.neutrino.gateway.call.WarmupMark;
import dev.neutrino.repo.ModelVersion;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Warms a gateway's request path before it reports ready: it sends inference requests to the
 * gateway's own front ends, over its own sockets (HTTP/1.1 JSON, HTTP/1.1 binary and gRPC), until
 * the JIT compilers have gone quiet or the time allowed has passed. A JVM serves its first tens of
 * thousands of requests interpreted or half compiled, while the compilers take CPU from the event
 * loops and the models; a replica that reported ready at once would serve its first traffic slower.
 *
 * <h2>Design note</h2>
 *
 * <p><b>What it sends.</b> One request per model served ({@link WarmupTarget}: a row of zeros),
 * {@link #LANES_PER_FORM} requests in flight per form per event loop, each lane sending its next
 * request when its answer has arrived. The models are taken in turn until each has answered
 * {@link #TARGET_QUOTA} requests (its own decoding and encoding are compiled by then); the rest goes
 * to the model that answers fastest, so that a heavy model does not hold back the warming of the
 * path every request shares. It carries the gateway's
 * {@link WarmupMark}, so it is served like any other request (access control, admission, batching,
 * the model) and is not observed: the metrics and statistics of requests, the access log and the
 * adaptive admission limits see only clients' requests. (The models' execution counters do count
 * its batches: they ran.) It presents the credentials that {@code --http-restricted-api} and
 * {@code --grpc-restricted-protocol} ask of inference.
 *
 * <p><b>When it stops.</b> In rounds of {@link #ROUND_MILLIS}: after each, the JIT's compilation
 * time over the round ({@link CompilationMXBean}) is compared with the round: when it is under
 * {@link #QUIET_SHARE} of it and {@link #MIN_REQUESTS} requests have been answered, the request path
 * is compiled and the warm-up stops. It also stops at its time limit, when a round has answered
 * nothing (no request of its can succeed: it says why), and when {@code stop} says so (a drain).
 * Where compilation time cannot be read it runs to its limit.
 *
 * <p><b>Threads.</b> Every step runs on the Vert.x context {@link #run} was called on; the clients
 * are closed when it ends. It never fails: what went wrong is in its {@link Outcome}.
 */
public final class RequestPathWarmup {
  /** A round: how often the compilers are looked at. */
  static final long ROUND_MILLIS = 1000;
  /** Compilation under this share of a round's time is quiet: about what C1 and C2 do once warm. */
  static final double QUIET_SHARE = 0.02;
  /** Answers needed before a quiet round ends the warm-up: C2 compiles a method after ~10k calls. */
  static final long MIN_REQUESTS = 10_000;
  /** Requests each model answers (over every form) before the warm-up keeps to the fastest model. */
  static final long TARGET_QUOTA = 1_000;
  /** A model whose warm-up request failed this often without one success is left out. */
  static final long TARGET_FAILURES = 10;
  /** A warm-up request unanswered this long fails; so does one still out this long after the warm-up ends. */
  static final long REQUEST_TIMEOUT_MILLIS = 10_000;
  /** Requests in flight per form (JSON, binary, gRPC) and event loop. */
  static final int LANES_PER_FORM = 2;

  /** A form of request, with its label for the outcome. */
  enum Form {
    HTTP_JSON("HTTP JSON"), HTTP_BINARY("HTTP binary"), GRPC("gRPC");

    final String label;

    Form(String label) {
      this.label = label;
    }
  }

  /**
   * Where the gateway listens and what its requests must carry.
   *
   * @param host an address of the gateway's own (the wildcard address is reached on loopback)
   * @param tls whether the listeners serve TLS; the warm-up trusts whatever certificate they present,
   *     since it calls its own process
   * @param httpHeaders headers every HTTP request carries (a restricted API's credential)
   * @param grpcHeaders metadata every gRPC call carries
   */
  public record Endpoints(String host, int httpPort, int grpcPort, boolean tls, Map<String, String> httpHeaders,
      Map<String, String> grpcHeaders) {
    public Endpoints {
      Objects.requireNonNull(host, "host");
      httpHeaders = Map.copyOf(httpHeaders);
      grpcHeaders = Map.copyOf(grpcHeaders);
    }
  }

  /**
   * What a warm-up did.
   *
   * @param answered requests answered with success, by form label
   * @param failed requests that failed
   * @param settled whether it stopped because the compilers went quiet
   * @param reason why it stopped, or why it did not run
   */
  public record Outcome(Map<String, Long> answered, long failed, long millis, boolean settled, String reason) {
    public Outcome {
      answered = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(answered));
    }

    /** A warm-up that did not run, and why. */
    public static Outcome skipped(String reason) {
      return new Outcome(Map.of(), 0, 0, false, reason);
    }

    /** Requests answered with success, over every form. */
    public long requests() {
      return answered.values().stream().mapToLong(Long::longValue).sum();
    }

    /** One line for the log. */
    public String describe() {
      if (answered.isEmpty() && failed == 0) {
        return "request path not warmed: " + reason;
      }
      return "request path warmed in " + millis + " ms: " + requests() + " requests answered " + answered
          + (failed > 0 ? ", " + failed + " failed" : "") + "; " + reason;
    }
  }

  private final Vertx vertx;
  private final List<WarmupTarget> targets;
  private final Endpoints endpoints;
  private final String token;
  private final int lanesPerForm;
  private final long maxMillis;
  private final LongSupplier compileMillis;
  private final BooleanSupplier stop;
  private final Promise<Outcome> done = Promise.promise();
  private final Map<Form, long[]> answered = new LinkedHashMap<>();
  /** Per target (by index): requests answered with success over every form, and their time in nanoseconds. */
  private final long[] targetAnswered;
  private final long[] targetNanos;
  private final long[] targetFailures;
  private Context context;
  private HttpClient http;
  private HttpClient grpc;
  private long failed;
  private String firstFailure;
  private long started;
  private long lastCompile;
  private long lastAnswered;
  private long timer = -1;
  private long grace = -1;
  private boolean stopping;
  private boolean closed;
  private int lanesRunning;
  private boolean settled;
  private String reason;

  private RequestPathWarmup(Vertx vertx, List<WarmupTarget> targets, Endpoints endpoints, String token,
      int lanesPerForm, long maxMillis, LongSupplier compileMillis, BooleanSupplier stop) {
    this.vertx = vertx;
    this.targets = targets;
    this.endpoints = endpoints;
    this.token = token;
    this.lanesPerForm = lanesPerForm;
    this.maxMillis = maxMillis;
    this.compileMillis = compileMillis;
    this.stop = stop;
    this.targetAnswered = new long[targets.size()];
    this.targetNanos = new long[targets.size()];
    this.targetFailures = new long[targets.size()];
  }

  /**
   * Warms the request path of the gateway at {@code endpoints} with the models {@code versions}
   * serve, for at most {@code maxSeconds}; on the caller's Vert.x context.
   *
   * @param eventLoops the gateway's event loops: lanes are spread over them
   * @param stop polled before each request: true ends the warm-up (the gateway is draining)
   */
  public static Future<Outcome> run(Vertx vertx, List<ModelVersion> versions, Endpoints endpoints, WarmupMark mark,
      int eventLoops, int maxSeconds, BooleanSupplier stop) {
    return run(vertx, targets(versions), endpoints, mark.token(), LANES_PER_FORM * Math.max(1, eventLoops),
        TimeUnit.SECONDS.toMillis(maxSeconds), compilationClock(), stop);
  }

  static Future<Outcome> run(Vertx vertx, List<WarmupTarget> targets, Endpoints endpoints, String token,
      int lanesPerForm, long maxMillis, LongSupplier compileMillis, BooleanSupplier stop) {
    if (targets.isEmpty()) {
      return Future.succeededFuture(Outcome.skipped("no model served can take a warm-up request (models that"
          + " generate text, or take BYTES or inputs over " + WarmupTarget.MAX_TENSOR_BYTES + " bytes, are left out)"));
    }
    RequestPathWarmup warmup = new RequestPathWarmup(vertx, targets, endpoints, token, lanesPerForm, maxMillis,
        compileMillis, stop);
    warmup.start();
    return warmup.done.future();
  }

  /** The warm-up request of each model, newest version of each, in name order; none for those without one. */
  static List<WarmupTarget> targets(List<ModelVersion> versions) {
    Map<String, ModelVersion> newest = new java.util.TreeMap<>();
    for (ModelVersion version : versions) {
      newest.merge(version.name(), version, (a, b) -> a.version() >= b.version() ? a : b);
    }
    List<WarmupTarget> targets = new ArrayList<>();
    for (ModelVersion version : newest.values()) {
      WarmupTarget target = WarmupTarget.of(version.config());
      if (target != null) {
        targets.add(target);
      }
    }
    return targets;
  }

  /** The JIT's total compilation time in milliseconds, or -1 where the JVM does not measure it. */
  static LongSupplier compilationClock() {
    CompilationMXBean compiler = ManagementFactory.getCompilationMXBean();
    if (compiler == null || !compiler.isCompilationTimeMonitoringSupported()) {
      return () -> -1;
    }
    return compiler::getTotalCompilationTime;
  }

  /**
   * Whether a round ends the warm-up: its compilation took under {@link #QUIET_SHARE} of the round and
   * {@link #MIN_REQUESTS} requests have been answered. Never when compilation time is unknown
   * ({@code compiledMillis} negative).
   */
  static boolean settled(long compiledMillis, long roundMillis, long requests) {
    return compiledMillis >= 0 && compiledMillis < QUIET_SHARE * roundMillis && requests >= MIN_REQUESTS;
  }

  private void start() {
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> begin());
  }

  private void begin() {
    started = System.nanoTime();
    lastCompile = compileMillis.getAsLong();
    HttpClientOptions base = new HttpClientOptions().setKeepAlive(true);
    if (endpoints.tls()) {
      base.setSsl(true).setTrustAll(true).setVerifyHost(false);
    }
    http = vertx.createHttpClient(new HttpClientOptions(base).setProtocolVersion(HttpVersion.HTTP_1_1),
        new PoolOptions().setHttp1MaxSize(2 * lanesPerForm));
    grpc = vertx.createHttpClient(new HttpClientOptions(base).setProtocolVersion(HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false).setUseAlpn(endpoints.tls()),
        new PoolOptions().setHttp2MaxSize(1));
    timer = vertx.setPeriodic(ROUND_MILLIS, id -> round());
    boolean json = targets.stream().anyMatch(target -> target.json() != null);
    for (Form form : Form.values()) {
      if (form == Form.HTTP_JSON && !json) {
        continue;
      }
      answered.put(form, new long[1]);
      for (int lane = 0; lane < lanesPerForm; lane++) {
        lanesRunning++;
        send(form, lane);
      }
    }
  }

  /** The end of a round: stop when the compilers are quiet, the time is up, or nothing was answered. */
  private void round() {
    if (stopping) {
      return;
    }
    long compile = compileMillis.getAsLong();
    long compiled = compile < 0 || lastCompile < 0 ? -1 : compile - lastCompile;
    lastCompile = compile;
    long requests = answered();
    long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    if (settled(compiled, ROUND_MILLIS, requests)) {
      settled = true;
      finish("the JIT compiled for " + compiled + " ms in the last " + ROUND_MILLIS + " ms round");
    } else if (requests == lastAnswered) {
      finish("no warm-up request succeeded in a round" + (firstFailure == null ? "" : "; the first failure: "
          + firstFailure));
    } else if (elapsed + ROUND_MILLIS > maxMillis) {
      finish("its time limit of " + maxMillis / 1000 + " s was reached"
          + (compiled < 0 ? " (this JVM does not measure compilation time)"
              : ", the JIT still compiling (" + compiled + " ms in the last round)"));
    }
    lastAnswered = requests;
  }

  private long answered() {
    long sum = 0;
    for (long[] count : answered.values()) {
      sum += count[0];
    }
    return sum;
  }

  private void finish(String why) {
    stopping = true;
    reason = why;
    vertx.cancelTimer(timer);
    if (lanesRunning == 0) {
      close();
    } else {
      // Lanes end as their answers come; one that never comes is failed by closing the clients.
      grace = vertx.setTimer(REQUEST_TIMEOUT_MILLIS, id -> close());
    }
  }

  /** A lane's next request, or its end: the warm-up is stopping, or no model is left to call. */
  private void send(Form form, int turn) {
    if (!stopping && stop.getAsBoolean()) {
      finish("the gateway is stopping");
    }
    int index = stopping ? -1 : next(form, turn);
    if (index < 0) {
      if (!stopping) {
        finish("every model's warm-up request failed; the first failure: " + firstFailure);
      }
      if (--lanesRunning == 0) {
        close();
      }
      return;
    }
    WarmupTarget target = targets.get(index);
    long sent = System.nanoTime();
    Future<String> problem = switch (form) {
      case HTTP_JSON -> http(target, target.json(), "application/json", -1);
      case HTTP_BINARY -> http(target, target.binary(), "application/octet-stream", target.binaryHeaderLength());
      case GRPC -> grpc(target);
    };
    problem.onComplete(result -> {
      if (result.succeeded() && result.result() == null) {
        answered.get(form)[0]++;
        targetAnswered[index]++;
        targetNanos[index] += System.nanoTime() - sent;
      } else {
        failed++;
        targetFailures[index]++;
        if (firstFailure == null) {
          firstFailure = form.label + " " + target.model() + ": "
              + (result.failed() ? String.valueOf(result.cause().getMessage()) : result.result());
        }
      }
      // The next turn goes through the context's queue: a lane never recurses on its own stack.
      context.runOnContext(v -> send(form, turn + 1));
    });
  }

  /**
   * The target of a lane's {@code turn}: the models in turn until each has answered
   * {@link #TARGET_QUOTA} requests; then the one that has answered fastest, so that the rest of the
   * warm-up runs the shared request path as often as it can. JSON lanes skip models without a JSON
   * form; a model that failed {@link #TARGET_FAILURES} times without one success is skipped. -1 when
   * no model is left.
   */
  private int next(Form form, int turn) {
    int best = -1;
    double bestNanos = Double.MAX_VALUE;
    for (int i = 0; i < targets.size(); i++) {
      int index = (turn + i) % targets.size();
      if (form == Form.HTTP_JSON && targets.get(index).json() == null
          || targetAnswered[index] == 0 && targetFailures[index] >= TARGET_FAILURES) {
        continue;
      }
      if (targetAnswered[index] < TARGET_QUOTA) {
        return index;
      }
      double mean = (double) targetNanos[index] / targetAnswered[index];
      if (mean < bestNanos) {
        bestNanos = mean;
        best = index;
      }
    }
    return best;
  }

  /** One HTTP inference: null when answered 200, else what went wrong. */
  private Future<String> http(WarmupTarget target, Buffer body, String contentType, int headerLength) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(endpoints.host())
        .setPort(endpoints.httpPort()).setURI("/v2/models/" + target.model() + "/infer")
        .setTimeout(REQUEST_TIMEOUT_MILLIS).putHeader("content-type", contentType).putHeader(WarmupMark.HEADER, token);
    if (headerLength >= 0) {
      request.putHeader("inference-header-content-length", Integer.toString(headerLength));
    }
    endpoints.httpHeaders().forEach(request::putHeader);
    return http.request(request).compose(r -> r.send(body)).compose(response -> response.body().map(answer ->
        response.statusCode() == 200 ? null : "HTTP " + response.statusCode() + " " + abbreviate(answer.toString())));
  }

  /** One gRPC ModelInfer call: null when it ends with status 0, else what went wrong. */
  private Future<String> grpc(WarmupTarget target) {
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost(endpoints.host())
        .setPort(endpoints.grpcPort()).setURI("/inference.GRPCInferenceService/ModelInfer").setTimeout(REQUEST_TIMEOUT_MILLIS)
        .putHeader("content-type", "application/grpc").putHeader("te", "trailers")
        .putHeader(WarmupMark.HEADER, token);
    endpoints.grpcHeaders().forEach(request::putHeader);
    return grpc.request(request).compose(r -> r.send(target.grpc())).compose(response ->
        response.body().map(ignored -> problem(response)));
  }

  private static String problem(HttpClientResponse response) {
    String status = response.trailers().get("grpc-status");
    String message = response.trailers().get("grpc-message");
    if (status == null) { // a trailers-only answer
      status = response.headers().get("grpc-status");
      message = response.headers().get("grpc-message");
    }
    return "0".equals(status) ? null
        : "gRPC status " + status + (message == null ? "" : " " + abbreviate(message));
  }

  private static String abbreviate(String text) {
    return text.length() <= 200 ? text : text.substring(0, 200) + "...";
  }

  private void close() {
    if (closed) {
      return;
    }
    closed = true;
    vertx.cancelTimer(grace);
    Map<String, Long> counts = new LinkedHashMap<>();
    answered.forEach((form, count) -> {
      if (count[0] > 0) {
        counts.put(form.label, count[0]);
      }
    });
    Outcome outcome = new Outcome(counts, failed,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), settled, reason);
    Future.join(http.close(), grpc.close()).onComplete(ignored -> done.tryComplete(outcome));
  }
}
