package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gRPC client as the specification has it: against {@link ScriptedGrpcServer}, which answers
 * from the HTTP/2 frames up, and against the real gateway. Counts are asserted, never speed.
 */
@Timeout(120)
class GrpcInferenceClientTest {
  private static final Duration CAP = Duration.ofSeconds(30);

  private static LevelResult run(InferenceClient client, int concurrency, long requests) throws Exception {
    return new LoadGenerator(client, new CpuMeter())
        .run(LoadSpec.closed(concurrency, Duration.ZERO, CAP).withMaxRequests(requests));
  }

  private static ClientSettings settings(int eventLoops) {
    ClientSettings s = ClientSettings.of("m", Protocol.GRPC, 1);
    return new ClientSettings(s.model(), s.version(), s.protocol(), s.input(), s.shapes(), s.batchSize(),
        s.connections(), s.http(), s.timeout(), eventLoops);
  }

  @Test
  void grpcTimeoutIsWholeMillisecondsOrTheFinestUnitThatFits() {
    assertEquals("30000m", GrpcInferenceClient.grpcTimeout(Duration.ofSeconds(30)));
    assertEquals("1m", GrpcInferenceClient.grpcTimeout(Duration.ofMillis(1)));
    assertEquals("99999999m", GrpcInferenceClient.grpcTimeout(Duration.ofMillis(99_999_999)));
    assertEquals("1n", GrpcInferenceClient.grpcTimeout(Duration.ofNanos(1)));
    assertEquals("1500000n", GrpcInferenceClient.grpcTimeout(Duration.ofNanos(1_500_000)));
    assertEquals("250001u", GrpcInferenceClient.grpcTimeout(Duration.ofMillis(250).plusNanos(1)), "rounded up");
    assertEquals("100000S", GrpcInferenceClient.grpcTimeout(Duration.ofMillis(100_000_000)));
    assertEquals("172800S", GrpcInferenceClient.grpcTimeout(Duration.ofDays(2)));
    assertEquals("87600000H", GrpcInferenceClient.grpcTimeout(Duration.ofDays(3_650_000)));
    assertEquals("99999999H", GrpcInferenceClient.grpcTimeout(Duration.ofSeconds(Long.MAX_VALUE)));
    assertThrows(IllegalArgumentException.class, () -> GrpcInferenceClient.grpcTimeout(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> GrpcInferenceClient.grpcTimeout(Duration.ofMillis(-1)));
  }

  @Test
  void readsTheOutcomeAsTheSpecificationHasIt() {
    assertNull(GrpcInferenceClient.status(200, "application/grpc", "0"));
    assertEquals("INVALID_ARGUMENT", GrpcInferenceClient.status(200, "application/grpc+proto", "3"));
    assertEquals("UNAUTHENTICATED", GrpcInferenceClient.status(200, "application/grpc; charset=x", "16"));
    assertEquals("UNKNOWN", GrpcInferenceClient.status(200, "application/grpc", "17"), "no such code");
    assertEquals("UNKNOWN", GrpcInferenceClient.status(200, "application/grpc", "x"));
    assertEquals("UNKNOWN", GrpcInferenceClient.status(200, "application/grpc", null), "no status");
    assertEquals("UNKNOWN", GrpcInferenceClient.status(200, "application/grpcx", "0"));
    assertEquals("UNKNOWN", GrpcInferenceClient.status(200, "text/html", "0"), "not a gRPC response");
    assertEquals("UNAVAILABLE", GrpcInferenceClient.status(503, "application/grpc", "0"), "HTTP status first");
    assertEquals("UNIMPLEMENTED", GrpcInferenceClient.status(404, null, null));
    assertEquals("INTERNAL", GrpcInferenceClient.status(400, null, null));
    assertEquals("UNKNOWN", GrpcInferenceClient.status(500, null, null));
    assertEquals("CANCELLED", GrpcInferenceClient.resetCode(0x8));
    assertEquals("UNAVAILABLE", GrpcInferenceClient.resetCode(0x7));
    assertEquals("INTERNAL", GrpcInferenceClient.resetCode(0x2));
    assertEquals("a b%+é", GrpcInferenceClient.percentDecode("a%20b%25+%C3%A9"));
  }

  @Test
  void sendsEachCallAsOneFramedMessageWithTheGrpcHeaders() throws Exception {
    try (ScriptedGrpcServer server = new ScriptedGrpcServer(i -> new ScriptedGrpcServer.Ok(), 0);
        InferenceClient client = GrpcInferenceClient.connect(server.endpoint(), settings(1), new CpuMeter())) {
      LevelResult result = run(client, 4, 40);

      assertEquals(40, result.ok(), String.valueOf(result.errors()));
      assertEquals(41, server.calls().size(), "40 measured calls after the checking call");
      for (ScriptedGrpcServer.Call call : server.calls()) {
        assertEquals("/inference.GRPCInferenceService/ModelInfer", call.path());
        assertEquals("application/grpc", call.headers().get("content-type"));
        assertEquals("trailers", call.headers().get("te"));
        assertEquals("30000m", call.headers().get("grpc-timeout"));
        Buffer body = call.body();
        assertEquals(0, body.getByte(0), "uncompressed");
        assertEquals(body.length() - 5, body.getInt(1), "big-endian length of the one message");
        ModelInferRequest request = ModelInferRequest.parseFrom(body.getBytes(5, body.length()));
        assertEquals("m", request.getModelName());
        assertEquals(List.of(1L, 4L), request.getInputs(0).getShapeList());
        assertEquals(16, request.getRawInputContents(0).size());
      }
      assertEquals(1, server.connections(), "one connection per lane, metadata and checking call included");
    }
  }

  @Test
  void readsTheStatusOfATrailersOnlyResponse() throws Exception {
    try (ScriptedGrpcServer server = new ScriptedGrpcServer(i -> i % 2 == 0 ? new ScriptedGrpcServer.Ok()
            : new ScriptedGrpcServer.TrailersOnly(8, "queue%20full"), 0);
        InferenceClient client = GrpcInferenceClient.connect(server.endpoint(), settings(1), new CpuMeter())) {
      LevelResult result = run(client, 1, 20);

      assertEquals(10, result.ok());
      assertEquals(Map.of("RESOURCE_EXHAUSTED", 10L), result.errors());
    }
  }

  @Test
  void readsTheStatusInTheTrailersAfterAMessage() throws Exception {
    try (ScriptedGrpcServer server = new ScriptedGrpcServer(i -> i == 0 ? new ScriptedGrpcServer.Ok()
            : new ScriptedGrpcServer.MessageThenStatus(13), 0);
        InferenceClient client = GrpcInferenceClient.connect(server.endpoint(), settings(1), new CpuMeter())) {
      LevelResult result = run(client, 2, 20);

      assertEquals(0, result.ok());
      assertEquals(Map.of("INTERNAL", 20L), result.errors());
    }
  }

  @Test
  void namesAnHttpErrorByItsGrpcCode() throws Exception {
    try (ScriptedGrpcServer server = new ScriptedGrpcServer(i -> i == 0 ? new ScriptedGrpcServer.Ok()
            : new ScriptedGrpcServer.HttpError(503), 0);
        InferenceClient client = GrpcInferenceClient.connect(server.endpoint(), settings(1), new CpuMeter())) {
      LevelResult result = run(client, 2, 20);

      assertEquals(Map.of("UNAVAILABLE", 20L), result.errors());
    }
  }

  @Test
  void refusesToStartWhenTheCheckingCallFails() throws Exception {
    try (ScriptedGrpcServer server = new ScriptedGrpcServer(
        i -> new ScriptedGrpcServer.TrailersOnly(3, "bad%20shape"), 0)) {
      IOException e = assertThrows(IOException.class,
          () -> GrpcInferenceClient.connect(server.endpoint(), settings(1), new CpuMeter()));
      assertTrue(e.getMessage().contains("INVALID_ARGUMENT bad shape"), e.getMessage());
    }
  }

  /** The server holds every answer until 150 calls are open, so a client capped at 100 streams times out. */
  @Test
  void multiplexesMoreThanAHundredCallsOnOneConnection() throws Exception {
    try (ScriptedGrpcServer server = new ScriptedGrpcServer(i -> new ScriptedGrpcServer.Ok(), 150);
        InferenceClient client = GrpcInferenceClient.connect(server.endpoint(),
            settings(1).withTimeout(Duration.ofSeconds(10)), new CpuMeter())) {
      LevelResult result = run(client, 150, 300);

      assertEquals(300, result.ok(), String.valueOf(result.errors()));
      assertTrue(server.maxOpen() >= 150, "open at once: " + server.maxOpen());
      assertEquals(1, server.connections());
    }
  }

  /**
   * A model that takes at most 4 rows and two prepared requests, of 1 and of 8 rows: the checking
   * call passes and the gateway refuses every other call as {@code INVALID_ARGUMENT}.
   */
  @Test
  void countsCallsTheGatewayRefusesUnderTheirStatusName(@TempDir Path repository) throws Exception {
    Path model = Files.createDirectories(repository.resolve("m"));
    Files.write(Files.createDirectories(model.resolve("1")).resolve("model.onnx"), new OnnxModelBuilder("m")
        .input("INPUT0", DataType.FP32, -1, 4)
        .output("OUTPUT0", DataType.FP32, -1, 4)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .toByteArray());
    Files.writeString(model.resolve("config.yaml"), """
        max_batch_size: 4
        input:
          - name: INPUT0
            data_type: TYPE_FP32
            dims: [4]
        output:
          - name: OUTPUT0
            data_type: TYPE_FP32
            dims: [4]
        """);
    Path data = repository.resolveSibling(repository.getFileName() + "-data.json");
    Files.writeString(data, "{\"data\": [{\"INPUT0\": {\"content\": [1, 2, 3, 4], \"shape\": [1, 4]}},"
        + " {\"INPUT0\": {\"content\": " + Collections.nCopies(32, 1) + ", \"shape\": [8, 4]}}]}");
    Gateway gateway = Gateway.create(GatewayConfig.fromArgs(new String[] {"--http-port", "0", "--grpc-port", "0",
        "--metrics-port", "0", "--model-repository", repository.toString()}));
    gateway.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    try {
      ClientSettings s = settings(1);
      ClientSettings fromFile = new ClientSettings(s.model(), s.version(), s.protocol(),
          new InputData.FromFile(data), s.shapes(), s.batchSize(), s.connections(), s.http(), s.timeout(),
          s.eventLoops());
      try (InferenceClient client = GrpcInferenceClient.connect(Endpoint.grpc("127.0.0.1", gateway.grpcPort()),
          fromFile, new CpuMeter())) {
        LevelResult result = run(client, 1, 100);

        assertEquals(50, result.ok(), String.valueOf(result.errors()));
        assertEquals(Map.of("INVALID_ARGUMENT", 50L), result.errors());
      }
    } finally {
      gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      Files.deleteIfExists(data);
    }
  }
}
