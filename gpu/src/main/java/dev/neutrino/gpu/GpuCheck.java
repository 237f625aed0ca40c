package dev.neutrino.gpu;

import dev.neutrino.gpu.tensorrt.EngineBuildOptions;
import dev.neutrino.gpu.tensorrt.EngineBuilder;
import dev.neutrino.gpu.tensorrt.TensorRtBackend;
import dev.neutrino.runtime.Backend;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.GpuOptions;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * The device check {@code gpu/check.sh} runs on a machine with an NVIDIA GPU and no network: for each
 * model it loads the same ONNX file on ONNX Runtime's CPU, CUDA and TensorRT providers and as a native
 * TensorRT engine (FP32 and FP16, built here), reports where each one really runs, compares each
 * output with the CPU's (FP32 within 1e-5, FP16 within 1e-2, absolute plus relative), checks that a
 * batch of N equals N batches of one, and measures in-process throughput (one thread, fixed batch,
 * a fixed number of seconds per target).
 *
 * <p>Usage: {@code GpuCheck MODEL_REPOSITORY [--seconds N] [--batch N] [--models a,b]}. Exit code 0
 * when every target that loaded on its device agrees with the CPU, 1 otherwise.
 */
public final class GpuCheck {
  public static final double FP32_TOLERANCE = 1e-5;
  public static final double FP16_TOLERANCE = 1e-2;

  private GpuCheck() {}

  /** One way of running the model. */
  record Target(String name, double tolerance) {}

  public static void main(String[] args) throws Exception {
    if (args.length < 1) {
      System.err.println("usage: GpuCheck MODEL_REPOSITORY [--seconds N] [--batch N] [--models a,b]");
      System.exit(2);
    }
    Path repository = Path.of(args[0]);
    double seconds = 5;
    int batch = 32;
    List<String> models = List.of("recommender_mlp", "text_encoder");
    for (int i = 1; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--seconds" -> seconds = Double.parseDouble(args[i + 1]);
        case "--batch" -> batch = Integer.parseInt(args[i + 1]);
        case "--models" -> models = List.of(args[i + 1].split(","));
        default -> {
          System.err.println("unknown option " + args[i]);
          System.exit(2);
        }
      }
    }
    System.exit(run(repository, models, batch, seconds, System.out));
  }

  static int run(Path repository, List<String> models, int batch, double seconds, PrintStream out) throws Exception {
    out.printf(Locale.ROOT, "CUDA: %s%nTensorRT: %s%n", describe(GpuLibraries.cuda()), describe(GpuLibraries.tensorrt()));
    for (GpuReading gpu : GpuMonitor.nvml().read()) {
      out.printf(Locale.ROOT, "GPU %d: %s, %d MiB%n", gpu.index(), gpu.name(), gpu.memoryTotalBytes() >> 20);
    }
    OnnxRuntimeBackend ort = OnnxRuntimeBackend.create();
    int failures = 0;
    for (String name : models) {
      Path onnx = repository.resolve(name).resolve("1").resolve("model.onnx");
      out.printf(Locale.ROOT, "%n== %s (batch %d, %.1f s per target)%n", name, batch, seconds);
      out.printf(Locale.ROOT, "%-22s %-16s %-10s %-12s %-10s %12s%n", "target", "device", "vs cpu", "max diff",
          "N==Nx1", "rows/s");
      Map<String, Tensor> inputs;
      Map<String, Tensor> reference;
      Set<String> outputNames;
      try (LoadedModel cpu = ort.load(onnx, LoadOptions.cpu(1))) {
        inputs = sampleInputs(cpu.inputs(), batch);
        outputNames = Set.of(cpu.outputs().get(0).name());
        reference = cpu.run(inputs, outputNames);
        out.println(row("onnxruntime-cpu", cpu, reference, reference, inputs, outputNames, 0, seconds));
      }
      Path engines = Files.createTempDirectory("neutrino-check");
      List<Object[]> targets = new ArrayList<>();
      targets.add(new Object[] {"onnxruntime-cuda", FP32_TOLERANCE, ort,
          new LoadOptions(Device.CUDA, 0, 1, true, new GpuOptions(false, Map.of(), Map.of("use_tf32", "0")))});
      targets.add(new Object[] {"onnxruntime-tensorrt", FP32_TOLERANCE, ort,
          new LoadOptions(Device.TENSORRT, 0, 1, true, new GpuOptions(true, Map.of(), Map.of("use_tf32", "0")))});
      targets.add(new Object[] {"onnxruntime-trt-fp16", FP16_TOLERANCE, ort,
          new LoadOptions(Device.TENSORRT, 0, 1, true, new GpuOptions(true, Map.of("trt_fp16_enable", "1"), Map.of()))});
      for (Object[] t : targets) {
        failures += measure(out, (String) t[0], (double) t[1], (Backend) t[2], onnx, (LoadOptions) t[3], inputs,
            outputNames, reference, seconds);
      }
      for (boolean fp16 : new boolean[] {false, true}) {
        String target = fp16 ? "tensorrt-plan-fp16" : "tensorrt-plan";
        if (!GpuLibraries.tensorrt().usable()) {
          out.printf(Locale.ROOT, "%-22s not run: %s%n", target, GpuLibraries.tensorrt().reason());
          continue;
        }
        Path version = Files.createDirectories(engines.resolve(target).resolve("1"));
        try {
          byte[] plan = EngineBuilder.build(Files.readAllBytes(onnx),
              new EngineBuildOptions(fp16, false, null, 1, batch, Math.max(batch, 64), 0), 0);
          Files.write(version.resolve("model.plan"), plan);
        } catch (RuntimeException e) {
          out.printf(Locale.ROOT, "%-22s engine build failed: %s%n", target, e.getMessage());
          failures++;
          continue;
        }
        TensorRtBackend trt = TensorRtBackend.create(ort, engines.resolve("cache"));
        failures += measure(out, target, fp16 ? FP16_TOLERANCE : FP32_TOLERANCE, trt, version.resolve("model.plan"),
            new LoadOptions(Device.CUDA, 0, 1, true), inputs, outputNames, reference, seconds);
      }
    }
    out.printf(Locale.ROOT, "%n%s%n", failures == 0 ? "OK" : failures + " target(s) failed");
    return failures == 0 ? 0 : 1;
  }

  private static int measure(PrintStream out, String target, double tolerance, Backend backend, Path file,
      LoadOptions options, Map<String, Tensor> inputs, Set<String> outputNames, Map<String, Tensor> reference,
      double seconds) {
    try (LoadedModel model = backend.load(file, options)) {
      Map<String, Tensor> result = model.run(inputs, outputNames);
      String line = row(target, model, result, reference, inputs, outputNames, tolerance, seconds);
      out.println(line);
      return line.contains("DIFFERS") ? 1 : 0;
    } catch (Exception e) {
      out.printf(Locale.ROOT, "%-22s did not load: %s%n", target, e.getMessage());
      return 1;
    }
  }

  private static String row(String target, LoadedModel model, Map<String, Tensor> result,
      Map<String, Tensor> reference, Map<String, Tensor> inputs, Set<String> outputNames, double tolerance,
      double seconds) {
    String output = outputNames.iterator().next();
    double diff = maxDiff(result.get(output), reference.get(output));
    boolean agrees = within(result.get(output), reference.get(output), tolerance);
    boolean rowsAgree = batchEqualsRows(model, inputs, output, result.get(output), Math.max(tolerance, FP32_TOLERANCE));
    long rows = 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long batch = inputs.values().iterator().next().dim(0);
    while (System.nanoTime() < end) {
      model.run(inputs, outputNames);
      rows += batch;
    }
    double rate = rows / ((System.nanoTime() - start) / 1e9);
    return String.format(Locale.ROOT, "%-22s %-16s %-10s %-12.3g %-10s %12.0f", target, model.device(),
        agrees ? "agrees" : "DIFFERS", diff, rowsAgree ? "yes" : "DIFFERS", rate);
  }

  /** Each row run alone gives the row of the batch. */
  public static boolean batchEqualsRows(LoadedModel model, Map<String, Tensor> inputs, String output, Tensor batched,
      double tolerance) {
    long rows = batched.dim(0);
    float[] all = batched.toFloatArray();
    int width = (int) (all.length / rows);
    for (int r = 0; r < rows; r++) {
      Map<String, Tensor> one = new java.util.HashMap<>();
      for (Map.Entry<String, Tensor> e : inputs.entrySet()) {
        one.put(e.getKey(), row(e.getValue(), r));
      }
      float[] single = model.run(one, Set.of(output)).get(output).toFloatArray();
      for (int i = 0; i < width; i++) {
        float expected = all[r * width + i];
        if (Math.abs(single[i] - expected) > tolerance * (1 + Math.abs(expected))) {
          return false;
        }
      }
    }
    return true;
  }

  private static Tensor row(Tensor tensor, int r) {
    long[] shape = tensor.shape().clone();
    int rowBytes = (int) (tensor.byteSize() / shape[0]);
    shape[0] = 1;
    ByteBuffer data = Tensor.allocate(rowBytes);
    ByteBuffer source = tensor.data().duplicate();
    source.position(r * rowBytes).limit((r + 1) * rowBytes);
    data.put(source).flip();
    return Tensor.of(tensor.datatype(), shape, data);
  }

  public static double maxDiff(Tensor a, Tensor b) {
    float[] x = a.toFloatArray();
    float[] y = b.toFloatArray();
    double max = 0;
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      max = Math.max(max, Math.abs(x[i] - y[i]));
    }
    return x.length == y.length ? max : Double.POSITIVE_INFINITY;
  }

  /** Every element within {@code tolerance}, absolute plus relative to the reference. */
  public static boolean within(Tensor actual, Tensor expected, double tolerance) {
    float[] x = actual.toFloatArray();
    float[] y = expected.toFloatArray();
    if (x.length != y.length) {
      return false;
    }
    for (int i = 0; i < x.length; i++) {
      if (!(Math.abs(x[i] - y[i]) <= tolerance * (1 + Math.abs(y[i])))) {
        return false;
      }
    }
    return true;
  }

  /** Deterministic inputs: FP32 uniform in [-1, 1), INT64 token ids in [0, 1000). */
  public static Map<String, Tensor> sampleInputs(List<TensorSpec> specs, int batch) {
    Random random = new Random(42);
    Map<String, Tensor> inputs = new java.util.LinkedHashMap<>();
    for (TensorSpec spec : specs) {
      long[] shape = spec.shape().clone();
      long count = 1;
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] < 0) {
          shape[i] = i == 0 ? batch : 1;
        }
        count *= shape[i];
      }
      ByteBuffer data = Tensor.allocate(count * spec.datatype().elementSize()).order(ByteOrder.LITTLE_ENDIAN);
      for (long i = 0; i < count; i++) {
        switch (spec.datatype()) {
          case FP32 -> data.putFloat(random.nextFloat() * 2 - 1);
          case INT64 -> data.putLong(random.nextInt(1000));
          case INT32 -> data.putInt(random.nextInt(1000));
          default -> throw new IllegalArgumentException("the check feeds FP32, INT32 and INT64 inputs, not "
              + spec.datatype() + " (" + spec.name() + ")");
        }
      }
      data.flip();
      inputs.put(spec.name(), Tensor.of(spec.datatype(), shape, data));
    }
    return inputs;
  }

  private static String describe(GpuLibraries.Availability availability) {
    return availability.usable() ? availability.version() : "not usable: " + availability.reason();
  }
}
