package dev.neutrino.gateway;

import dev.neutrino.gateway.GatewayConfig.ShutdownSettings;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;

/**
 * A gateway's graceful stop, in three phases, each logged:
 *
 * <ol>
 *   <li>Not ready: {@code /v2/health/ready} answers 503 and gRPC {@code ServerReady} false at once,
 *       while every request is still served for the drain delay, so that load balancers take the
 *       gateway out of rotation before it stops accepting. HTTP/1.x answers carry
 *       {@code Connection: close}.
 *   <li>Listeners closed: no new connection is accepted; HTTP/2 connections get a GOAWAY; in-flight
 *       and queued requests go on and are answered.
 *   <li>Stopped: once the last connection has closed, or the exit timeout has passed since the
 *       listeners closed (whichever comes first), the gateway is stopped and the outcome says which.
 * </ol>
 *
 * <p>Every wait comes from {@link Delays}, so that tests decide when a delay is over instead of
 * sleeping. A drain runs once; {@link Gateway#drain()} hands out the one under way.
 */
public final class Drain {
  private static final System.Logger LOG = System.getLogger(Drain.class.getName());

  /** Where a drain's waits come from: Vert.x timers in the process, a hand-driven source in tests. */
  @FunctionalInterface
  public interface Delays {
    /** Every delay is over at once. */
    Delays NONE = delay -> Future.succeededFuture();

    /** Completes once {@code delay} has passed. */
    Future<Void> after(Duration delay);

    /** Delays measured by timers of {@code vertx}. */
    static Delays timers(Vertx vertx) {
      return delay -> {
        if (delay.isZero()) {
          return Future.succeededFuture();
        }
        Promise<Void> passed = Promise.promise();
        vertx.setTimer(Math.max(1, delay.toMillis()), id -> passed.complete());
        return passed.future();
      };
    }
  }

  /**
   * How a drain ended.
   *
   * @param exitCode what the process exits with: {@link #DRAINED} or {@link #TIMED_OUT}
   * @param reason what happened, for the log
   */
  public record Outcome(int exitCode, String reason) {
    public static final int DRAINED = 0;
    public static final int TIMED_OUT = 1;
  }

  /**
   * How much longer than the exit timeout Vert.x lets connections finish: the drain's own timer
   * decides, and stopping the gateway closes whatever is left.
   */
  private static final Duration VERTX_SHUTDOWN_MARGIN = Duration.ofSeconds(60);

  private final Gateway gateway;
  private final ShutdownSettings settings;
  private final Delays delays;

  Drain(Gateway gateway, ShutdownSettings settings, Delays delays) {
    this.gateway = gateway;
    this.settings = settings;
    this.delays = delays;
  }

  /** Runs the phases; completes once the gateway is stopped. */
  Future<Outcome> run() {
    gateway.stopBeingReady();
    LOG.log(System.Logger.Level.INFO, "drain: not ready (readiness answers 503); serving for "
        + settings.drainDelaySeconds() + " s (--drain-delay) before closing the listeners");
    return delays.after(settings.drainDelay()).compose(delayOver -> {
      LOG.log(System.Logger.Level.INFO, "drain: listeners closed; in-flight requests have "
          + settings.exitTimeoutSeconds() + " s (--exit-timeout-secs) to complete");
      Future<Void> idle = gateway.closeListeners(settings.exitTimeout().plus(VERTX_SHUTDOWN_MARGIN));
      Promise<Outcome> decided = Promise.promise();
      idle.onComplete(closed -> decided.tryComplete(new Outcome(Outcome.DRAINED, "every request answered")));
      delays.after(settings.exitTimeout()).onComplete(passed -> decided.tryComplete(new Outcome(Outcome.TIMED_OUT,
          "requests still in flight " + settings.exitTimeoutSeconds()
              + " s after the listeners closed (--exit-timeout-secs); closing their connections")));
      return decided.future();
    }).compose(outcome -> {
      LOG.log(outcome.exitCode() == Outcome.DRAINED ? System.Logger.Level.INFO : System.Logger.Level.WARNING,
          "drain: " + outcome.reason() + "; stopping");
      return gateway.stop().map(outcome);
    }).onSuccess(outcome -> LOG.log(System.Logger.Level.INFO, "drain: stopped, exit code " + outcome.exitCode()));
  }
}
