package dev.neutrino.gpu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import dev.neutrino.runtime.onnx.OnnxRuntimeBackend;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neutrino doctor}: what this machine can actually run. It prints the JVM, the CPU's vector
 * features, which ONNX Runtime execution providers start (by opening a one-node model on each, as
 * strictly as a model configured for it would), the CUDA driver and runtime, the GPUs with their
 * memory and TensorRT's version; with {@code --model-repository}, each model and what it needs.
 *
 * <p>Exit codes: 0 when every configured model can run as configured, 1 when one needs what is
 * missing (a strict GPU placement, a TensorRT engine without a CPU fallback), 2 for a bad command line.
 */
@Command(name = "doctor", mixinStandardHelpOptions = true,
    description = "Print what this machine can run; exit 1 if a configured model needs what is missing.")
public final class Doctor {
  public static final int OK = 0;
  public static final int MISSING = 1;
  public static final int USAGE = 2;

  /** The /proc/cpuinfo flags that matter to ONNX Runtime's CPU kernels, in the order printed. */
  static final List<String> CPU_FEATURES = List.of(
      "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16",
      "avx_vnni", "amx_tile", "amx_int8", "amx_bf16");
  private static final Pattern PBTXT_GPU = Pattern.compile("kind\\s*:\\s*KIND_(GPU|AUTO)");
  private static final Pattern PBTXT_TENSORRT_PLAN = Pattern.compile("platform\\s*:\\s*\"tensorrt_plan\"");
  private static final Pattern PBTXT_TRT_ACCELERATOR = Pattern.compile("name\\s*:\\s*\"tensorrt\"");
  private static final Pattern PBTXT_STRICT =
      Pattern.compile("key\\s*:\\s*\"strict_device\"\\s*value\\s*:\\s*\\{\\s*string_value\\s*:\\s*\"true\"");

  @Option(names = "--model-repository", paramLabel = "DIR", description = "check the models in DIR")
  Path repository;

  @Option(names = "--cpuinfo", hidden = true, defaultValue = "/proc/cpuinfo")
  Path cpuinfo;

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** What the machine offers, found once per run. */
  record Machine(Map<Device, String> providers, GpuLibraries.Availability cuda, GpuLibraries.Availability tensorrt) {
    boolean starts(Device device) {
      return providers.get(device) == null;
    }
  }

  public static int run(String[] args, PrintStream out, PrintStream err) {
    Doctor doctor = new Doctor();
    try {
      CommandLine.ParseResult parsed = new CommandLine(doctor).parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return OK;
      }
    } catch (CommandLine.ParameterException e) {
      err.println("neutrino doctor: " + e.getMessage());
      return USAGE;
    }
    if (doctor.repository != null && !Files.isDirectory(doctor.repository)) {
      err.println("neutrino doctor: --model-repository " + doctor.repository + " is not a directory");
      return USAGE;
    }
    return doctor.report(out);
  }

  int report(PrintStream out) {
    Runtime rt = Runtime.getRuntime();
    out.println("JVM: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.vendor") + "), " + rt.availableProcessors() + " cores, max heap "
        + (rt.maxMemory() >> 20) + " MiB");
    out.println("CPU: " + cpuLine());
    Machine machine = probe();
    for (Device device : Device.values()) {
      String why = machine.providers().get(device);
      out.println("ONNX Runtime " + providerName(device) + " provider: "
          + (why == null ? "starts" : "does not start: " + why));
    }
    out.println("CUDA: " + (machine.cuda().usable() ? machine.cuda().version() : "not usable: " + machine.cuda().reason()));
    GpuMonitor monitor = GpuMonitor.nvml();
    if (monitor.present()) {
      List<GpuReading> gpus = monitor.read();
      out.println("GPUs: " + gpus.size() + " (NVML " + GpuLibraries.nvml().version() + ")");
      for (GpuReading gpu : gpus) {
        out.println("  GPU " + gpu.index() + ": " + gpu.name() + ", memory " + (gpu.memoryUsedBytes() >> 20) + " / "
            + (gpu.memoryTotalBytes() >> 20) + " MiB used");
      }
    } else {
      out.println("GPUs: none found (" + monitor.whyAbsent() + ")");
    }
    out.println("TensorRT: " + (machine.tensorrt().usable() ? machine.tensorrt().version()
        : "not usable: " + machine.tensorrt().reason()));
    if (repository == null) {
      return OK;
    }
    return checkModels(machine, out);
  }

  private String cpuLine() {
    try (Stream<String> lines = Files.lines(cpuinfo)) {
      String model = "unknown model";
      Set<String> flags = new TreeSet<>();
      for (String line : (Iterable<String>) lines::iterator) {
        int colon = line.indexOf(':');
        if (colon < 0) {
          continue;
        }
        String key = line.substring(0, colon).trim();
        String value = line.substring(colon + 1).trim();
        if (key.equals("model name") && model.equals("unknown model")) {
          model = value;
        } else if (key.equals("flags") && flags.isEmpty()) {
          flags.addAll(List.of(value.split("\\s+")));
        }
      }
      List<String> present = new ArrayList<>();
      for (String feature : CPU_FEATURES) {
        if (flags.contains(feature)) {
          present.add(feature);
        }
      }
      return model + "; features: " + (present.isEmpty() ? "none of " + CPU_FEATURES : String.join(" ", present));
    } catch (IOException | RuntimeException e) {
      return "cannot read " + cpuinfo + " (" + e.getClass().getSimpleName() + ")";
    }
  }

  /** Tries each ORT provider on a one-node model, strictly, and probes CUDA and TensorRT. */
  static Machine probe() {
    Map<Device, String> providers = new LinkedHashMap<>();
    Path dir = null;
    try {
      dir = Files.createTempDirectory("neutrino-doctor");
      Path model = dir.resolve("identity.onnx");
      new OnnxModelBuilder("doctor")
          .input("x", DataType.FP32, -1, 4)
          .output("y", DataType.FP32, -1, 4)
          .node("Identity", List.of("x"), List.of("y"))
          .writeTo(model);
      OnnxRuntimeBackend ort = OnnxRuntimeBackend.create();
      for (Device device : Device.values()) {
        try (LoadedModel loaded = ort.load(model, new LoadOptions(device, 0, 1, device != Device.CPU))) {
          providers.put(device, null);
        } catch (ModelLoadException e) {
          providers.put(device, e.getMessage());
        }
      }
    } catch (IOException | IllegalStateException e) {
      for (Device device : Device.values()) {
        providers.put(device, "ONNX Runtime cannot start: " + e.getMessage());
      }
    } finally {
      deleteQuietly(dir);
    }
    return new Machine(providers, GpuLibraries.cuda(), GpuLibraries.tensorrt());
  }

  private int checkModels(Machine machine, PrintStream out) {
    List<Path> models = new ArrayList<>();
    try (Stream<Path> children = Files.list(repository)) {
      children.filter(Files::isDirectory).sorted().forEach(models::add);
    } catch (IOException e) {
      out.println("models: cannot list the repository (" + e.getClass().getSimpleName() + ")");
      return MISSING;
    }
    out.println("Models in " + repository + ":");
    int missing = 0;
    for (Path model : models) {
      Needs needs;
      try {
        needs = needs(model);
      } catch (IOException | RuntimeException e) {
        out.println("  " + model.getFileName() + ": cannot read its configuration (" + e.getMessage() + ")");
        missing++;
        continue;
      }
      String verdict = verdict(needs, machine);
      if (verdict.startsWith("MISSING")) {
        missing++;
      }
      out.println("  " + model.getFileName() + ": " + verdict);
    }
    return missing == 0 ? OK : MISSING;
  }

  /** What a model's configuration asks for. */
  record Needs(boolean enginePlan, boolean gpu, boolean tensorrtAccelerator, boolean strict, boolean onnxBeside) {}

  static Needs needs(Path model) throws IOException {
    Path yaml = model.resolve("config.yaml");
    Path pbtxt = model.resolve("config.pbtxt");
    boolean plan = false;
    boolean gpu = false;
    boolean trt = false;
    boolean strict = false;
    if (Files.isRegularFile(yaml)) {
      JsonNode root = new ObjectMapper(new YAMLFactory()).readTree(yaml.toFile());
      if (root != null) {
        plan = "tensorrt_plan".equals(root.path("platform").asText()) || "tensorrt".equals(root.path("backend").asText());
        for (JsonNode group : root.path("instance_group")) {
          String kind = group.path("kind").asText("KIND_CPU");
          gpu |= kind.equals("KIND_GPU") || kind.equals("KIND_AUTO");
        }
        for (JsonNode accelerator : root.path("optimization").path("execution_accelerators")
            .path("gpu_execution_accelerator")) {
          trt |= "tensorrt".equals(accelerator.path("name").asText());
        }
        JsonNode strictValue = root.path("parameters").path("strict_device");
        strict = "true".equalsIgnoreCase(strictValue.isObject()
            ? strictValue.path("string_value").asText() : strictValue.asText());
      }
    } else if (Files.isRegularFile(pbtxt)) {
      String text = Files.readString(pbtxt);
      plan = PBTXT_TENSORRT_PLAN.matcher(text).find();
      gpu = PBTXT_GPU.matcher(text).find();
      trt = PBTXT_TRT_ACCELERATOR.matcher(text).find();
      strict = PBTXT_STRICT.matcher(text).find();
    }
    boolean onnx;
    try (Stream<Path> files = Files.walk(model, 2)) {
      onnx = files.anyMatch(p -> p.getFileName().toString().equals("model.onnx"));
    }
    boolean planOnDisk;
    try (Stream<Path> files = Files.walk(model, 2)) {
      planOnDisk = files.anyMatch(p -> p.getFileName().toString().equals("model.plan"));
    }
    return new Needs(plan || (planOnDisk && !onnx), gpu || plan, trt, strict, onnx);
  }

  static String verdict(Needs needs, Machine machine) {
    if (needs.enginePlan()) {
      if (machine.tensorrt().usable()) {
        return "TensorRT engine: runs on TensorRT " + machine.tensorrt().version();
      }
      if (needs.strict() || !needs.onnxBeside()) {
        return "MISSING TensorRT (" + machine.tensorrt().reason() + ")"
            + (needs.onnxBeside() ? "; strict_device forbids the CPU fallback" : "; no model.onnx to fall back to");
      }
      return "TensorRT engine: falls back to model.onnx on the CPU (" + machine.tensorrt().reason() + ")";
    }
    if (!needs.gpu()) {
      return "CPU: runs";
    }
    Device wanted = needs.tensorrtAccelerator() ? Device.TENSORRT : Device.CUDA;
    if (machine.starts(wanted)) {
      return "GPU: runs on ONNX Runtime's " + providerName(wanted) + " provider";
    }
    if (needs.strict()) {
      return "MISSING ONNX Runtime's " + providerName(wanted) + " provider (strict_device): "
          + machine.providers().get(wanted);
    }
    if (wanted == Device.TENSORRT && machine.starts(Device.CUDA)) {
      return "GPU: falls back from TensorRT to ONNX Runtime's CUDA provider";
    }
    return "GPU requested: falls back to the CPU (" + providerName(wanted) + " does not start)";
  }

  static String providerName(Device device) {
    return switch (device) {
      case CPU -> "CPU";
      case CUDA -> "CUDA";
      case TENSORRT -> "TensorRT";
    };
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException ignored) {
          // a temporary file left behind; nothing depends on it
        }
      });
    } catch (IOException ignored) {
      // as above
    }
  }

}
