package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a server says about its own work on a model over one run: average batch size and the average
 * time a request spent queued and computing. Each is null when the server does not expose it.
 *
 * @param avgBatchSize requests per model execution ({@code inference_count / execution_count})
 * @param queueUsAvg microseconds a request waited in the queue, on average
 * @param computeUsAvg microseconds of compute (input, infer, output) of the batch a request ran in, on
 *     average over requests
 */
public record ServerStats(Double avgBatchSize, Double queueUsAvg, Double computeUsAvg) {
  public static final ServerStats NONE = new ServerStats(null, null, null);

  public boolean isEmpty() {
    return avgBatchSize == null && queueUsAvg == null && computeUsAvg == null;
  }

  /**
   * Cumulative counters of Triton's statistics extension for one model, at one moment.
   */
  public record Snapshot(long inferenceCount, long executionCount, long queueCount, long queueNs,
      long computeCount, long computeNs) {

    /** Nothing counted. */
    static final Snapshot ZERO = new Snapshot(0, 0, 0, 0, 0, 0);

    /**
     * Reads {@code {"model_stats": [ ... ]}}, summing over the versions listed.
     *
     * @return null when the document has no statistics
     */
    static Snapshot fromJson(JsonNode json) {
      JsonNode models = json.path("model_stats");
      if (!models.isArray() || models.isEmpty()) {
        return null;
      }
      Snapshot sum = ZERO;
      for (JsonNode model : models) {
        JsonNode stats = model.path("inference_stats");
        sum = sum.plus(new Snapshot(model.path("inference_count").asLong(), model.path("execution_count").asLong(),
            stats.path("queue").path("count").asLong(), stats.path("queue").path("ns").asLong(),
            stats.path("compute_infer").path("count").asLong(),
            stats.path("compute_input").path("ns").asLong() + stats.path("compute_infer").path("ns").asLong()
                + stats.path("compute_output").path("ns").asLong()));
      }
      return sum;
    }

    /** The sum of two snapshots, as of versions of one model. */
    Snapshot plus(Snapshot o) {
      return new Snapshot(inferenceCount + o.inferenceCount, executionCount + o.executionCount,
          queueCount + o.queueCount, queueNs + o.queueNs, computeCount + o.computeCount, computeNs + o.computeNs);
    }
  }

  /** What happened between two snapshots; {@link #NONE} when either is missing. */
  static ServerStats between(Snapshot before, Snapshot after) {
    if (before == null || after == null) {
      return NONE;
    }
    long executions = after.executionCount - before.executionCount;
    long inferences = after.inferenceCount - before.inferenceCount;
    long queued = after.queueCount - before.queueCount;
    long computed = after.computeCount - before.computeCount;
    return new ServerStats(
        executions > 0 ? (double) inferences / executions : null,
        queued > 0 ? (after.queueNs - before.queueNs) / 1000.0 / queued : null,
        computed > 0 ? (after.computeNs - before.computeNs) / 1000.0 / computed : null);
  }
}
