package dev.neutrino.gateway.admission;

import dev.neutrino.batching.Ticker;
import dev.neutrino.gateway.metrics.AdmissionReadings;
import dev.neutrino.gateway.metrics.Protocol;
import dev.neutrino.runtime.InferenceException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * The gateway's front door: how many inference requests it has in flight, for each model and in
 * all, and whether one more may come in. A front end asks {@link #admits} as soon as it has
 * recognised an inference route, before it reads the body; a request refused there costs a status
 * line and nothing else, and is answered 429 with {@code Retry-After} (HTTP) or RESOURCE_EXHAUSTED
 * (gRPC) through the usual mapping of {@link #refusal(String)}. Once the body (the gRPC message) has
 * arrived, and before it is decoded, the request takes its place with {@link #admit}, refused the
 * same way if a limit was reached meanwhile. So a body still arriving holds no place: clients that
 * send headers and stall cannot take the limit from the others (the body read timeout and the body
 * budget bound them). The batcher's own admission (queue limits, latency targets) still refuses what
 * it can see behind this door.
 *
 * <h2>Design note</h2>
 *
 * <p><b>A limit per model.</b> Each model the gateway serves has a limit of its own on its requests
 * in flight, moved by its own latencies ({@link GradientLimit}) or fixed. One limit for every model
 * would mix their latencies: a slow model's answers would read as queueing against a fast model's
 * baseline, and a flood of requests for one model would take the places of every other. With a
 * limit each, an overloaded model is refused at its own limit and the others keep theirs. The
 * requests whose model is not known before their body is read (OpenAI's routes carry it in the body)
 * and those for names the gateway does not serve share one more limit, {@link #UNATTRIBUTED}; names
 * that are not served get no limit of their own, so that made-up names cannot grow the table. A
 * request that passed the door under the shared limit moves to its model's once its body names it
 * (its permit released, and one taken under the model's limit).
 *
 * <p><b>The gateway's own cap.</b> Over all models, the requests in flight never pass
 * {@code --admission-limit-max}: whatever the models' limits, the gateway holds no more than that.
 *
 * <p><b>Modes.</b> {@link AdmissionSettings.Mode#ADAPTIVE}: each model's limit moves within
 * {@code [limitMin, limitMax]}. {@link AdmissionSettings.Mode#FIXED}: each model's limit is
 * {@code limitMax}, as is the cap. {@link AdmissionSettings.Mode#OFF}: every request gets
 * {@link Permit#NONE} and nothing is counted. One door per gateway, shared by its front ends and
 * event loops.
 *
 * <p>Thread-safety: admitting is a compare-and-set on the model's in-flight count against its current
 * limit, then one on the gateway's count against the cap (the first undone if the second refuses); a
 * release that brings a latency sample moves that model's limit under its limiter's lock. A limit may
 * be passed by a few requests for as long as a new, lower limit takes to be read; it is never passed
 * otherwise.
 */
public final class Admission implements AdmissionReadings {
  /** The {@code reason} label of a refusal at the door. */
  public static final String CONCURRENCY_LIMIT = AdmissionReadings.CONCURRENCY_LIMIT;
  /** The model label of the limit shared by requests whose model is not known at the door. */
  public static final String UNATTRIBUTED = "";
  /** What a refused client is told to wait: a limit moves within a fraction of a second. */
  static final Duration RETRY_AFTER = Duration.ofSeconds(1);

  private final AdmissionSettings settings;
  private final boolean off;
  private final Ticker ticker;
  /** Which names get a limit of their own: the models the gateway serves. */
  private final Predicate<String> served;
  private final int cap;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final LongAdder[] refused = new LongAdder[Protocol.values().length];
  private final Door unattributed;
  private final ConcurrentHashMap<String, Door> doors = new ConcurrentHashMap<>();
  private final InferenceException.Overloaded capRefusal;

  private Admission(AdmissionSettings settings, Ticker ticker, Predicate<String> served) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    this.served = Objects.requireNonNull(served, "served");
    this.off = settings.mode() == AdmissionSettings.Mode.OFF;
    this.cap = settings.limitMax();
    for (int i = 0; i < refused.length; i++) {
      refused[i] = new LongAdder();
    }
    this.unattributed = new Door(UNATTRIBUTED);
    this.capRefusal = overloaded("the gateway is over its concurrency limit of " + cap + " requests in flight");
  }

  /**
   * A door with a limit for each model {@code served} accepts (asked once per name, the first time it
   * is seen while served); the requests of any other name, or of none, share one limit.
   *
   * @param ticker when latency samples arrive, which decides when the adaptive limits' windows close;
   *     {@link Ticker#system()} in a gateway
   */
  public static Admission create(AdmissionSettings settings, Ticker ticker, Predicate<String> served) {
    return new Admission(settings, ticker, served);
  }

  /**
   * Whether a request whose route was just recognised may come in: false when its model, or the
   * gateway, is at its limit, counted as a refusal under {@code protocol}; answer it with
   * {@link #refusal(String)}. Takes no place: the request takes one with {@link #admit} once its body
   * is here.
   *
   * @param model the model named by the route; null when it is not known before the body is read
   */
  public boolean admits(Protocol protocol, String model) {
    if (off) {
      return true;
    }
    Door door = door(model);
    if (door.inFlight.get() < door.limit && inFlight.get() < cap) {
      return true;
    }
    countRefusal(protocol, door);
    return false;
  }

  /**
   * Whether a request whose model is not known yet, but will be before it takes its place (a gRPC
   * call, once its message names it), may come in as far as the gateway's cap goes: false when the
   * gateway is at its cap, counted as a refusal under {@code protocol}; answer it with
   * {@link #capRefusal()}. Takes no place.
   */
  public boolean admitsUnderCap(Protocol protocol) {
    if (off || inFlight.get() < cap) {
      return true;
    }
    refused[protocol.ordinal()].increment();
    return false;
  }

  /** What a request {@link #admitsUnderCap} refused is answered with. */
  public InferenceException.Overloaded capRefusal() {
    return capRefusal;
  }

  /**
   * A place for one more inference request of {@code model}, or null when the model, or the gateway,
   * is at its limit (the refusal is counted under {@code protocol}); answer a null with
   * {@link #refusal(String)}.
   *
   * @param model the model the request is for; null when it is not known before the body is decoded
   */
  public Permit admit(Protocol protocol, String model) {
    if (off) {
      return Permit.NONE;
    }
    Door door = door(model);
    int doorLimit = door.limit;
    int doorInFlight;
    while (true) {
      int current = door.inFlight.get();
      if (current >= doorLimit) {
        countRefusal(protocol, door);
        return null;
      }
      if (door.inFlight.compareAndSet(current, current + 1)) {
        doorInFlight = current + 1;
        break;
      }
    }
    while (true) {
      int current = inFlight.get();
      if (current >= cap) {
        door.inFlight.decrementAndGet();
        countRefusal(protocol, door);
        return null;
      }
      if (inFlight.compareAndSet(current, current + 1)) {
        return new Permit(door, doorInFlight);
      }
    }
  }

  private void countRefusal(Protocol protocol, Door door) {
    refused[protocol.ordinal()].increment();
    door.refused.increment();
  }

  /**
   * What a request of {@code model} that {@link #admits} or {@link #admit} refused is answered with:
   * 429 / RESOURCE_EXHAUSTED, naming the limit it met (the model's, or the gateway's). The same
   * instance while that limit stays where it is (it is immutable and carries no stack trace), so that
   * a front end refusing thousands a second can keep its encoded answer.
   */
  public InferenceException.Overloaded refusal(String model) {
    Door door = door(model);
    if (door.inFlight.get() >= door.limit || inFlight.get() < cap) {
      return door.refusal();
    }
    return capRefusal;
  }

  /** Whether {@code e} is one of this door's refusals (theirs stay the same while their limits do). */
  public static boolean isRefusal(InferenceException e) {
    return e instanceof InferenceException.Overloaded overloaded && CONCURRENCY_LIMIT.equals(overloaded.reason());
  }

  /** The limit {@code model}'s requests are admitted under now (the shared one for null or a name not served). */
  public int limit(String model) {
    return door(model).limit;
  }

  private Door door(String model) {
    if (model == null) {
      return unattributed;
    }
    Door door = doors.get(model);
    if (door != null) {
      return door;
    }
    if (!served.test(model)) {
      return unattributed;
    }
    return doors.computeIfAbsent(model, Door::new);
  }

  private static InferenceException.Overloaded overloaded(String what) {
    return new InferenceException.Overloaded(what + "; retry later", CONCURRENCY_LIMIT, RETRY_AFTER);
  }

  public AdmissionSettings settings() {
    return settings;
  }

  @Override
  public boolean enabled() {
    return !off;
  }

  /** The gateway's cap on requests in flight over all models: {@code --admission-limit-max}. */
  @Override
  public int limit() {
    return cap;
  }

  @Override
  public int inFlight() {
    return inFlight.get();
  }

  @Override
  public long refused(Protocol protocol) {
    return refused[protocol.ordinal()].sum();
  }

  @Override
  public List<ModelReading> models() {
    List<ModelReading> readings = new ArrayList<>(doors.size() + 1);
    readings.add(unattributed.reading());
    doors.values().forEach(door -> readings.add(door.reading()));
    return readings;
  }

  /** One limit and what it has in flight: a model's, or the one the unattributed requests share. */
  final class Door {
    final String model;
    final AtomicInteger inFlight = new AtomicInteger();
    final LongAdder refused = new LongAdder();
    /** Guards its own state; null unless the limit is adaptive. */
    final GradientLimit adaptive;
    volatile int limit;
    /** The last refusal handed out, with the limit it names. */
    private volatile Refusal lastRefusal;

    Door(String model) {
      this.model = model;
      this.adaptive = settings.mode() == AdmissionSettings.Mode.ADAPTIVE ? new GradientLimit(settings) : null;
      this.limit = adaptive != null ? adaptive.limit() : settings.limitMax();
    }

    InferenceException.Overloaded refusal() {
      int now = limit;
      Refusal last = lastRefusal;
      if (last != null && last.limit == now) {
        return last.answer;
      }
      String who = model.equals(UNATTRIBUTED) ? "the gateway is" : "model '" + model + "' is";
      Refusal fresh =
          new Refusal(now, overloaded(who + " over its concurrency limit of " + now + " requests in flight"));
      lastRefusal = fresh;
      return fresh.answer;
    }

    ModelReading reading() {
      return new ModelReading(model, limit, inFlight.get(), refused.sum());
    }

    /**
     * Called once per permit of this limit, by the permit; {@code latencyNanos} is negative when there
     * is no sample.
     */
    void released(Permit permit, long latencyNanos) {
      Admission.this.inFlight.decrementAndGet();
      inFlight.decrementAndGet();
      if (latencyNanos >= 0 && adaptive != null) {
        synchronized (adaptive) {
          limit = adaptive.sample(ticker.read(), latencyNanos, permit.inFlight());
        }
      }
    }
  }

  private record Refusal(int limit, InferenceException.Overloaded answer) {}
}
