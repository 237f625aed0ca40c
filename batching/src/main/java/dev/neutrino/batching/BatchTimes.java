package dev.neutrino.batching;

/**
 * The batches one scheduler ran with one number of rows, and where their time went, as Triton's
 * statistics extension reports them ({@code batch_stats}).
 *
 * @param count batches run with this many rows
 * @param computeInputNanos time spent gathering the members' inputs into one batch, summed over them
 * @param computeInferNanos time spent in the runtime, summed over them
 * @param computeOutputNanos time spent splitting the outputs back to the members, summed over them
 */
public record BatchTimes(long count, long computeInputNanos, long computeInferNanos, long computeOutputNanos) {
  public static final BatchTimes NONE = new BatchTimes(0, 0, 0, 0);

  /** The component-wise sum. */
  public BatchTimes plus(BatchTimes other) {
    return new BatchTimes(count + other.count, computeInputNanos + other.computeInputNanos,
        computeInferNanos + other.computeInferNanos, computeOutputNanos + other.computeOutputNanos);
  }
}
