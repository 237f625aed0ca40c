package dev.neutrino.repo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The idle rule of {@link IdleUnload}: remembers when each loaded model was last used and answers
 * which have gone unused for longer than their idle time. Time comes from the policy's clock only.
 * Thread-safe; {@link #touch} is cheap enough for the request path.
 */
final class IdleUnloader {
  private final IdleUnload policy;
  /** Idle time in nanoseconds of each loaded model that has one. */
  private final Map<String, Long> limits = new ConcurrentHashMap<>();
  private final Map<String, Long> lastUse = new ConcurrentHashMap<>();

  IdleUnloader(IdleUnload policy) {
    this.policy = policy;
  }

  IdleUnload policy() {
    return policy;
  }

  /**
   * The idle time a configuration's parameters ask for, or the policy's when they do not say.
   *
   * @throws IllegalArgumentException naming the parameter when its value is not whole seconds >= 0
   */
  Duration idleTime(Map<String, String> parameters) {
    String value = parameters.get(IdleUnload.PARAMETER);
    return value == null ? policy.after() : Duration.ofSeconds(seconds(value));
  }

  /** Checks {@value IdleUnload#PARAMETER} in a configuration's parameters, if present. */
  static void validate(Map<String, String> parameters) {
    String value = parameters == null ? null : parameters.get(IdleUnload.PARAMETER);
    if (value != null) {
      seconds(value);
    }
  }

  private static long seconds(String value) {
    try {
      long seconds = Long.parseLong(value.trim());
      if (seconds >= 0 && seconds <= Duration.ofDays(3650).toSeconds()) {
        return seconds;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw new IllegalArgumentException("parameter " + IdleUnload.PARAMETER
        + " must be whole seconds between 0 and 315360000, got '" + value + "'");
  }

  /** {@code name} has just loaded, to be unloaded after {@code idle} unused (zero: never). */
  void loaded(String name, Duration idle) {
    if (idle.isZero()) {
      forget(name);
      return;
    }
    lastUse.put(name, policy.clock().getAsLong());
    limits.put(name, idle.toNanos());
  }

  /** Records a use of {@code name}. */
  void touch(String name) {
    if (limits.containsKey(name)) {
      lastUse.put(name, policy.clock().getAsLong());
    }
  }

  /** {@code name} is no longer loaded. */
  void forget(String name) {
    limits.remove(name);
    lastUse.remove(name);
  }

  /** The loaded models unused for at least their idle time, by name. */
  List<String> idle() {
    long now = policy.clock().getAsLong();
    List<String> idle = new ArrayList<>();
    limits.forEach((name, limit) -> {
      Long last = lastUse.get(name);
      if (last != null && now - last >= limit) {
        idle.add(name);
      }
    });
    idle.sort(null);
    return idle;
  }
}
