package dev.neutrino.batching;

import dev.neutrino.runtime.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outputs of one request, in the order they should be returned, and where its time went.
 *
 * @param outputs output tensors by name; the caller owns them
 * @param queueNanos time from submission until its batch started
 * @param computeNanos time its batch spent in the runtime
 * @param batchSize rows in the batch it ran in (1 when unbatched)
 */
public record InferenceResult(Map<String, Tensor> outputs, long queueNanos, long computeNanos, int batchSize) {
  public InferenceResult {
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }
}
