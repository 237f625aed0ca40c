package dev.neutrino.gpu.tensorrt;

import static org.bytedeco.cuda.global.cudart.cudaGetDeviceProperties;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;

import dev.neutrino.gpu.GpuException;
import dev.neutrino.gpu.GpuLibraries;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.IInt8EntropyCalibrator2;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvonnxparser.IParser;

/**
 * Builds a serialised TensorRT engine from ONNX with TensorRT's builder and ONNX parser: one
 * optimisation profile over the leading (batch) dimension of every input whose first dimension is
 * dynamic. Blocking and slow (seconds to minutes): run it on a worker or from the command line.
 * Call it only where {@link GpuLibraries#tensorrt()} is usable.
 */
public final class EngineBuilder {
  private EngineBuilder() {}

  /** The GPU's identity for {@link EngineCacheKey}: its name and compute capability. */
  public static String[] gpuIdentity(int deviceId) {
    check(cudaSetDevice(deviceId), "cudaSetDevice");
    try (cudaDeviceProp properties = new cudaDeviceProp()) {
      check(cudaGetDeviceProperties(properties, deviceId), "cudaGetDeviceProperties");
      return new String[] {properties.name().getString(), properties.major() + "." + properties.minor()};
    }
  }

  /** Builds the engine; throws {@link GpuException} naming what TensorRT refused. */
  public static byte[] build(byte[] onnx, EngineBuildOptions options, int deviceId) throws IOException {
    check(cudaSetDevice(deviceId), "cudaSetDevice");
    try (TrtLogger logger = new TrtLogger();
        IBuilder builder = nvinfer.createInferBuilder(logger);
        INetworkDefinition network = builder.createNetworkV2(0);
        IParser parser = nvonnxparser.createParser(network, logger);
        BytePointer model = new BytePointer(onnx);
        IBuilderConfig config = builder.createBuilderConfig()) {
      if (!parser.parse(model, onnx.length)) {
        List<String> errors = new ArrayList<>();
        for (int i = 0; i < parser.getNbErrors(); i++) {
          errors.add(parser.getError(i).desc());
        }
        throw new GpuException("TensorRT's ONNX parser refused the model: " + String.join("; ", errors));
      }
      IOptimizationProfile profile = builder.createOptimizationProfile();
      for (int i = 0; i < network.getNbInputs(); i++) {
        ITensor input = network.getInput(i);
        long[] shape = TrtEngineModel.dims(input.getDimensions());
        if (shape.length == 0 || shape[0] >= 0) {
          continue;
        }
        for (int d = 1; d < shape.length; d++) {
          if (shape[d] < 0) {
            throw new GpuException("input '" + input.getName() + "' has a dynamic dimension besides the batch"
                + " dimension; only the batch dimension can be profiled");
          }
        }
        profile.setDimensions(input.getName(), nvinfer.OptProfileSelector.kMIN, withBatch(shape, options.minBatch()));
        profile.setDimensions(input.getName(), nvinfer.OptProfileSelector.kOPT, withBatch(shape, options.optBatch()));
        profile.setDimensions(input.getName(), nvinfer.OptProfileSelector.kMAX, withBatch(shape, options.maxBatch()));
      }
      config.addOptimizationProfile(profile);
      if (options.workspaceBytes() > 0) {
        config.setMemoryPoolLimit(nvinfer.MemoryPoolType.kWORKSPACE, options.workspaceBytes());
      }
      // FP32 means FP32: TensorRT would otherwise use TF32 tensor cores (10 mantissa bits) on Ampere and later.
      config.clearFlag(nvinfer.BuilderFlag.kTF32);
      if (options.fp16()) {
        config.setFlag(nvinfer.BuilderFlag.kFP16);
      }
      CacheCalibrator calibrator = null;
      if (options.int8()) {
        calibrator = new CacheCalibrator(Files.readAllBytes(options.calibration()));
        config.setFlag(nvinfer.BuilderFlag.kINT8);
        config.setInt8Calibrator(calibrator);
      }
      try (IHostMemory serialized = builder.buildSerializedNetwork(network, config)) {
        if (serialized == null || serialized.isNull()) {
          throw new GpuException("TensorRT could not build the engine (see TensorRT's log)");
        }
        byte[] plan = new byte[(int) serialized.size()];
        new BytePointer(serialized.data()).capacity(plan.length).get(plan);
        return plan;
      } finally {
        if (calibrator != null) {
          calibrator.close();
        }
      }
    }
  }

  private static org.bytedeco.tensorrt.nvinfer.Dims64 withBatch(long[] shape, long batch) {
    long[] copy = shape.clone();
    copy[0] = batch;
    return TrtEngineModel.toDims(copy);
  }

  /**
   * An INT8 calibrator that only answers a calibration cache written earlier: TensorRT reads the
   * scales from it and never asks for a batch.
   */
  static final class CacheCalibrator extends IInt8EntropyCalibrator2 {
    private final BytePointer cache;

    CacheCalibrator(byte[] cache) {
      this.cache = new BytePointer(cache);
    }

    @Override
    public int getBatchSize() {
      return 1;
    }

    @Override
    public boolean getBatch(PointerPointer bindings, PointerPointer names, int count) {
      return false;
    }

    @Override
    public Pointer readCalibrationCache(LongPointer length) {
      length.put(cache.capacity());
      return cache;
    }

    @Override
    public void writeCalibrationCache(Pointer data, long length) {}

    @Override
    public void close() {
      cache.close();
      super.close();
    }
  }

  private static void check(int status, String call) {
    if (status != 0) {
      throw new GpuException("CUDA " + call + " failed (" + status + ")");
    }
  }
}
