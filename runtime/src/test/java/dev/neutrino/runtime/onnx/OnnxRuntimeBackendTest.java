package dev.neutrino.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.Device;
import dev.neutrino.runtime.GpuOptions;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.LoadOptions;
import dev.neutrino.runtime.LoadedModel;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.Tensor;
import dev.neutrino.runtime.TensorSpec;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ModelProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.StringStringEntryProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TensorProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TypeProto;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OnnxRuntimeBackendTest {
  private static final LoadOptions CPU = LoadOptions.cpu(1);

  private final OnnxRuntimeBackend backend = OnnxRuntimeBackend.create();

  @TempDir Path dir;

  private Path write(OnnxModelBuilder builder) throws Exception {
    Path file = dir.resolve("model.onnx");
    builder.writeTo(file);
    return file;
  }

  private static Path writeBytes(Path file, byte[] bytes) throws Exception {
    Files.write(file, bytes);
    return file;
  }

  private static OnnxModelBuilder identity(DataType type) {
    return new OnnxModelBuilder("identity")
        .input("x", type, -1, 2)
        .output("y", type, -1, 2)
        .node("Identity", List.of("x"), List.of("y"));
  }

  /** Four elements of {@code type}, shaped [2, 2], chosen to catch sign, width and order mistakes. */
  private static Tensor sample(DataType type) {
    long[] shape = {2, 2};
    if (type == DataType.BYTES) {
      return Tensor.ofStrings(shape, "héllo wörld ✓", "", "日本語", "plain");
    }
    ByteBuffer b = Tensor.allocate(4L * type.elementSize());
    switch (type) {
      case BOOL -> b.put((byte) 1).put((byte) 0).put((byte) 0).put((byte) 1);
      case UINT8 -> b.put((byte) 0).put((byte) 0xFF).put((byte) 0x80).put((byte) 7);
      case INT8 -> b.put((byte) -128).put((byte) 127).put((byte) 0).put((byte) -1);
      // Unsigned values above the signed maximum: 40000 > 32767, 3e9 > 2^31-1, 2^64-1 and 2^63+5.
      case UINT16 -> b.putShort((short) 40000).putShort((short) 0xFFFF).putShort((short) 0)
          .putShort((short) 1);
      case UINT32 -> b.putInt((int) 3_000_000_000L).putInt(0xFFFFFFFF).putInt(0).putInt(1);
      case UINT64 -> b.putLong(-1L).putLong(Long.MIN_VALUE + 5).putLong(0).putLong(1);
      case INT16 -> b.putShort(Short.MIN_VALUE).putShort(Short.MAX_VALUE).putShort((short) 0)
          .putShort((short) -1);
      case INT32 -> b.putInt(Integer.MIN_VALUE).putInt(Integer.MAX_VALUE).putInt(0).putInt(-1);
      case INT64 -> b.putLong(Long.MIN_VALUE).putLong(Long.MAX_VALUE).putLong(0).putLong(-1);
      // FP16: 1.0, -2.0, the largest finite value, the smallest subnormal.
      case FP16 -> b.putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x7BFF)
          .putShort((short) 0x0001);
      // BF16: 1.0, -2.0, the largest finite value, the smallest subnormal.
      case BF16 -> b.putShort((short) 0x3F80).putShort((short) 0xC000).putShort((short) 0x7F7F)
          .putShort((short) 0x0001);
      case FP32 -> b.putFloat(1.5f).putFloat(-0.0f).putFloat(Float.MAX_VALUE)
          .putFloat(Float.MIN_VALUE);
      case FP64 -> b.putDouble(Math.PI).putDouble(-0.0).putDouble(Double.MAX_VALUE)
          .putDouble(Double.MIN_VALUE);
      default -> throw new IllegalArgumentException(type.toString());
    }
    b.flip();
    return Tensor.of(type, shape, b);
  }

  private static byte[] bytes(Tensor tensor) {
    ByteBuffer data = tensor.data();
    byte[] out = new byte[data.remaining()];
    data.get(out);
    return out;
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void identityRoundTripsEveryDataTypeByteForByte(DataType type) throws Exception {
    Tensor input = sample(type);
    try (LoadedModel model = backend.load(write(identity(type)), CPU)) {
      Map<String, Tensor> out = model.run(Map.of("x", input), Set.of("y"));

      Tensor y = out.get("y");
      assertEquals(type, y.datatype());
      assertArrayEquals(new long[] {2, 2}, y.shape());
      assertArrayEquals(bytes(input), bytes(y));
      assertTrue(y.data().isDirect(), "outputs are handed over in direct buffers");
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DataType.class,
      names = {"UINT16", "UINT32", "UINT64"})
  void reportsWideUnsignedInputsAndOutputsWithTheirOwnTypeAndName(DataType type) throws Exception {
    try (LoadedModel model = backend.load(write(identity(type)), CPU)) {
      assertEquals(List.of(new TensorSpec("x", type, new long[] {-1, 2})), model.inputs());
      assertEquals(List.of(new TensorSpec("y", type, new long[] {-1, 2})), model.outputs());
    }
  }

  @Test
  void bytesOutputKeepsNonAsciiAndEmptyStringsInRowMajorOrder() throws Exception {
    try (LoadedModel model = backend.load(write(identity(DataType.BYTES)), CPU)) {
      Tensor y = model.run(Map.of("x", sample(DataType.BYTES)), Set.of("y")).get("y");

      List<byte[]> elements = y.toByteElements();
      assertEquals(4, elements.size());
      assertEquals("héllo wörld ✓", new String(elements.get(0), StandardCharsets.UTF_8));
      assertEquals("", new String(elements.get(1), StandardCharsets.UTF_8));
      assertEquals("日本語", new String(elements.get(2), StandardCharsets.UTF_8));
      assertEquals("plain", new String(elements.get(3), StandardCharsets.UTF_8));
    }
  }

  @Test
  void addOnInt32GivesExactSums() throws Exception {
    OnnxModelBuilder add =
        new OnnxModelBuilder("add")
            .input("a", DataType.INT32, -1)
            .input("b", DataType.INT32, -1)
            .output("sum", DataType.INT32, -1)
            .node("Add", List.of("a", "b"), List.of("sum"));
    try (LoadedModel model = backend.load(write(add), CPU)) {
      Tensor a = Tensor.ofInts(new long[] {4}, 1_000_000_000, -7, 0, Integer.MAX_VALUE - 1);
      Tensor b = Tensor.ofInts(new long[] {4}, 1_000_000_000, 3, 0, 1);

      Tensor sum = model.run(Map.of("a", a, "b", b), Set.of("sum")).get("sum");

      assertArrayEquals(new int[] {2_000_000_000, -4, 0, Integer.MAX_VALUE}, sum.toIntArray());
    }
  }

  @Test
  void reportsNamesTypesAndMinusOneForDynamicDimensions() throws Exception {
    OnnxModelBuilder builder =
        new OnnxModelBuilder("signature")
            .input("tokens", DataType.INT64, -1, 128)
            .input("scale", DataType.FP32, -1, -1)
            .output("ids", DataType.INT64, -1, 128)
            .output("scaled", DataType.FP32, -1, -1)
            .node("Identity", List.of("tokens"), List.of("ids"))
            .node("Identity", List.of("scale"), List.of("scaled"));
    try (LoadedModel model = backend.load(write(builder), CPU)) {
      assertEquals(
          List.of(
              new TensorSpec("tokens", DataType.INT64, new long[] {-1, 128}),
              new TensorSpec("scale", DataType.FP32, new long[] {-1, -1})),
          model.inputs());
      assertEquals(
          List.of(
              new TensorSpec("ids", DataType.INT64, new long[] {-1, 128}),
              new TensorSpec("scaled", DataType.FP32, new long[] {-1, -1})),
          model.outputs());
      assertEquals("cpu", model.device());
    }
  }

  @Test
  void returnsOnlyTheRequestedOutput() throws Exception {
    OnnxModelBuilder builder =
        new OnnxModelBuilder("two")
            .input("x", DataType.FP32, -1)
            .output("same", DataType.FP32, -1)
            .output("negated", DataType.FP32, -1)
            .node("Identity", List.of("x"), List.of("same"))
            .node("Neg", List.of("x"), List.of("negated"));
    try (LoadedModel model = backend.load(write(builder), CPU)) {
      Map<String, Tensor> out =
          model.run(Map.of("x", Tensor.ofFloats(new long[] {2}, 1f, -2f)), Set.of("negated"));

      assertEquals(Set.of("negated"), out.keySet());
      assertArrayEquals(new float[] {-1f, 2f}, out.get("negated").toFloatArray());
    }
  }

  @Test
  void runsTensorsOverHeapBuffers() throws Exception {
    try (LoadedModel model = backend.load(write(identity(DataType.INT32)), CPU)) {
      Tensor heap = Tensor.of(DataType.INT32, new long[] {1, 2}, bytesOf(-5, 1 << 30));

      Tensor y = model.run(Map.of("x", heap), Set.of("y")).get("y");

      assertArrayEquals(new int[] {-5, 1 << 30}, y.toIntArray());
    }
  }

  @Test
  void heapTensorsOfDifferentSizesShareOneStagingBufferWithoutSeeingEachOthersBytes() throws Exception {
    try (LoadedModel loaded = backend.load(write(identity(DataType.INT32)), CPU)) {
      OnnxSessionModel model = assertInstanceOf(OnnxSessionModel.class, loaded);
      int[] large = {1, -2, 3, -4, 5, -6, Integer.MIN_VALUE, Integer.MAX_VALUE};
      int[] small = {42, -42};
      int[] medium = {7, 8, 9, 10};

      int[] first = runHeap(model, large);
      int capacity = model.stagingCapacity("x");
      int[] second = runHeap(model, small);
      int[] third = runHeap(model, medium);

      assertArrayEquals(large, first);
      assertArrayEquals(small, second, "only the small request's rows, none left from the large one");
      assertArrayEquals(medium, third);
      assertTrue(capacity >= 4 * large.length, "a heap tensor was staged: " + capacity);
      assertEquals(capacity, model.stagingCapacity("x"), "the smaller requests reused the buffer");
    }
  }

  @Test
  void adaptiveInstanceStagesEachSessionsInputsApart() throws Exception {
    try (LoadedModel model =
        backend.load(write(identity(DataType.INT32)), LoadOptions.cpu(1).withWideIntraOpThreads(2))) {
      assertTrue(model.hasWideSession());
      int[] large = {11, 12, 13, 14, 15, 16};
      int[] small = {-1, -2};
      Map<String, Tensor> largeIn = Map.of("x", heapInts(large));
      Map<String, Tensor> smallIn = Map.of("x", heapInts(small));

      assertArrayEquals(large, model.runWide(largeIn, Set.of("y")).get("y").toIntArray());
      assertArrayEquals(small, model.run(smallIn, Set.of("y")).get("y").toIntArray());
      assertArrayEquals(small, model.runWide(smallIn, Set.of("y")).get("y").toIntArray());
      assertArrayEquals(large, model.run(largeIn, Set.of("y")).get("y").toIntArray());
    }
  }

  /** Runs {@code values}, shaped [n / 2, 2], from a heap buffer through {@code model}; returns y. */
  private static int[] runHeap(LoadedModel model, int[] values) {
    return model.run(Map.of("x", heapInts(values)), Set.of("y")).get("y").toIntArray();
  }

  private static Tensor heapInts(int[] values) {
    Tensor tensor = Tensor.of(DataType.INT32, new long[] {values.length / 2, 2}, bytesOf(values));
    assertFalse(tensor.data().isDirect());
    return tensor;
  }

  @Test
  void runsTensorsWithNoElements() throws Exception {
    try (LoadedModel model = backend.load(write(identity(DataType.FP32)), CPU)) {
      Tensor empty = Tensor.of(DataType.FP32, new long[] {0, 2}, Tensor.allocate(0));

      Tensor y = model.run(Map.of("x", empty), Set.of("y")).get("y");

      assertArrayEquals(new long[] {0, 2}, y.shape());
      assertEquals(0, y.byteSize());
    }
  }

  @Test
  void corruptFileFailsToLoadWithoutNamingItsPath() throws Exception {
    Path file =
        writeBytes(
            dir.resolve("model.onnx"), "this is not an onnx model".getBytes(StandardCharsets.UTF_8));

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> backend.load(file, CPU));

    assertFalse(e.getMessage().contains(dir.toString()), e.getMessage());
    assertFalse(e.getMessage().contains(dir.toRealPath().toString()), e.getMessage());
    assertFalse(e.getMessage().contains(dir.getFileName().toString()), e.getMessage());
  }

  @Test
  void truncatedModelFailsToLoadWithoutNamingItsPath() throws Exception {
    byte[] whole = identity(DataType.FP32).toByteArray();
    Path file = writeBytes(dir.resolve("model.onnx"), Arrays.copyOf(whole, whole.length / 2));

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> backend.load(file, CPU));

    assertFalse(e.getMessage().contains(dir.getFileName().toString()), e.getMessage());
  }

  @Test
  void missingFileFailsToLoadWithoutNamingItsPath() {
    Path file = dir.resolve("absent").resolve("model.onnx");

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> backend.load(file, CPU));

    assertFalse(e.getMessage().contains(dir.getFileName().toString()), e.getMessage());
  }

  @Test
  void sequenceOutputIsRefusedByName() throws Exception {
    ModelProto tensorModel =
        ModelProto.parseFrom(
            new OnnxModelBuilder("seq")
                .input("x", DataType.FP32, 2)
                .output("items", DataType.FP32, 2)
                .node("SequenceConstruct", List.of("x"), List.of("items"))
                .toByteArray());
    TypeProto sequenceOfTensors =
        TypeProto.newBuilder()
            .setSequenceType(
                TypeProto.Sequence.newBuilder()
                    .setElemType(tensorModel.getGraph().getOutput(0).getType()))
            .build();
    ModelProto.Builder sequenceModel = tensorModel.toBuilder();
    sequenceModel.getGraphBuilder().getOutputBuilder(0).setType(sequenceOfTensors);
    Path file = writeBytes(dir.resolve("model.onnx"), sequenceModel.build().toByteArray());

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> backend.load(file, CPU));

    assertTrue(e.getMessage().contains("'items'"), e.getMessage());
    assertTrue(e.getMessage().contains("sequence"), e.getMessage());
  }

  /*
   * Whether CUDA is usable depends on the machine: with ORT's CPU jar (this project's dependency) or
   * without a GPU it never is, and a CUDA load falls back. Where a GPU build and a GPU are present,
   * the same load legitimately runs on "cuda:0", so the fallback tests assume the fallback happened.
   */

  @Test
  void cudaWithoutStrictDeviceFallsBackToCpuAndStillRuns() throws Exception {
    Path file = write(identity(DataType.FP32));
    try (LoadedModel model = backend.load(file, new LoadOptions(Device.CUDA, 0, 1, false))) {
      assumeTrue(model.device().equals("cpu"), "CUDA is usable here, so nothing falls back");

      Tensor y = model.run(Map.of("x", sample(DataType.FP32)), Set.of("y")).get("y");

      assertArrayEquals(bytes(sample(DataType.FP32)), bytes(y));
    }
    // The failed probe is remembered; a second instance falls back the same way.
    try (LoadedModel again = backend.load(file, new LoadOptions(Device.CUDA, 0, 1, false))) {
      assertEquals("cpu", again.device());
    }
  }

  @Test
  void tensorRtWithTritonsOptionsFallsBackToCpuAndStillRuns() throws Exception {
    Path file = write(identity(DataType.FP32));
    GpuOptions gpu = GpuOptions.fromTriton(
        List.of(new GpuOptions.Accelerator("tensorrt", Map.of("precision_mode", "FP16",
            "max_workspace_size_bytes", "268435456", "trt_engine_cache_enable", "true",
            "trt_engine_cache_path", file.getParent().resolve("trt").toString()))),
        Map.of("cudnn_conv_algo_search", "1", "gpu_mem_limit", "1073741824"), false);
    try (LoadedModel model = backend.load(file, new LoadOptions(Device.TENSORRT, 0, 1, false, gpu))) {
      assumeTrue(model.device().equals("cpu"), "a GPU provider is usable here");
      Tensor y = model.run(Map.of("x", sample(DataType.FP32)), Set.of("y")).get("y");
      assertArrayEquals(bytes(sample(DataType.FP32)), bytes(y));
    }
  }

  @Test
  void strictTensorRtWithOptionsFailsNamingTensorRt() throws Exception {
    Path file = write(identity(DataType.FP32));
    GpuOptions gpu = GpuOptions.fromTriton(
        List.of(new GpuOptions.Accelerator("tensorrt", Map.of("precision_mode", "FP16"))), Map.of(), false);
    try (LoadedModel probe = backend.load(file, new LoadOptions(Device.TENSORRT, 0, 1, false, gpu))) {
      assumeTrue(probe.device().equals("cpu"), "TensorRT is usable here, so a strict load succeeds");
    }
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> backend.load(file, new LoadOptions(Device.TENSORRT, 0, 1, true, gpu)));
    assertTrue(e.getMessage().startsWith("TensorRT execution provider is not available on GPU 0: "), e.getMessage());
  }

  @Test
  void strictCudaOnAnotherGpuFailsNamingThatGpu() throws Exception {
    Path file = write(identity(DataType.FP32));
    GpuOptions gpu = GpuOptions.fromTriton(List.of(), Map.of("cudnn_conv_algo_search", "0"), false);
    try (LoadedModel probe = backend.load(file, new LoadOptions(Device.CUDA, 1, 1, false, gpu))) {
      assumeTrue(probe.device().equals("cpu"), "CUDA is usable on GPU 1 here");
    }
    ModelLoadException e = assertThrows(ModelLoadException.class,
        () -> backend.load(file, new LoadOptions(Device.CUDA, 1, 1, true, gpu)));
    assertTrue(e.getMessage().startsWith("CUDA execution provider is not available on GPU 1: "), e.getMessage());
  }

  @Test
  void tensorRtWithoutStrictDeviceFallsBackToCpu() throws Exception {
    Path file = write(identity(DataType.FP32));
    try (LoadedModel model = backend.load(file, new LoadOptions(Device.TENSORRT, 0, 1, false))) {
      assumeTrue(model.device().equals("cpu"), "a GPU provider is usable here");

      assertEquals(
          "cpu", model.device(), "TensorRT falls back through CUDA to the CPU when neither works");
      model.run(Map.of("x", sample(DataType.FP32)), Set.of("y"));
    }
  }

  @Test
  void cudaWithStrictDeviceFailsWhenCudaIsUnavailable() throws Exception {
    Path file = write(identity(DataType.FP32));
    try (LoadedModel probe = backend.load(file, new LoadOptions(Device.CUDA, 0, 1, false))) {
      assumeTrue(probe.device().equals("cpu"), "CUDA is usable here, so a strict load succeeds");
    }

    ModelLoadException e =
        assertThrows(
            ModelLoadException.class,
            () -> backend.load(file, new LoadOptions(Device.CUDA, 0, 1, true)));

    assertTrue(
        e.getMessage().startsWith("CUDA execution provider is not available"), e.getMessage());
    assertFalse(e.getMessage().contains(dir.getFileName().toString()), e.getMessage());
  }

  @Test
  void strictCudaFailsOnAFreshBackendToo() throws Exception {
    Path file = write(identity(DataType.FP32));
    OnnxRuntimeBackend fresh = OnnxRuntimeBackend.create();
    try (LoadedModel probe = backend.load(file, new LoadOptions(Device.CUDA, 0, 1, false))) {
      assumeTrue(probe.device().equals("cpu"), "CUDA is usable here, so a strict load succeeds");
    }

    assertThrows(
        ModelLoadException.class, () -> fresh.load(file, new LoadOptions(Device.CUDA, 0, 1, true)));
  }

  @Test
  void wrongInputDatatypeIsABackendFailureAndTheSessionKeepsWorking() throws Exception {
    try (LoadedModel model = backend.load(write(identity(DataType.FP32)), CPU)) {
      InferenceException.BackendFailure e =
          assertThrows(
              InferenceException.BackendFailure.class,
              () ->
                  model.run(
                      Map.of("x", Tensor.ofLongs(new long[] {1, 2}, 1, 2)), Set.of("y")));
      assertEquals(InferenceException.Kind.BACKEND_FAILURE, e.kind());
      assertTrue(e.getMessage().startsWith("model failed: "), e.getMessage());

      Tensor y = model.run(Map.of("x", sample(DataType.FP32)), Set.of("y")).get("y");
      assertArrayEquals(bytes(sample(DataType.FP32)), bytes(y));
    }
  }

  @Test
  void shapeOrtRejectsIsABackendFailureAndTheSessionKeepsWorking() throws Exception {
    try (LoadedModel model = backend.load(write(identity(DataType.FP32)), CPU)) {
      Tensor threeColumns = Tensor.ofFloats(new long[] {1, 3}, 1f, 2f, 3f);

      InferenceException.BackendFailure e =
          assertThrows(
              InferenceException.BackendFailure.class,
              () -> model.run(Map.of("x", threeColumns), Set.of("y")));
      assertTrue(e.getMessage().startsWith("model failed: "), e.getMessage());
      assertTrue(e.getCause() != null, "ORT's exception is kept as the cause");

      Tensor y = model.run(Map.of("x", sample(DataType.FP32)), Set.of("y")).get("y");
      assertArrayEquals(bytes(sample(DataType.FP32)), bytes(y));
    }
  }

  @Test
  void bytesThatAreNotUtf8AreInvalidInput() throws Exception {
    try (LoadedModel model = backend.load(write(identity(DataType.BYTES)), CPU)) {
      ByteBuffer b = Tensor.allocate(4 + 2);
      b.putInt(2).put((byte) 0xC3).put((byte) 0x28).flip();
      Tensor bad = Tensor.of(DataType.BYTES, new long[] {1, 1}, b);

      InferenceException e =
          assertThrows(InferenceException.class, () -> model.run(Map.of("x", bad), Set.of("y")));

      assertEquals(InferenceException.Kind.INVALID_INPUT, e.kind());
      assertTrue(e.getMessage().contains("'x'"), e.getMessage());
    }
  }

  @Test
  void closeIsIdempotentAndLaterRunsFailCleanly() throws Exception {
    LoadedModel model = backend.load(write(identity(DataType.FP32)), CPU);
    model.close();
    model.close();

    assertThrows(
        InferenceException.BackendFailure.class,
        () -> model.run(Map.of("x", sample(DataType.FP32)), Set.of("y")));
  }

  @Test
  void unsignedInputWhoseSignedNameIsTakenStillRoundTrips() throws Exception {
    // The model already uses the name the rewrite would pick for the signed twin of "x".
    OnnxModelBuilder builder =
        new OnnxModelBuilder("collision")
            .input("x", DataType.UINT32, -1, 2)
            .output("x__neutrino_signed", DataType.UINT32, -1, 2)
            .output("y", DataType.UINT32, -1, 2)
            .node("Identity", List.of("x"), List.of("x__neutrino_signed"))
            .node("Identity", List.of("x__neutrino_signed"), List.of("y"));
    try (LoadedModel model = backend.load(write(builder), CPU)) {
      Tensor input = sample(DataType.UINT32);

      Map<String, Tensor> out = model.run(Map.of("x", input), Set.of("x__neutrino_signed", "y"));

      assertEquals(List.of("x"), model.inputs().stream().map(TensorSpec::name).toList());
      assertArrayEquals(bytes(input), bytes(out.get("x__neutrino_signed")));
      assertArrayEquals(bytes(input), bytes(out.get("y")));
    }
  }

  /** A model whose FP32 initializer "w" lives in weights.bin beside it, plus a UINT32 input. */
  private Path writeModelWithExternalWeights() throws Exception {
    ModelProto.Builder model =
        ModelProto.parseFrom(
                new OnnxModelBuilder("external")
                    .input("x", DataType.UINT32, 2)
                    .output("y", DataType.UINT32, 2)
                    .output("weights", DataType.FP32, 2)
                    .node("Identity", List.of("x"), List.of("y"))
                    .node("Identity", List.of("w"), List.of("weights"))
                    .toByteArray())
            .toBuilder();
    model
        .getGraphBuilder()
        .addInitializer(
            TensorProto.newBuilder()
                .setName("w")
                .setDataType(TensorProto.DataType.FLOAT_VALUE)
                .addDims(2)
                .setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .addExternalData(entry("location", "weights.bin"))
                .addExternalData(entry("offset", "0"))
                .addExternalData(entry("length", "8")));
    return writeBytes(dir.resolve("model.onnx"), model.build().toByteArray());
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }

  @Test
  void rewrittenUnsignedModelStillFindsExternalWeightsBesideIt() throws Exception {
    Path file = writeModelWithExternalWeights();
    Tensor weights = Tensor.ofFloats(new long[] {2}, 0.5f, -4f);
    Files.write(dir.resolve("weights.bin"), bytes(weights));

    try (LoadedModel model = backend.load(file, CPU)) {
      Map<String, Tensor> out =
          model.run(
              Map.of("x", Tensor.of(DataType.UINT32, new long[] {2}, bytesOf(7, -1))),
              Set.of("y", "weights"));

      assertArrayEquals(new float[] {0.5f, -4f}, out.get("weights").toFloatArray());
      assertArrayEquals(bytesOf(7, -1).array(), bytes(out.get("y")));
    }
  }

  @Test
  void missingExternalWeightsFailToLoadWithoutNamingTheirPath() throws Exception {
    Path file = writeModelWithExternalWeights();

    ModelLoadException e = assertThrows(ModelLoadException.class, () -> backend.load(file, CPU));

    assertFalse(e.getMessage().contains(dir.getFileName().toString()), e.getMessage());
  }

  private static ByteBuffer bytesOf(int... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return b.flip();
  }

  @Test
  void signedTensorIsRefusedForAnUnsignedInput() throws Exception {
    try (LoadedModel model = backend.load(write(identity(DataType.UINT32)), CPU)) {
      assertThrows(
          InferenceException.BackendFailure.class,
          () -> model.run(Map.of("x", sample(DataType.INT32)), Set.of("y")));
    }
  }

  /**
   * The backend's zero-copy promise rests on ORT wrapping a direct buffer, read-only as our tensors'
   * are, in place: guard it against an ORT upgrade that starts copying.
   */
  @Test
  void ortWrapsReadOnlyDirectBuffersInPlace() throws Exception {
    ByteBuffer writable = Tensor.allocate(8);
    writable.putFloat(0, 1f).putFloat(4, 2f);
    ByteBuffer readOnly = writable.asReadOnlyBuffer().order(writable.order());

    try (OnnxTensor tensor =
        OnnxTensor.createTensor(
            OrtEnvironment.getEnvironment(), readOnly, new long[] {2}, OnnxJavaType.FLOAT)) {
      assertFalse(tensor.ownsBuffer(), "ORT copied the buffer");
      writable.putFloat(0, 42f);
      float[] seenByOrt = new float[2];
      tensor.getFloatBuffer().get(seenByOrt);
      assertArrayEquals(new float[] {42f, 2f}, seenByOrt, "the native tensor shares our memory");
    }
  }

  /** Two dense layers, 64 -> 256 -> 32, large enough that ORT splits each MatMul across threads. */
  private static OnnxModelBuilder dense() {
    java.util.Random random = new java.util.Random(7);
    float[] w1 = new float[64 * 256];
    float[] w2 = new float[256 * 32];
    for (int i = 0; i < w1.length; i++) {
      w1[i] = (float) random.nextGaussian();
    }
    for (int i = 0; i < w2.length; i++) {
      w2[i] = (float) random.nextGaussian();
    }
    return new OnnxModelBuilder("dense")
        .input("x", DataType.FP32, -1, 64)
        .output("y", DataType.FP32, -1, 32)
        .initializer("w1", new long[] {64, 256}, w1)
        .initializer("w2", new long[] {256, 32}, w2)
        .node("MatMul", List.of("x", "w1"), List.of("h"))
        .node("Relu", List.of("h"), List.of("r"))
        .node("MatMul", List.of("r", "w2"), List.of("y"));
  }

  @Test
  void adaptiveInstanceGivesTheSameBitsOnItsNarrowAndWideSessionsAsOnePlainSession() throws Exception {
    Path file = write(dense());
    java.util.Random random = new java.util.Random(11);
    float[] values = new float[16 * 64];
    for (int i = 0; i < values.length; i++) {
      values[i] = (float) random.nextGaussian();
    }
    Map<String, Tensor> inputs = Map.of("x", Tensor.ofFloats(new long[] {16, 64}, values));

    try (LoadedModel plain = backend.load(file, CPU);
        LoadedModel adaptive = backend.load(file, LoadOptions.cpu(1).withWideIntraOpThreads(2))) {
      assertFalse(plain.hasWideSession());
      assertTrue(adaptive.hasWideSession());
      assertTrue(adaptive.toString().contains("2 when alone"), adaptive.toString());
      byte[] expected = bytes(plain.run(inputs, Set.of("y")).get("y"));

      assertArrayEquals(expected, bytes(adaptive.run(inputs, Set.of("y")).get("y")));
      assertArrayEquals(expected, bytes(adaptive.runWide(inputs, Set.of("y")).get("y")));
      assertEquals(adaptive.inputs(), plain.inputs());
    }
  }

  @Test
  void wideSessionNoWiderThanTheNarrowOneIsNotCreated() throws Exception {
    try (LoadedModel model = backend.load(write(dense()), LoadOptions.cpu(2).withWideIntraOpThreads(2))) {
      assertFalse(model.hasWideSession());
    }
    assertThrows(IllegalArgumentException.class,
        () -> new LoadOptions(Device.CPU, 0, 2, false, GpuOptions.NONE, 1));
  }

  @Test
  void describesItselfAsTritonsOnnxRuntimeBackend() {
    assertEquals("onnxruntime", backend.name());
    assertEquals("onnxruntime_onnx", backend.platform());
    assertEquals("model.onnx", backend.defaultModelFileName());
  }
}
