package dev.neutrino.loadtest;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one level of load measured. Latencies are in microseconds, from the moment a request was sent
 * (closed loop) or scheduled to be sent (open loop) to the end of its response.
 *
 * @param spec the level as planned
 * @param durationSeconds the measured interval: from its start until its last request was answered
 *     (or its end, when that comes later). A server that falls behind in open loop answers the last
 *     requests after the sending stopped, and this interval, the divisor of the throughput, includes
 *     that time.
 * @param windowSeconds the part of the interval in which requests were sent
 * @param requests requests sent (or due) in the measured interval
 * @param ok requests answered with success
 * @param errors the others, by status ({@code "429"}, {@code "RESOURCE_EXHAUSTED"}), as
 *     {@code "validation"} (an answer unlike the input file's {@code validation_data}) or by what went
 *     wrong on the client side ({@code "timeout"}, {@code "connection"}, {@code "no_response"})
 * @param latency successful requests' latency
 * @param errorLatency failed requests' latency (how fast a rejection came back)
 * @param sendLag open loop: how late the generator sent after the scheduled time; EMPTY in closed loop
 * @param server what the server said about itself over the interval
 * @param generatorCpuCores the generator's own threads' CPU time over the interval, in cores
 *     (1.0 = one core busy the whole time)
 * @param warmupBacklog warm-up requests still unanswered when the measurement began: a server (or a
 *     client pool) still working through the warm-up's excess charges it to the first measured requests
 * @param invalidReason null when the level measured the server; else why it measured the generator
 *     instead ({@link GeneratorCheck}), and its figures must not be charged to the server
 */
public record LevelResult(
    LoadSpec spec,
    double durationSeconds,
    double windowSeconds,
    long requests,
    long ok,
    Map<String, Long> errors,
    LatencySummary latency,
    LatencySummary errorLatency,
    LatencySummary sendLag,
    ServerStats server,
    double generatorCpuCores,
    long warmupBacklog,
    String invalidReason) {

  public LevelResult {
    Objects.requireNonNull(spec, "spec");
    errors = Collections.unmodifiableMap(new TreeMap<>(errors));
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(errorLatency, "errorLatency");
    Objects.requireNonNull(sendLag, "sendLag");
    Objects.requireNonNull(server, "server");
  }

  /** A level with no warm-up backlog, judged valid. */
  public LevelResult(LoadSpec spec, double durationSeconds, double windowSeconds, long requests, long ok,
      Map<String, Long> errors, LatencySummary latency, LatencySummary errorLatency, LatencySummary sendLag,
      ServerStats server, double generatorCpuCores) {
    this(spec, durationSeconds, windowSeconds, requests, ok, errors, latency, errorLatency, sendLag, server,
        generatorCpuCores, 0, null);
  }

  /** The statuses with which a server refuses a request it will not serve now (overload, shedding). */
  private static final Set<String> REFUSALS = Set.of("429", "503", "RESOURCE_EXHAUSTED");

  /** Requests the server refused: answered 429, 503 or RESOURCE_EXHAUSTED. */
  public long refused() {
    long refused = 0;
    for (Map.Entry<String, Long> error : errors.entrySet()) {
      if (REFUSALS.contains(error.getKey())) {
        refused += error.getValue();
      }
    }
    return refused;
  }

  /** Whether the level measured the server (the generator kept up with its plan). */
  public boolean valid() {
    return invalidReason == null;
  }

  /** This level, judged invalid for {@code reason}. */
  public LevelResult invalid(String reason) {
    return new LevelResult(spec, durationSeconds, windowSeconds, requests, ok, errors, latency, errorLatency,
        sendLag, server, generatorCpuCores, warmupBacklog, Objects.requireNonNull(reason, "reason"));
  }

  public long errorCount() {
    long n = 0;
    for (long v : errors.values()) {
      n += v;
    }
    return n;
  }

  /** Successful responses per second over the measured interval (goodput). */
  public double throughputRps() {
    return durationSeconds > 0 ? ok / durationSeconds : 0;
  }

  /** Requests sent (or due) per second while sending. */
  public double offeredRps() {
    return windowSeconds > 0 ? requests / windowSeconds : 0;
  }
}
