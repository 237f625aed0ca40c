package dev.neutrino.autoscaler.sim;

import dev.neutrino.autoscaler.Decider;
import dev.neutrino.autoscaler.MetricSample;
import dev.neutrino.autoscaler.Replicas;
import dev.neutrino.autoscaler.ScaleDecision;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Replays a request-rate trace in simulated time through a queueing model of replicas, with a policy
 * deciding their number exactly as the autoscaler would (same {@link Decider}, same policies).
 *
 * <p><b>Model.</b> Requests arrive as a Poisson process at the trace's rate for each second (seeded:
 * every policy sees the same arrivals). Each ready replica has {@code replicaConcurrency} slots; a
 * request takes a free slot for {@code serviceTime}, else waits in one first-in-first-out queue shared
 * by the replicas (what a load balancer in front of queueing gateways approximates), else is rejected
 * when that queue holds {@code queueLimitPerReplica} per ready replica. The slots are a heap of the
 * times they become free, so waiting times are exact for this model, not stepped.
 *
 * <p><b>Scaling.</b> At the end of every second the gateway metrics are sampled as the real gateway
 * exports them (in flight plus queued, queue depth, oldest queued age, answers per second including
 * rejections) and given to the decider; every {@code interval} it decides. Added replicas become
 * ready after the cold start; removed replicas are the starting ones first, then ready ones, whose
 * in-flight requests still finish (they drain) but which take no new requests.
 *
 * <p>After the trace ends, queued requests are served by the replicas then present. Pure function of
 * its inputs: no clock, no shared state.
 */
public final class Simulator {

  private static final int BUCKETS = 80;
  private static final double BUCKET_BASE = 0.001;
  private static final double BUCKET_GROWTH = 1.2;
  private static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private Simulator() {}

  public static SimulationResult run(Trace trace, PolicySetup setup, SimulationSettings settings) {
    return new Run(trace, setup, settings, line -> { }).run();
  }

  /**
   * Runs one policy, giving every decision that changes the replica count to {@code decisionLog} as
   * one line ({@link ScaleDecision#logLine}, prefixed with the simulated second).
   */
  public static SimulationResult run(
      Trace trace, PolicySetup setup, SimulationSettings settings, Consumer<String> decisionLog) {
    return new Run(trace, setup, settings, decisionLog).run();
  }

  /** Runs several policies on the same trace and arrivals. */
  public static List<SimulationResult> compare(Trace trace, List<PolicySetup> setups, SimulationSettings settings) {
    return compare(trace, setups, settings, line -> { });
  }

  /** Runs several policies on the same trace and arrivals, logging their changes. */
  public static List<SimulationResult> compare(
      Trace trace, List<PolicySetup> setups, SimulationSettings settings, Consumer<String> decisionLog) {
    List<SimulationResult> out = new ArrayList<>();
    for (PolicySetup s : setups) {
      out.add(run(trace, s, settings, decisionLog));
    }
    return out;
  }

  private static final class Run {
    private final Trace trace;
    private final SimulationSettings s;
    private final Decider<?> decider;
    private final int intervalSeconds;
    private final String policy;
    private final double service;
    private final double target;
    private final double coldStart;
    private final int concurrency;
    private final SplittableRandom random;
    private final Consumer<String> decisionLog;

    private final ArrayDeque<Double> queue = new ArrayDeque<>();
    private final PriorityQueue<Double> slots = new PriorityQueue<>();
    private final ArrayDeque<Double> pending = new ArrayDeque<>();
    private int ready;

    private final long[] arrivals;
    private final long[] late;
    private final long[] dropped;
    private final long[] answered;
    private final int[][] histogram;
    private final long[] total = new long[BUCKETS];
    private final int[] replicas;
    private final int[] readyReplicas;
    private int scaleUps;
    private int scaleDowns;
    private int maxReplicas;

    Run(Trace trace, PolicySetup setup, SimulationSettings s, Consumer<String> decisionLog) {
      this.trace = trace;
      this.decisionLog = decisionLog;
      this.s = s;
      this.decider = Decider.of(setup.spec(), s.bounds(), Decider.DEFAULT_STALE_AFTER);
      this.intervalSeconds = (int) setup.interval().toSeconds();
      this.policy = setup.name();
      this.service = seconds(s.serviceTime());
      this.target = seconds(s.latencyTarget());
      this.coldStart = seconds(s.coldStart());
      this.concurrency = s.replicaConcurrency();
      this.random = new SplittableRandom(s.seed());
      int n = trace.seconds();
      arrivals = new long[n];
      late = new long[n];
      dropped = new long[n];
      answered = new long[n + 1];
      histogram = new int[n][BUCKETS];
      replicas = new int[n];
      readyReplicas = new int[n];
    }

    SimulationResult run() {
      int initial = s.initialReplicas() > 0
          ? s.initialReplicas()
          : (int) Math.ceil(trace.rate(0) / (s.replicaThroughput() * PolicySetup.DEFAULT_UTILIZATION));
      initial = s.bounds().clamp(initial);
      for (int i = 0; i < initial; i++) {
        addReady(0);
      }
      double replicaSeconds = 0;
      for (int sec = 0; sec < trace.seconds(); sec++) {
        replicas[sec] = ready + pending.size();
        readyReplicas[sec] = ready;
        replicaSeconds += ready + pending.size();
        maxReplicas = Math.max(maxReplicas, ready + pending.size());
        double rate = trace.rate(sec);
        if (rate > 0) {
          double t = sec;
          while (true) {
            t += -Math.log(1 - random.nextDouble()) / rate;
            if (t >= sec + 1) {
              break;
            }
            arrive(t, sec);
          }
        }
        double end = sec + 1;
        advanceTo(end);
        decider.observe(sample(end, sec));
        if ((sec + 1) % intervalSeconds == 0) {
          ScaleDecision d = decider.decide(new Replicas(ready + pending.size(), ready), instant(end));
          if (d.desired() != d.current()) {
            decisionLog.accept("t=" + (sec + 1) + "s " + d.logLine("simulated"));
          }
          apply(d.desired(), end);
        }
      }
      advanceTo(Double.POSITIVE_INFINITY);
      for (Double a : queue) {
        int sec = (int) Math.min(trace.seconds() - 1, a);
        dropped[sec]++;
      }
      return result(replicaSeconds);
    }

    private void arrive(double a, int sec) {
      advanceTo(a);
      arrivals[sec]++;
      if (queue.isEmpty() && !slots.isEmpty() && slots.peek() <= a) {
        slots.poll();
        slots.add(a + service);
        served(a, a + service);
      } else if (ready == 0 || queue.size() >= (long) s.queueLimitPerReplica() * ready) {
        dropped[sec]++;
        answered[sec]++;
      } else {
        queue.add(a);
      }
    }

    /** Brings starting replicas up and serves queued requests, in time order, up to {@code t}. */
    private void advanceTo(double t) {
      while (!pending.isEmpty() && pending.peekFirst() <= t) {
        addReady(pending.pollFirst());
      }
      while (!queue.isEmpty() && !slots.isEmpty() && slots.peek() <= t) {
        double free = slots.poll();
        double arrival = queue.poll();
        double finish = Math.max(free, arrival) + service;
        slots.add(finish);
        served(arrival, finish);
      }
    }

    private void addReady(double at) {
      ready++;
      for (int i = 0; i < concurrency; i++) {
        slots.add(at);
      }
    }

    private void served(double arrival, double finish) {
      int sec = (int) arrival;
      double latency = finish - arrival;
      if (latency > target) {
        late[sec]++;
      }
      int b = bucket(latency);
      histogram[sec][b]++;
      total[b]++;
      answered[(int) Math.min(answered.length - 1, finish)]++;
    }

    private MetricSample sample(double t, int sec) {
      int inService = 0;
      for (double free : slots) {
        if (free > t) {
          inService++;
        }
      }
      double oldest = queue.isEmpty() ? 0 : t - queue.peekFirst();
      return new MetricSample(instant(t), inService + queue.size(), queue.size(), oldest, answered[sec]);
    }

    private void apply(int desired, double t) {
      int provisioned = ready + pending.size();
      if (desired > provisioned) {
        scaleUps++;
        for (int i = provisioned; i < desired; i++) {
          pending.addLast(t + coldStart);
        }
      } else if (desired < provisioned) {
        scaleDowns++;
        int remove = provisioned - desired;
        while (remove > 0 && !pending.isEmpty()) {
          pending.pollLast();
          remove--;
        }
        for (; remove > 0 && ready > 0; remove--) {
          ready--;
          for (int i = 0; i < concurrency && !slots.isEmpty(); i++) {
            slots.poll();
          }
        }
      }
    }

    private SimulationResult result(double replicaSeconds) {
      long totalArrivals = 0;
      long totalLate = 0;
      long totalDropped = 0;
      int violating = 0;
      double[] p99 = new double[trace.seconds()];
      for (int sec = 0; sec < trace.seconds(); sec++) {
        totalArrivals += arrivals[sec];
        totalLate += late[sec];
        totalDropped += dropped[sec];
        if (arrivals[sec] > 0 && late[sec] + dropped[sec] > (1 - s.sloQuantile()) * arrivals[sec]) {
          violating++;
        }
        p99[sec] = quantile(histogram[sec], 0.99);
      }
      long served = 0;
      for (long c : total) {
        served += c;
      }
      double overall = quantileOf(total, served, 0.99);
      return new SimulationResult(policy, totalArrivals, totalLate, totalDropped, violating, replicaSeconds,
          scaleUps, scaleDowns, maxReplicas, overall, replicas, readyReplicas, p99);
    }

    private static double quantile(int[] h, double q) {
      long n = 0;
      for (int c : h) {
        n += c;
      }
      long[] asLong = new long[h.length];
      for (int i = 0; i < h.length; i++) {
        asLong[i] = h[i];
      }
      return quantileOf(asLong, n, q);
    }

    private static double quantileOf(long[] h, long n, double q) {
      if (n == 0) {
        return Double.NaN;
      }
      long rank = (long) Math.ceil(q * n);
      long seen = 0;
      for (int i = 0; i < h.length; i++) {
        seen += h[i];
        if (seen >= rank) {
          return BUCKET_BASE * Math.pow(BUCKET_GROWTH, i + 1);
        }
      }
      return BUCKET_BASE * Math.pow(BUCKET_GROWTH, h.length);
    }

    private static int bucket(double latency) {
      if (latency <= BUCKET_BASE) {
        return 0;
      }
      int b = (int) (Math.log(latency / BUCKET_BASE) / Math.log(BUCKET_GROWTH));
      return Math.min(BUCKETS - 1, Math.max(0, b));
    }

    private static Instant instant(double t) {
      return EPOCH.plusNanos(Math.round(t * 1e9));
    }

    private static double seconds(Duration d) {
      return d.toNanos() / 1e9;
    }
  }
}
