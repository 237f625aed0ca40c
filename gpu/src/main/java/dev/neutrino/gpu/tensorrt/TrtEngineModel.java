package dev.neutrino.gpu.tensorrt;

import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaFreeHost;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreate;
import static org.bytedeco.cuda.global.cudart.cudaStreamDestroy;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;

import dev.neutrino.gpu.GpuException;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

/**
 * One instance of a TensorRT engine on one GPU: its own deserialised engine, execution context and
 * CUDA stream, and its own pinned host and device buffers, grown to the largest batch seen.
 *
 * <p>A batch is: inputs copied into pinned host buffers, one asynchronous host-to-device copy per
 * input, {@code enqueueV3}, one device-to-host copy per output, one stream synchronisation. A batch
 * with more rows than the engine's optimisation profile allows is run in slices of the profile's
 * maximum, one after another.
 *
 * <p>Thread-safety: as {@link LoadedModel}: one run at a time, from the instance's thread (each run
 * sets the thread's CUDA device first). The native objects are owned here and freed by {@link #close()}.
 */
final class TrtEngineModel implements LoadedModel {
  private final int deviceId;
  private final TrtLogger logger;
  private final IRuntime runtime;
  private final ICudaEngine engine;
  private final IExecutionContext context;
  private final CUstream_st stream;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  /** Rows per run the engine's first optimisation profile allows; 0 when it has no batch dimension. */
  private final long maxRows;
  private final Map<String, Buffers> buffers = new HashMap<>();
  private boolean closed;

  private TrtEngineModel(int deviceId, TrtLogger logger, IRuntime runtime, ICudaEngine engine,
      IExecutionContext context, CUstream_st stream, List<TensorSpec> inputs, List<TensorSpec> outputs,
      long maxRows) {
    this.deviceId = deviceId;
    this.logger = logger;
    this.runtime = runtime;
    this.engine = engine;
    this.context = context;
    this.stream = stream;
    this.inputs = inputs;
    this.outputs = outputs;
    this.maxRows = maxRows;
  }

  /** Deserialises {@code plan} on GPU {@code deviceId}; the caller owns the result. */
  static TrtEngineModel open(byte[] plan, int deviceId) throws ModelLoadException {
    check(cudaSetDevice(deviceId), "cudaSetDevice");
    TrtLogger logger = new TrtLogger();
    IRuntime runtime = nvinfer.createInferRuntime(logger);
    if (runtime == null || runtime.isNull()) {
      throw new ModelLoadException("TensorRT could not create a runtime");
    }
    ICudaEngine engine;
    try (BytePointer bytes = new BytePointer(plan)) {
      engine = runtime.deserializeCudaEngine(bytes, plan.length);
    }
    if (engine == null || engine.isNull()) {
      runtime.close();
      throw new ModelLoadException("TensorRT could not deserialise the engine (built for another GPU or another"
          + " TensorRT version? rebuild it with ./neutrino trt build)");
    }
    List<TensorSpec> ins = new ArrayList<>();
    List<TensorSpec> outs = new ArrayList<>();
    long maxRows = Long.MAX_VALUE;
    for (int i = 0; i < engine.getNbIOTensors(); i++) {
      String name = engine.getIOTensorName(i);
      DataType type = dataType(engine.getTensorDataType(name));
      if (type == null) {
        engine.close();
        runtime.close();
        throw new ModelLoadException("engine tensor '" + name + "' has a datatype Neutrino cannot carry: "
            + engine.getTensorDataType(name));
      }
      long[] shape = dims(engine.getTensorShape(name));
      TensorSpec spec = new TensorSpec(name, type, shape);
      if (engine.getTensorIOMode(name) == nvinfer.TensorIOMode.kINPUT) {
        ins.add(spec);
        if (shape.length > 0 && shape[0] < 0 && engine.getNbOptimizationProfiles() > 0) {
          long[] max = dims(engine.getProfileShape(name, 0, nvinfer.OptProfileSelector.kMAX));
          maxRows = Math.min(maxRows, max.length > 0 ? max[0] : 1);
        }
      } else {
        outs.add(spec);
      }
    }
    IExecutionContext context = engine.createExecutionContext();
    CUstream_st stream = new CUstream_st();
    if (context == null || context.isNull()) {
      engine.close();
      runtime.close();
      throw new ModelLoadException("TensorRT could not create an execution context (out of GPU memory?)");
    }
    check(cudaStreamCreate(stream), "cudaStreamCreate");
    return new TrtEngineModel(deviceId, logger, runtime, engine, context, stream, List.copyOf(ins),
        List.copyOf(outs), maxRows == Long.MAX_VALUE ? 0 : maxRows);
  }

  @Override
  public long maxBatchRows() {
    return maxRows;
  }

  @Override
  public List<TensorSpec> inputs() {
    return inputs;
  }

  @Override
  public List<TensorSpec> outputs() {
    return outputs;
  }

  @Override
  public String device() {
    return "tensorrt-plan:" + deviceId;
  }

  /** Device memory the engine's context uses for its activations, in bytes. */
  long deviceMemoryBytes() {
    return engine.getDeviceMemorySizeV2();
  }

  @Override
  public Map<String, Tensor> run(Map<String, Tensor> given, Set<String> wanted) {
    if (closed) {
      throw new InferenceException.BackendFailure("the TensorRT engine is closed", null);
    }
    try {
      check(cudaSetDevice(deviceId), "cudaSetDevice");
      long rows = inputs.isEmpty() || given.get(inputs.get(0).name()).rank() == 0
          ? 1 : given.get(inputs.get(0).name()).dim(0);
      if (maxRows == 0 || rows <= maxRows) {
        return runSlice(given, wanted, 0, rows, rows);
      }
      Map<String, List<Tensor>> slices = new LinkedHashMap<>();
      for (long start = 0; start < rows; start += maxRows) {
        long count = Math.min(maxRows, rows - start);
        for (Map.Entry<String, Tensor> out : runSlice(given, wanted, start, count, rows).entrySet()) {
          slices.computeIfAbsent(out.getKey(), k -> new ArrayList<>()).add(out.getValue());
        }
      }
      Map<String, Tensor> joined = new LinkedHashMap<>();
      slices.forEach((name, parts) -> joined.put(name, concat(parts)));
      return joined;
    } catch (GpuException e) {
      throw new InferenceException.BackendFailure("TensorRT run failed: " + e.getMessage(), e);
    }
  }

  /** Runs rows [start, start + count) of a batch of {@code rows}. */
  private Map<String, Tensor> runSlice(Map<String, Tensor> given, Set<String> wanted, long start, long count,
      long rows) {
    for (TensorSpec spec : inputs) {
      Tensor tensor = given.get(spec.name());
      if (tensor == null) {
        throw new InferenceException.InvalidInput("input '" + spec.name() + "' is missing");
      }
      long[] shape = tensor.shape().clone();
      long rowBytes = shape.length == 0 ? tensor.byteSize() : tensor.byteSize() / Math.max(1, rows);
      if (shape.length > 0) {
        shape[0] = count;
      }
      long bytes = rowBytes * count;
      Buffers b = buffers(spec.name(), bytes);
      ByteBuffer host = b.host.position(0).limit(bytes).asByteBuffer();
      ByteBuffer source = tensor.data().duplicate();
      source.position((int) (rowBytes * start)).limit((int) (rowBytes * start + bytes));
      host.put(source);
      check(cudaMemcpyAsync(b.device, b.host.position(0), bytes, cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync");
      if (!context.setInputShape(spec.name(), toDims(shape))) {
        throw new InferenceException.InvalidInput("input '" + spec.name() + "' has a shape the engine refuses: "
            + java.util.Arrays.toString(shape));
      }
      context.setTensorAddress(spec.name(), b.device);
    }
    Map<String, long[]> outShapes = new LinkedHashMap<>();
    for (TensorSpec spec : outputs) {
      long[] shape = dims(context.getTensorShape(spec.name()));
      long bytes = Math.max(1, elements(shape)) * spec.datatype().elementSize();
      Buffers b = buffers(spec.name(), bytes);
      context.setTensorAddress(spec.name(), b.device);
      outShapes.put(spec.name(), shape);
    }
    if (!context.enqueueV3(stream)) {
      throw new GpuException("enqueueV3 failed (see TensorRT's log)");
    }
    for (Map.Entry<String, long[]> out : outShapes.entrySet()) {
      if (wanted.contains(out.getKey())) {
        Buffers b = buffers.get(out.getKey());
        long bytes = elements(out.getValue()) * spec(out.getKey()).datatype().elementSize();
        check(cudaMemcpyAsync(b.host.position(0), b.device, bytes, cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync");
      }
    }
    check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    Map<String, Tensor> results = new LinkedHashMap<>();
    for (Map.Entry<String, long[]> out : outShapes.entrySet()) {
      if (wanted.contains(out.getKey())) {
        DataType type = spec(out.getKey()).datatype();
        long bytes = elements(out.getValue()) * type.elementSize();
        ByteBuffer data = Tensor.allocate(bytes);
        data.put(buffers.get(out.getKey()).host.position(0).limit(bytes).asByteBuffer());
        data.flip();
        results.put(out.getKey(), Tensor.of(type, out.getValue(), data));
      }
    }
    return results;
  }

  private TensorSpec spec(String output) {
    for (TensorSpec spec : outputs) {
      if (spec.name().equals(output)) {
        return spec;
      }
    }
    throw new IllegalArgumentException(output);
  }

  private Buffers buffers(String name, long bytes) {
    Buffers b = buffers.get(name);
    if (b == null || b.capacity < bytes) {
      if (b != null) {
        b.free();
      }
      b = Buffers.allocate(Math.max(bytes, 1));
      buffers.put(name, b);
    }
    return b;
  }

  private static Tensor concat(List<Tensor> parts) {
    Tensor first = parts.get(0);
    long[] shape = first.shape().clone();
    long bytes = 0;
    shape[0] = 0;
    for (Tensor part : parts) {
      shape[0] += part.dim(0);
      bytes += part.byteSize();
    }
    ByteBuffer data = Tensor.allocate(bytes);
    for (Tensor part : parts) {
      data.put(part.data().duplicate());
    }
    data.flip();
    return Tensor.of(first.datatype(), shape, data);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    cudaSetDevice(deviceId);
    buffers.values().forEach(Buffers::free);
    buffers.clear();
    cudaStreamDestroy(stream);
    context.close();
    engine.close();
    runtime.close();
    logger.close();
  }

  /** A pinned host buffer and a device buffer of the same capacity; owned by the model. */
  private static final class Buffers {
    final Pointer host;
    final Pointer device;
    final long capacity;

    private Buffers(Pointer host, Pointer device, long capacity) {
      this.host = host;
      this.device = device;
      this.capacity = capacity;
    }

    static Buffers allocate(long bytes) {
      BytePointer host = new BytePointer();
      check(cudaMallocHost(host, bytes), "cudaMallocHost");
      host.capacity(bytes).limit(bytes);
      Pointer device = new Pointer();
      int status = cudaMalloc(device, bytes);
      if (status != 0) {
        cudaFreeHost(host);
        check(status, "cudaMalloc");
      }
      return new Buffers(host, device, bytes);
    }

    void free() {
      cudaFreeHost(host);
      cudaFree(device);
    }
  }

  static long[] dims(Dims64 dims) {
    long[] shape = new long[dims.nbDims()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.d(i);
    }
    return shape;
  }

  static Dims64 toDims(long[] shape) {
    Dims64 dims = new Dims64();
    dims.nbDims(shape.length);
    for (int i = 0; i < shape.length; i++) {
      dims.d(i, shape[i]);
    }
    return dims;
  }

  private static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      n *= Math.max(0, d);
    }
    return n;
  }

  /** TensorRT's datatype as ours; null for those the protocol cannot carry (FP8, INT4, ...). */
  static DataType dataType(nvinfer.DataType type) {
    return switch (type.name()) {
      case "kFLOAT" -> DataType.FP32;
      case "kHALF" -> DataType.FP16;
      case "kBF16" -> DataType.BF16;
      case "kINT8" -> DataType.INT8;
      case "kUINT8" -> DataType.UINT8;
      case "kINT32" -> DataType.INT32;
      case "kINT64" -> DataType.INT64;
      case "kBOOL" -> DataType.BOOL;
      default -> null;
    };
  }

  private static void check(int status, String call) {
    if (status != 0) {
      BytePointer text = cudart.cudaGetErrorString(status);
      throw new GpuException("CUDA " + call + " failed: " + (text == null ? "error " + status : text.getString()));
    }
  }
}
