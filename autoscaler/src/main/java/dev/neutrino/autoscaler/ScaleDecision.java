package dev.neutrino.autoscaler;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;

/**
 * One decision for one target: the replica count it should have and why.
 *
 * @param time when it was decided
 * @param policy the policy's name
 * @param current the replica count asked for before the decision
 * @param ready the ready replicas before the decision
 * @param desired the replica count the target should have
 * @param reason one line: the numbers that decided it
 * @param stableDemand see {@link Recommendation#stableDemand()}; NaN when the policy did not run
 * @param panicDemand see {@link Recommendation#panicDemand()}; NaN when the policy did not run
 * @param panicking see {@link Recommendation#panicking()}
 */
public record ScaleDecision(
    Instant time,
    String policy,
    int current,
    int ready,
    int desired,
    String reason,
    double stableDemand,
    double panicDemand,
    boolean panicking) {

  public ScaleDecision {
    Objects.requireNonNull(time, "time");
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(reason, "reason");
  }

  public Direction direction() {
    return Direction.of(current, desired);
  }

  /** The decision as one log line, naming the target. */
  public String logLine(String target) {
    return String.format(
        Locale.ROOT,
        "target=%s policy=%s decision=%s replicas=%d->%d ready=%d panic=%s reason=\"%s\"",
        target, policy, direction().label(), current, desired, ready, panicking, reason.replace('"', '\''));
  }
}
