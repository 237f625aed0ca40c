package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.TensorSpec;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** perf_analyzer's input files: {@code b64}, {@code content}/{@code shape}, several entries, {@code validation_data}. */
@Timeout(120)
class PerfAnalyzerInputTest {
  private static final ModelMetadata MODEL = new ModelMetadata("m", List.of("1"), "test",
      List.of(new TensorSpec("ids", DataType.INT32, new long[] {-1, 4}),
          new TensorSpec("text", DataType.BYTES, new long[] {-1, 1})),
      List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 2})));

  private static String b64Ints(int... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (int v : values) {
      b.putInt(v);
    }
    return Base64.getEncoder().encodeToString(b.array());
  }

  private static String b64Floats(float... values) {
    ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putFloat(v);
    }
    return Base64.getEncoder().encodeToString(b.array());
  }

  private static InputData.Prepared read(Path dir, String json) throws Exception {
    Path file = dir.resolve("inputs.json");
    Files.writeString(file, json);
    return InputData.prepareAll(MODEL, new InputData.FromFile(file), Map.of(), 1);
  }

  private static String refusal(Path dir, String json) {
    return assertThrows(IllegalArgumentException.class, () -> read(dir, json)).getMessage();
  }

  @Test
  void readsBase64TensorsAndStrings(@TempDir Path dir) throws Exception {
    InputData.Prepared prepared = read(dir, """
        {"data": [{"ids": {"b64": "%s", "shape": [4]}, "text": {"b64": "%s"}}],
         "validation_data": [{"y": {"b64": "%s"}}]}
        """.formatted(b64Ints(1, 2, 3, 400), Base64.getEncoder().encodeToString("héllo".getBytes("UTF-8")),
        b64Floats(0.5f, -1f)));
    TensorData ids = prepared.inputs().get(0).get(0);
    assertArrayEquals(new long[] {1, 4}, ids.shape());
    assertEquals(400, ByteBuffer.wrap(ids.data()).order(ByteOrder.LITTLE_ENDIAN).getInt(12));
    TensorData text = prepared.inputs().get(0).get(1);
    assertArrayEquals(new long[] {1, 1}, text.shape());
    ByteBuffer element = ByteBuffer.wrap(text.data()).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(6, element.getInt());
    TensorData y = prepared.expected(0).get(0);
    assertEquals("y", y.name());
    assertEquals(-1f, ByteBuffer.wrap(y.data()).order(ByteOrder.LITTLE_ENDIAN).getFloat(4));
  }

  @Test
  void refusesWhatItCannotReadNamingTheEntryAndTensor(@TempDir Path dir) {
    assertTrue(refusal(dir, """
        {"data": [{"ids": {"b64": "%s"}, "text": ["a"]}]}
        """.formatted(b64Ints(1, 2, 3))).contains("data[0]: input 'ids': \"b64\" decodes to 12 bytes, but shape [1, 4] "
        + "of INT32 needs 16"));
    assertTrue(refusal(dir, """
        {"data": [{"ids": [1, 2, 3, 4], "text": ["a"]}, {"ids": {"values": [1, 2, 3, 4]}, "text": ["a"]}]}
        """).contains("data[1]: input 'ids': an object must hold \"content\" or \"b64\""));
    assertTrue(refusal(dir, """
        {"data": [{"ids": [1, 2, 3], "text": ["a"]}]}
        """).contains("data[0]: input 'ids' has 3 elements, but shape [1, 4] needs 4"));
    assertTrue(refusal(dir, """
        {"data": [{"ids": [1, 2, 3, 4], "text": ["a"]}], "validation_data": [{"z": [1]}]}
        """).contains("validation_data[0]: model 'm' has no output 'z'"));
    assertTrue(refusal(dir, """
        {"data": [{"ids": [1, 2, 3, 4], "text": ["a"]}, {"ids": [1, 2, 3, 4], "text": ["b"]}],
         "validation_data": [{"y": [1, 2]}]}
        """).contains("validation_data must list one entry per entry of data (2), it has 1"));
  }

  /**
   * Against a real gateway serving an identity model: three entries sent in turn (b64, content with
   * shape, plain elements), the third expecting a wrong output, so a third of the answers are
   * counted as {@code validation} errors, over every protocol.
   */
  @Test
  void countsAnswersThatDifferFromTheValidationDataAsValidationErrors(@TempDir Path dir) throws Exception {
    Path repository = dir.resolve("repo");
    Files.write(Files.createDirectories(repository.resolve("identity").resolve("1")).resolve("model.onnx"),
        new OnnxModelBuilder("identity")
            .input("INPUT0", DataType.FP32, -1, 4)
            .output("OUTPUT0", DataType.FP32, -1, 4)
            .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
            .toByteArray());
    Path file = dir.resolve("inputs.json");
    Files.writeString(file, """
        {"data": [
           {"INPUT0": {"b64": "%1$s", "shape": [4]}},
           {"INPUT0": {"content": [5, 6, 7, 8], "shape": [1, 4]}},
           {"INPUT0": [9, 10, 11, 12]}],
         "validation_data": [
           {"OUTPUT0": {"b64": "%1$s"}},
           {"OUTPUT0": [[5, 6, 7, 8]]},
           {"OUTPUT0": [9, 10, 11, 99]}]}
        """.formatted(b64Floats(1.5f, -2f, 3.25f, 1e-3f)));
    Gateway gateway = Gateway.create(GatewayConfig.fromArgs(new String[] {"--http-port", "0", "--grpc-port", "0",
        "--metrics-port", "0", "--model-repository", repository.toString()}));
    gateway.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    try {
      Map<Protocol, Endpoint> endpoints = Map.of(
          Protocol.HTTP_JSON, Endpoint.http("127.0.0.1", gateway.httpPort()),
          Protocol.HTTP_BINARY, Endpoint.http("127.0.0.1", gateway.httpPort()),
          Protocol.GRPC, Endpoint.grpc("127.0.0.1", gateway.grpcPort()));
      for (Map.Entry<Protocol, Endpoint> target : endpoints.entrySet()) {
        CpuMeter meter = new CpuMeter();
        ClientSettings settings = new ClientSettings("identity", "", target.getKey(), new InputData.FromFile(file),
            Map.of(), 1, 1, ClientSettings.Http.HTTP1, ClientSettings.DEFAULT_TIMEOUT, 1);
        try (InferenceClient client = InferenceClients.connect(target.getValue(), settings, meter)) {
          LevelResult result = new LoadGenerator(client, meter)
              .run(LoadSpec.closed(1, Duration.ZERO, Duration.ofSeconds(60)).withMaxRequests(30));
          assertEquals(20, result.ok(), target.getKey() + ": " + result.errors());
          assertEquals(Map.of(ErrorCodes.VALIDATION, 10L), result.errors(), target.getKey().toString());
        }
      }
    } finally {
      gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
  }
}
