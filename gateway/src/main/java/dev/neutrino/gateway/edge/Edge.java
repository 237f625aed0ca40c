package dev.neutrino.gateway.edge;

import dev.neutrino.gateway.metrics.EdgeRefusals;
import java.util.Objects;

/**
 * What the front ends of one gateway share at their edge: the budget of body bytes in flight and the
 * guard of their connections. One per gateway; both parts are thread-safe.
 */
public record Edge(EdgeLimits limits, BodyBudget bodies, ConnectionGuard connections) {
  public Edge {
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(bodies, "bodies");
    Objects.requireNonNull(connections, "connections");
  }

  /** The edge of a gateway whose largest request is {@code maxRequestBytes}. */
  public static Edge create(EdgeLimits limits, long maxRequestBytes, EdgeRefusals refusals) {
    return new Edge(limits, new BodyBudget(limits.bodyBudgetBytes(maxRequestBytes)),
        new ConnectionGuard(limits, refusals));
  }

  public EdgeRefusals refusals() {
    return connections.refusals();
  }
}
