package dev.neutrino.repo;

import dev.neutrino.runtime.DataType;
import java.util.List;
import java.util.Map;

/**
 * Checks a model's configuration against the {@link LoadLimits}: first as written (before any instance
 * is loaded, so no thread is created for a configuration over a limit), then the warm-up requests as
 * they will be built (before any is allocated). Every refusal names the field, the value and the limit.
 */
final class LoadBounds {
  /** The parameters that set a thread count per instance. */
  static final List<String> THREAD_PARAMETERS = List.of("intra_op_thread_count", "inter_op_thread_count");

  private LoadBounds() {}

  /**
   * Checks the configuration as written.
   *
   * @throws IllegalArgumentException naming the field over its limit
   */
  static void check(ModelConfigParser.Raw raw, LoadLimits limits) {
    if (raw.instanceGroup() != null) {
      long instances = 0;
      for (ModelConfigParser.RawInstanceGroup group : raw.instanceGroup()) {
        long count = group.count() == null ? 1 : Math.max(0, group.count());
        // KIND_GPU runs count instances on each GPU listed.
        boolean perGpu = "KIND_GPU".equals(group.kind()) && group.gpus() != null && !group.gpus().isEmpty();
        instances += perGpu ? count * group.gpus().size() : count;
      }
      if (instances > limits.maxInstancesPerModel()) {
        throw new IllegalArgumentException("instance_group count " + instances + " is over the limit of "
            + limits.maxInstancesPerModel() + " instances per model");
      }
    }
    Map<String, String> parameters = raw.parameters() == null ? Map.of() : raw.parameters();
    for (String parameter : THREAD_PARAMETERS) {
      String value = parameters.get(parameter);
      if (value != null) {
        long threads = positiveInteger(parameter, value);
        if (threads > limits.maxThreadsPerInstance()) {
          throw new IllegalArgumentException("parameters." + parameter + " " + threads + " is over the limit of "
              + limits.maxThreadsPerInstance() + " threads per instance");
        }
      }
    }
    if (raw.maxBatchSize() != null && raw.maxBatchSize() > limits.maxBatchSize()) {
      throw new IllegalArgumentException("max_batch_size " + raw.maxBatchSize() + " is over the limit of "
          + limits.maxBatchSize());
    }
    if (raw.modelWarmup() == null) {
      return;
    }
    long runs = 0;
    for (ModelConfigParser.RawWarmup sample : raw.modelWarmup()) {
      String name = sample.name() == null ? "" : " '" + sample.name() + "'";
      int count = sample.count() == null ? 1 : sample.count();
      if (count > limits.maxWarmupCount()) {
        throw new IllegalArgumentException("model_warmup" + name + ": count " + count + " is over the limit of "
            + limits.maxWarmupCount());
      }
      runs += Math.max(0, count);
      int rows = sample.batchSize() == null ? 1 : sample.batchSize();
      if (rows > limits.maxBatchSize()) {
        throw new IllegalArgumentException("model_warmup" + name + ": batch_size " + rows + " is over the limit of "
            + limits.maxBatchSize());
      }
      if (sample.inputs() == null) {
        continue;
      }
      // Inputs not given here take the model's dims, known only once it is loaded: checked again then.
      long bytes = 0;
      for (Map.Entry<String, ModelConfigParser.RawWarmupInput> input : sample.inputs().entrySet()) {
        List<Long> dims = input.getValue().dims();
        if (dims != null) {
          DataType type = input.getValue().dataType() == null ? null : DataType.fromName(input.getValue().dataType());
          bytes = saturatedAdd(bytes, tensorBytes(type, Math.max(1, rows),
              dims.stream().mapToLong(Long::longValue).toArray()));
        }
      }
      if (bytes > limits.maxWarmupBytes()) {
        throw new IllegalArgumentException("model_warmup" + name + ": inputs of " + shownBytes(bytes)
            + " are over the limit of " + limits.maxWarmupBytes() + " bytes per warm-up request");
      }
    }
    if (runs > limits.maxWarmupCount()) {
      throw new IllegalArgumentException("model_warmup: counts adding up to " + runs + " are over the limit of "
          + limits.maxWarmupCount());
    }
  }

  /**
   * Checks each warm-up request as {@link ModelLoader} will build it, with the model's own dims where
   * the sample gives none.
   *
   * @throws IllegalArgumentException naming the sample over the limit
   */
  static void checkWarmup(ModelConfig config, List<WarmupSample> samples, LoadLimits limits) {
    for (WarmupSample sample : samples) {
      long bytes = 0;
      for (TensorConfig input : config.inputs()) {
        WarmupSample.Input given = sample.inputs().get(input.name());
        long[] dims = given != null ? given.dims() : input.dims();
        bytes = saturatedAdd(bytes, tensorBytes(input.dataType(), config.batched() ? warmupRows(config, sample) : 1,
            dims));
      }
      if (bytes > limits.maxWarmupBytes()) {
        throw new IllegalArgumentException("model_warmup '" + sample.name() + "': inputs of " + shownBytes(bytes)
            + " are over the limit of " + limits.maxWarmupBytes() + " bytes per warm-up request");
      }
    }
  }

  /** Rows of a warm-up request of a batching model: the sample's batch size, at most the model's. */
  static int warmupRows(ModelConfig config, WarmupSample sample) {
    return Math.min(sample.batchSize(), Math.max(1, config.maxBatchSize()));
  }

  /**
   * Bytes of a synthetic tensor of {@code rows} times {@code dims} (-1 and other negative dims read as
   * 1; BYTES elements empty, 4 bytes each; an unknown type as 1 byte each), saturating at
   * {@link Long#MAX_VALUE}.
   */
  static long tensorBytes(DataType type, long rows, long[] dims) {
    long elements = rows;
    for (long dim : dims) {
      elements = saturatedMultiply(elements, dim < 0 ? 1 : dim);
    }
    int size = type == null ? 1 : type == DataType.BYTES ? 4 : type.elementSize();
    return saturatedMultiply(elements, size);
  }

  private static long positiveInteger(String parameter, String value) {
    try {
      long parsed = Long.parseLong(value.trim());
      if (parsed >= 1) {
        return parsed;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new IllegalArgumentException("parameters." + parameter + " must be a positive integer, got '" + value
        + "'");
  }

  private static String shownBytes(long bytes) {
    return bytes == Long.MAX_VALUE ? "more than " + Long.MAX_VALUE + " bytes" : bytes + " bytes";
  }

  private static long saturatedMultiply(long a, long b) {
    long product = a * b;
    long high = Math.multiplyHigh(a, b);
    return (high == 0 && product >= 0) ? product : Long.MAX_VALUE;
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
