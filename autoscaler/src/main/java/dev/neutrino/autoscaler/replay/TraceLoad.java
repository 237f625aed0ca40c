package dev.neutrino.autoscaler.replay;

import dev.neutrino.autoscaler.sim.Trace;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Open-loop load that follows a trace in compressed time: during the wall interval of trace second
 * {@code s} ({@code 1/speedup} wall seconds) requests arrive as a Poisson process of
 * {@code rate(s) / divisor} per wall second, and are sent at their scheduled times whatever is
 * outstanding. Latency runs from the scheduled time (a stalled server delays every request scheduled
 * during the stall, and all of them count: no coordinated omission). Each request counts in the trace
 * second it was scheduled in: answered 200 within the latency target (on time), later (late), or not
 * answered 200 (dropped: an error status, a failed connection, no answer within the request timeout, or
 * more than {@link #MAX_OUTSTANDING} unanswered at once).
 *
 * <p>It is the load generator's open loop (loadtest's {@code LoadGenerator}) with a rate that changes
 * every trace second, on the JDK's HTTP client: the autoscaler does not depend on the gateway's modules.
 *
 * <p>One {@link #run} per instance, on the caller's thread; answers are recorded from the client's
 * threads into per-second counters.
 */
final class TraceLoad {

  /** Requests unanswered at once beyond which further ones are counted dropped without being sent. */
  static final int MAX_OUTSTANDING = 5_000;

  private final HttpClient http;
  private final HttpRequest request;
  private final Trace trace;
  private final double divisor;
  private final long latencyTargetNanos;
  private final long seed;

  private final AtomicLong[] arrivals;
  private final AtomicLong[] late;
  private final List<List<Long>> latencies;
  private final AtomicLong outstanding = new AtomicLong();

  /**
   * @param infer the model's infer endpoint
   * @param body one request's body (sent as JSON)
   * @param divisor trace rates are divided by it to give requests per wall second
   * @param requestTimeout how long one request may wait for its answer
   */
  TraceLoad(HttpClient http, URI infer, byte[] body, Trace trace, double divisor, Duration latencyTarget,
      Duration requestTimeout, long seed) {
    this.http = http;
    this.request = HttpRequest.newBuilder(infer).timeout(requestTimeout).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    this.trace = trace;
    this.divisor = divisor;
    this.latencyTargetNanos = latencyTarget.toNanos();
    this.seed = seed;
    int n = trace.seconds();
    arrivals = counters(n);
    late = counters(n);
    latencies = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      latencies.add(new ArrayList<>());
    }
  }

  /**
   * Sends the trace's requests on {@code clock}'s schedule, then waits at most {@code drain} for the
   * answers still outstanding (those still missing then count dropped). Blocks the calling thread.
   */
  Recorded run(TraceClock clock, Duration drain) throws InterruptedException {
    SplittableRandom random = new SplittableRandom(seed);
    List<CompletableFuture<Void>> sent = new ArrayList<>();
    for (int s = 0; s < trace.seconds(); s++) {
      double rate = trace.rate(s) / divisor;
      if (rate <= 0) {
        continue;
      }
      double t = s;
      while (true) {
        // Exponential gaps in wall seconds, expressed in trace seconds.
        t += -Math.log(1 - random.nextDouble()) / rate * clock.speedup();
        if (t >= s + 1) {
          break;
        }
        long scheduled = clock.wallAt(t);
        parkUntil(clock, scheduled);
        if (Thread.interrupted()) {
          throw new InterruptedException("replay load interrupted");
        }
        sent.add(send(s, scheduled, clock));
      }
    }
    CompletableFuture<Void> all = CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new));
    try {
      all.get(drain.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException | ExecutionException stillOutstanding) {
      // Counted below: whatever has not answered by now is dropped.
    }
    return snapshot(sent);
  }

  private CompletableFuture<Void> send(int second, long scheduled, TraceClock clock) {
    arrivals[second].incrementAndGet();
    if (outstanding.incrementAndGet() > MAX_OUTSTANDING) {
      outstanding.decrementAndGet();
      return CompletableFuture.completedFuture(null);
    }
    return http.sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .handle((response, failure) -> {
          long latency = clock.nanos().getAsLong() - scheduled;
          outstanding.decrementAndGet();
          if (failure == null && response.statusCode() == 200) {
            if (latency > latencyTargetNanos) {
              late[second].incrementAndGet();
            }
            List<Long> l = latencies.get(second);
            synchronized (l) {
              l.add(latency);
            }
          }
          return null;
        });
  }

  private Recorded snapshot(List<CompletableFuture<Void>> sent) {
    int n = trace.seconds();
    long unanswered = sent.stream().filter(f -> !f.isDone()).count();
    long[] a = new long[n];
    long[] l = new long[n];
    long[] d = new long[n];
    long[][] lat = new long[n][];
    for (int s = 0; s < n; s++) {
      a[s] = arrivals[s].get();
      l[s] = late[s].get();
      List<Long> list = latencies.get(s);
      synchronized (list) {
        lat[s] = list.stream().mapToLong(Long::longValue).toArray();
      }
      Arrays.sort(lat[s]);
      // Requests neither answered nor failed by the drain's end are dropped.
      d[s] = a[s] - lat[s].length;
    }
    return new Recorded(a, l, d, lat, unanswered);
  }

  private static void parkUntil(TraceClock clock, long wall) {
    long now;
    while ((now = clock.nanos().getAsLong()) < wall) {
      LockSupport.parkNanos(wall - now);
    }
  }

  private static AtomicLong[] counters(int n) {
    AtomicLong[] c = new AtomicLong[n];
    for (int i = 0; i < n; i++) {
      c[i] = new AtomicLong();
    }
    return c;
  }

  /**
   * What the load saw, per trace second (by scheduled time).
   *
   * @param arrivals requests scheduled
   * @param late answered 200 after the latency target
   * @param dropped not answered 200 (error, failure, unanswered by the drain's end, over the outstanding limit)
   * @param latencyNanos the latencies of the 200 answers, sorted
   * @param unanswered requests still outstanding when the drain ended (among the dropped)
   */
  record Recorded(long[] arrivals, long[] late, long[] dropped, long[][] latencyNanos, long unanswered) {}
}
