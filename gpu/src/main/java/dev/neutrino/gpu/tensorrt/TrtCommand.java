package dev.neutrino.gpu.tensorrt;

import dev.neutrino.gpu.GpuException;
import dev.neutrino.gpu.GpuLibraries;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code neutrino trt build MODEL.onnx [--fp16] [--int8 --calibration FILE] [--batch MIN:OPT:MAX]
 * --out model.plan}: builds a TensorRT engine from ONNX, as {@code trtexec --onnx ... --saveEngine}
 * does. Exit codes: 0 built, 1 TensorRT refused the model, 2 a bad command line, 3 TensorRT is not
 * usable on this machine.
 */
public final class TrtCommand {
  public static final int BUILT = 0;
  public static final int REFUSED = 1;
  public static final int USAGE = 2;
  public static final int UNAVAILABLE = 3;

  private TrtCommand() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err, GpuLibraries.tensorrt()));
  }

  @Command(name = "build", description = "Build a TensorRT engine from an ONNX model.", mixinStandardHelpOptions = true)
  static final class Build {
    @Parameters(index = "0", paramLabel = "MODEL.onnx", description = "the ONNX model")
    Path model;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "where the engine is written")
    Path out;

    @Option(names = "--fp16", description = "allow FP16 kernels")
    boolean fp16;

    @Option(names = "--int8", description = "allow INT8 kernels (needs --calibration)")
    boolean int8;

    @Option(names = "--calibration", paramLabel = "FILE", description = "a TensorRT INT8 calibration cache")
    Path calibration;

    @Option(names = "--batch", paramLabel = "MIN:OPT:MAX", defaultValue = "1:8:64",
        description = "the batch dimension's optimisation profile (default: ${DEFAULT-VALUE})")
    String batch;

    @Option(names = "--workspace-bytes", paramLabel = "N", defaultValue = "0",
        description = "the builder's workspace limit; 0 leaves TensorRT's default")
    long workspaceBytes;

    @Option(names = "--device", paramLabel = "N", defaultValue = "0", description = "the GPU to build on")
    int device;

    EngineBuildOptions options() {
      return new EngineBuildOptions(fp16, int8, calibration, 1, 1, 1, workspaceBytes).withBatch(batch);
    }
  }

  @Command(name = "trt", description = "TensorRT engines.", subcommands = Build.class, mixinStandardHelpOptions = true)
  static final class Trt {}

  /** Runs the command line; {@code tensorrt} is this process's TensorRT (tests pass the real one). */
  static int run(String[] args, PrintStream out, PrintStream err, GpuLibraries.Availability tensorrt) {
    CommandLine line = new CommandLine(new Trt());
    Build build;
    EngineBuildOptions options;
    try {
      CommandLine.ParseResult parsed = line.parseArgs(args);
      if (CommandLine.printHelpIfRequested(parsed)) {
        return BUILT;
      }
      if (!parsed.hasSubcommand()) {
        err.println("usage: ./neutrino trt build MODEL.onnx [--fp16] [--int8 --calibration FILE]"
            + " [--batch MIN:OPT:MAX] --out model.plan");
        return USAGE;
      }
      build = (Build) parsed.subcommand().commandSpec().userObject();
      options = build.options();
      if (build.device < 0) {
        throw new IllegalArgumentException("--device must be >= 0, got " + build.device);
      }
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      err.println("neutrino trt: " + e.getMessage());
      return USAGE;
    }
    if (!Files.isRegularFile(build.model)) {
      err.println("neutrino trt: " + build.model + " is not a file");
      return USAGE;
    }
    if (options.int8() && !Files.isRegularFile(options.calibration())) {
      err.println("neutrino trt: --calibration " + options.calibration() + " is not a file");
      return USAGE;
    }
    if (!tensorrt.usable()) {
      err.println("neutrino trt: TensorRT is not usable here: " + tensorrt.reason());
      return UNAVAILABLE;
    }
    try {
      byte[] plan = EngineBuilder.build(Files.readAllBytes(build.model), options, build.device);
      Path partial = build.out.resolveSibling(build.out.getFileName() + ".partial");
      Files.write(partial, plan);
      Files.move(partial, build.out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      out.println("built " + build.out + " (" + plan.length + " bytes, TensorRT " + tensorrt.version() + ", batch "
          + options.minBatch() + ":" + options.optBatch() + ":" + options.maxBatch()
          + (options.fp16() ? ", fp16" : "") + (options.int8() ? ", int8" : "") + ")");
      return BUILT;
    } catch (GpuException e) {
      err.println("neutrino trt: " + e.getMessage());
      return REFUSED;
    } catch (IOException e) {
      err.println("neutrino trt: " + e);
      return REFUSED;
    }
  }
}
