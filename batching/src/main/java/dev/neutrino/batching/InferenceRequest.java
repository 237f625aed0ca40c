package dev.neutrino.batching;

import dev.neutrino.runtime.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One decoded inference call, independent of the protocol it came in on.
 *
 * @param id the client's request id, echoed in the response; may be empty
 * @param inputs the input tensors by name, in request order
 * @param outputs the names of the outputs to return; empty means all of the model's outputs
 * @param priority 1 is the highest; 0 means the model's default
 * @param timeoutMicros how long the request may wait in the queue; 0 means the model's default
 * @param deadlineNanos an absolute deadline on the {@link System#nanoTime()} scale (for example a
 *     gRPC deadline), or {@link #NO_DEADLINE}
 * @param parameters the request's other parameters, carried as given (values are String, Long,
 *     Double or Boolean)
 */
public record InferenceRequest(
    String id,
    Map<String, Tensor> inputs,
    List<String> outputs,
    int priority,
    long timeoutMicros,
    long deadlineNanos,
    Map<String, Object> parameters) {

  public static final long NO_DEADLINE = Long.MAX_VALUE;

  public InferenceRequest {
    id = id == null ? "" : id;
    inputs = Collections.unmodifiableMap(new LinkedHashMap<>(Objects.requireNonNull(inputs, "inputs")));
    outputs = List.copyOf(outputs);
    parameters = parameters == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    if (priority < 0) {
      throw new IllegalArgumentException("priority must be >= 0, got " + priority);
    }
    if (timeoutMicros < 0) {
      throw new IllegalArgumentException("timeout must be >= 0, got " + timeoutMicros);
    }
  }

  /** A request with no parameters, deadline or output selection. */
  public static InferenceRequest of(String id, Map<String, Tensor> inputs) {
    return new InferenceRequest(id, inputs, List.of(), 0, 0, NO_DEADLINE, Map.of());
  }

  public boolean hasDeadline() {
    return deadlineNanos != NO_DEADLINE;
  }
}
