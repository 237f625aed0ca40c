package dev.neutrino.autoscaler.internal;

import dev.neutrino.autoscaler.ActuationException;
import dev.neutrino.autoscaler.Backoff;
import dev.neutrino.autoscaler.Decider;
import dev.neutrino.autoscaler.Direction;
import dev.neutrino.autoscaler.DurationText;
import dev.neutrino.autoscaler.MetricSample;
import dev.neutrino.autoscaler.MetricSource;
import dev.neutrino.autoscaler.MetricsUnavailableException;
import dev.neutrino.autoscaler.ReplicaActuator;
import dev.neutrino.autoscaler.Replicas;
import dev.neutrino.autoscaler.ScaleDecision;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One target's loop body: read metrics, read replicas, decide, log, actuate. {@link #tick()} is called
 * at the target's interval by the scheduler (or by hand in tests, with a fake clock).
 *
 * <p><b>Never crashes.</b> A failed metric read records nothing (the decider then holds once the
 * last sample is stale); a failed replica read skips the tick; a failed change is retried after an
 * exponential back-off measured on the injected clock, with no sleeping (ticks before the retry time
 * decide and log but do not call the actuator); any other exception is logged and the next tick runs.
 *
 * <p><b>Logging.</b> Every change of replicas is one INFO line with its reason
 * ({@link ScaleDecision#logLine}). A hold is logged at INFO when its cause differs from the previous
 * decision's (for example when a metrics outage begins), and at FINE otherwise.
 *
 * <p>Not thread-safe: one tick at a time (the scheduler runs each target with a fixed delay).
 */
public final class TargetController {

  private static final Logger LOG = Logger.getLogger("dev.neutrino.autoscaler");

  private final String name;
  private final MetricSource source;
  private final ReplicaActuator actuator;
  private final Decider<?> decider;
  private final Backoff backoff;
  private final AutoscalerMetrics metrics;
  private final InstantSource clock;
  private final boolean dryRun;

  private boolean metricsFailing;
  private int failures;
  private Instant retryAt;
  private String lastCause = "";

  public TargetController(String name, MetricSource source, ReplicaActuator actuator, Decider<?> decider,
      Backoff backoff, AutoscalerMetrics metrics, InstantSource clock, boolean dryRun) {
    this.name = Objects.requireNonNull(name, "name");
    this.source = Objects.requireNonNull(source, "source");
    this.actuator = Objects.requireNonNull(actuator, "actuator");
    this.decider = Objects.requireNonNull(decider, "decider");
    this.backoff = Objects.requireNonNull(backoff, "backoff");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.dryRun = dryRun;
    metrics.declare(name);
  }

  public String name() {
    return name;
  }

  public MetricSource source() {
    return source;
  }

  public ReplicaActuator actuator() {
    return actuator;
  }

  /** Runs one decision; the decision taken, or empty when the replicas could not be read. */
  public Optional<ScaleDecision> tick() {
    try {
      return step();
    } catch (RuntimeException e) {
      LOG.log(Level.SEVERE, "target=" + name + " unexpected error; the loop goes on", e);
      return Optional.empty();
    }
  }

  private Optional<ScaleDecision> step() {
    Instant now = clock.instant();
    try {
      MetricSample sample = source.read(now);
      decider.observe(sample);
      if (metricsFailing) {
        LOG.info("target=" + name + " metrics are back: " + source.describe());
      }
      metricsFailing = false;
    } catch (MetricsUnavailableException e) {
      metrics.metricReadFailed(name);
      if (!metricsFailing) {
        LOG.warning("target=" + name + " metrics unavailable (holding while they are): " + e.getMessage());
      }
      metricsFailing = true;
    }

    Replicas replicas;
    try {
      replicas = actuator.read();
    } catch (ActuationException e) {
      metrics.actuationFailed(name);
      LOG.warning("target=" + name + " cannot read replicas of " + actuator.describe() + ": " + e.getMessage());
      return Optional.empty();
    }

    ScaleDecision decision = decider.decide(replicas, now);
    metrics.record(name, decision);
    log(decision);
    if (decision.direction() != Direction.HOLD) {
      actuate(decision, now);
    }
    return Optional.of(decision);
  }

  private void log(ScaleDecision decision) {
    String cause = decision.direction() != Direction.HOLD ? "" : causeOf(decision.reason());
    Level level = decision.direction() != Direction.HOLD || !cause.equals(lastCause) ? Level.INFO : Level.FINE;
    LOG.log(level, decision.logLine(name));
    lastCause = cause;
  }

  /** The cause of a hold, for telling a new cause from a repeated one. */
  private static String causeOf(String reason) {
    if (reason.startsWith("no metrics")) {
      return "no metrics";
    }
    if (reason.contains("not scaling down to")) {
      return "short history";
    }
    for (String cause : List.of("no scale-down while panicking", "stabilisation", "scale-down delay", "tolerance",
        "queue pressure", "grace")) {
      if (reason.contains(cause)) {
        return cause;
      }
    }
    return "steady";
  }

  private void actuate(ScaleDecision decision, Instant now) {
    if (retryAt != null && now.isBefore(retryAt)) {
      LOG.fine("target=" + name + " waiting until " + retryAt + " to retry");
      return;
    }
    if (dryRun) {
      LOG.info("target=" + name + " dry run: not setting " + actuator.describe() + " to " + decision.desired());
      return;
    }
    try {
      actuator.apply(decision.desired());
      if (failures > 0) {
        LOG.info("target=" + name + " " + actuator.describe() + " set to " + decision.desired()
            + " after " + failures + " failed attempts");
      }
      failures = 0;
      retryAt = null;
    } catch (ActuationException e) {
      failures++;
      Duration wait = backoff.delay(failures);
      retryAt = now.plus(wait);
      metrics.actuationFailed(name);
      LOG.warning("target=" + name + " setting " + actuator.describe() + " to " + decision.desired()
          + " failed (attempt " + failures + "), retrying in " + DurationText.format(wait) + ": " + e.getMessage());
    }
  }
}
