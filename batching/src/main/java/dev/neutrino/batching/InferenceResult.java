package dev.neutrino.batching;

import dev.neutrino.runtime.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outputs of one request, in the order they should be returned, and where its time went. The
 * phases follow Triton's statistics: queue, then the batch's compute input, infer and output; each
 * member of a batch reports the batch's compute times.
 *
 * @param outputs output tensors by name; the caller owns them
 * @param queueNanos time from submission until its batch started on a model instance
 * @param computeInputNanos time its batch spent gathering the members' inputs
 * @param computeNanos time its batch spent in the runtime (Triton's {@code compute_infer})
 * @param computeOutputNanos time its batch spent splitting the outputs to the members
 * @param batchSize rows in the batch it ran in (1 when unbatched); 0 when the answer came from the
 *     response cache and nothing ran
 */
public record InferenceResult(Map<String, Tensor> outputs, long queueNanos, long computeInputNanos, long computeNanos,
    long computeOutputNanos, int batchSize) {

  public InferenceResult {
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  /** An answer from the response cache: nothing was queued or run. */
  public static InferenceResult cached(Map<String, Tensor> outputs) {
    return new InferenceResult(outputs, 0, 0, 0, 0, 0);
  }

  /** Whether the answer came from the response cache. */
  public boolean fromCache() {
    return batchSize == 0;
  }
}
