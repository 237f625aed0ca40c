package dev.neutrino.gateway.admission;

import dev.neutrino.batching.Ticker;
import dev.neutrino.gateway.metrics.AdmissionReadings;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.runtime.InferenceException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gateway's front door: how many inference requests it has in flight, and whether one more may
 * come in. A front end asks {@link #admits} as soon as it has recognised an inference route, before
 * it reads the body; a request refused there costs a status line and nothing else, and is answered
 * 429 with {@code Retry-After} (HTTP) or RESOURCE_EXHAUSTED (gRPC) through the usual mapping of
 * {@link #refusal()}. Once the body (the gRPC message) has arrived, and before it is decoded, the
 * request takes its place with {@link #admit}, refused the same way if the limit was reached
 * meanwhile. So a body still arriving holds no place: clients that send headers and stall cannot
 * take the limit from the others (the body read timeout and the body budget bound them). The
 * batcher's own admission (queue limits, latency targets) still refuses what it can see behind this
 * door.
 *
 * <p>The limit is fixed, or moved by the latencies of successful requests ({@link GradientLimit}), or
 * there is none ({@link AdmissionSettings.Mode#OFF}: every request gets {@link Permit#NONE} and nothing
 * is counted). One per gateway, shared by its front ends and event loops.
 *
 * <p>Thread-safety: admitting is one compare-and-set on the in-flight count against the current
 * limit; a release that brings a latency sample moves the limit under the limiter's lock. The limit
 * may be passed by a few requests for as long as a new, lower limit takes to be read; it is never
 * passed otherwise.
 */
public final class Admission implements AdmissionReadings {
  /** The {@code reason} label of a refusal at the door. */
  public static final String CONCURRENCY_LIMIT = AdmissionReadings.CONCURRENCY_LIMIT;
  /** What a refused client is told to wait: a limit moves within a fraction of a second. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final AdmissionSettings settings;
  private final boolean off;
  private final Ticker ticker;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Guards its own state; null unless the limit is adaptive. */
  private final GradientLimit adaptive;
  private volatile int limit;
  private final LongAdder[] refused = new LongAdder[Protocol.values().length];
  /** The last refusal handed out, with the limit it names. */
  private volatile Refusal lastRefusal;

  private record Refusal(int limit, InferenceException.Overloaded answer) {}

  private Admission(AdmissionSettings settings, Ticker ticker) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.off = settings.mode() == AdmissionSettings.Mode.OFF;
    this.adaptive = settings.mode() == AdmissionSettings.Mode.ADAPTIVE ? new GradientLimit(settings) : null;
    this.limit = adaptive != null ? adaptive.limit() : settings.limitMax();
    for (int i = 0; i < refused.length; i++) {
      refused[i] = new LongAdder();
    }
  }

  /**
   * @param ticker when latency samples arrive, which decides when the adaptive limit's windows close;
   *     {@link Ticker#system()} in a gateway
   */
  public static Admission create(AdmissionSettings settings, Ticker ticker) {
    return new Admission(settings, ticker);
  }

  /**
   * Whether a request whose route was just recognised may come in: false when the gateway is at its
   * limit, counted as a refusal under {@code protocol}; answer it with {@link #refusal()}. Takes no
   * place: the request takes one with {@link #admit} once its body is here.
   */
  public boolean admits(Protocol protocol) {
    if (off || inFlight.get() < limit) {
      return true;
    }
    refused[protocol.ordinal()].increment();
    return false;
  }

  /**
   * A place for one more inference request, or null when the gateway is at its limit (the refusal is
   * counted under {@code protocol}); answer a null with {@link #refusal()}.
   */
  public Permit admit(Protocol protocol) {
    if (off) {
      return Permit.NONE;
    }
    int now = limit;
    while (true) {
      int current = inFlight.get();
      if (current >= now) {
        refused[protocol.ordinal()].increment();
        return null;
      }
      if (inFlight.compareAndSet(current, current + 1)) {
        return new Permit(this, current + 1);
      }
    }
  }

  /**
   * What a request {@link #admit} refused is answered with: 429 / RESOURCE_EXHAUSTED, naming the limit.
   * The same instance while the limit stays where it is (it is immutable and carries no stack trace),
   * so that a front end refusing thousands a second can keep its encoded answer.
   */
  public InferenceException.Overloaded refusal() {
    int now = limit;
    Refusal last = lastRefusal;
    if (last != null && last.limit == now) {
      return last.answer;
    }
    Refusal fresh = new Refusal(now, new InferenceException.Overloaded(
        "the gateway is over its concurrency limit of " + now + " requests in flight; retry later",
        CONCURRENCY_LIMIT, RETRY_AFTER));
    lastRefusal = fresh;
    return fresh.answer;
  }

  /** Called once per permit, by the permit; {@code latencyNanos} is negative when there is no sample. */
  void released(Permit permit, long latencyNanos) {
    inFlight.decrementAndGet();
    if (latencyNanos >= 0 && adaptive != null) {
      synchronized (adaptive) {
        limit = adaptive.sample(ticker.read(), latencyNanos, permit.inFlight());
      }
    }
  }

  public AdmissionSettings settings() {
    return settings;
  }

  @Override
  public boolean enabled() {
    return !off;
  }

  @Override
  public int limit() {
    return limit;
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public long refused(Protocol protocol) {
    return refused[protocol.ordinal()].sum();
  }
}
