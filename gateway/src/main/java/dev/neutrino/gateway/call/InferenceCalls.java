package dev.neutrino.gateway.call;

import dev.neutrino.gateway.admission.Permit;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.repo.ModelRepository;
import io.vertx.core.Context;
import java.util.Objects;

/**
 * Starts {@link InferenceCall}s: what every inference call of one gateway shares (the repository it
 * leases from, where it is observed, the {@link Arrivals} that submit each event-loop pass's calls
 * together). Thread-safe; a gateway holds one, shared by its front ends, so that one pass's calls
 * are submitted together whichever protocol they came in on.
 */
public final class InferenceCalls {
  final ModelRepository repository;
  final GatewayMetrics metrics;
  final AccessLog accessLog;
  final Arrivals arrivals = new Arrivals();
  private final WarmupMark warmupMark = WarmupMark.random();

  private InferenceCalls(ModelRepository repository, GatewayMetrics metrics, AccessLog accessLog) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.accessLog = Objects.requireNonNull(accessLog, "accessLog");
  }

  public static InferenceCalls create(ModelRepository repository, GatewayMetrics metrics, AccessLog accessLog) {
    return new InferenceCalls(repository, metrics, accessLog);
  }

  /**
   * The token this gateway's own warm-up requests carry: a front end whose request presents it in
   * {@link WarmupMark#HEADER} says so through {@link InferenceCall.Front#warmup()}.
   */
  public WarmupMark warmupMark() {
    return warmupMark;
  }

  /**
   * Starts one call: decodes, leases, submits (when the event loop's pass ends); the front end hears
   * of the outcome once. Call on the event loop of {@code context}; the answer may come before this
   * returns (a bad request, an unknown model).
   *
   * @param callDeadlineNanos the protocol's own deadline for the call (gRPC's {@code grpc-timeout}) on
   *     the {@link System#nanoTime()} scale, or {@link dev.neutrino.batching.InferenceRequest#NO_DEADLINE}
   * @return the call, to cancel when the client goes away
   */
  public InferenceCall start(Protocol protocol, InferenceCall.Front front, long callDeadlineNanos, Context context) {
    return start(protocol, front, callDeadlineNanos, context, Permit.NONE);
  }

  /**
   * Starts one call admitted at the front door: as {@link #start(Protocol, InferenceCall.Front, long,
   * Context)}, and the call owns {@code permit} from now on, releasing it once when the call is
   * observed, even when starting it fails.
   */
  public InferenceCall start(Protocol protocol, InferenceCall.Front front, long callDeadlineNanos, Context context,
      Permit permit) {
    InferenceCall call = new InferenceCall(this, protocol, front, callDeadlineNanos, context, permit);
    try {
      call.start();
    } catch (RuntimeException e) {
      permit.release(); // start answers every failure itself; this is only a guard against a leak
      throw e;
    }
    return call;
  }
}
