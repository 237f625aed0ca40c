package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bare transport floor replays a real gateway's answers byte for byte, over HTTP JSON, HTTP binary
 * and gRPC, and the generator's own clients drive it as they drive the gateway.
 */
@Timeout(120)
class TransportFloorTest {
  private static final String MODEL = "identity";

  @Test
  void answersExactlyTheGatewaysBytesOverEveryProtocolAndDrivesLikeIt(@TempDir Path repository) throws Exception {
    Path version = Files.createDirectories(repository.resolve(MODEL).resolve("1"));
    Files.write(version.resolve("model.onnx"), new OnnxModelBuilder(MODEL)
        .input("INPUT0", DataType.FP32, -1, 16)
        .output("OUTPUT0", DataType.FP32, -1, 16)
        .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
        .toByteArray());
    Gateway gateway = Gateway.create(GatewayConfig.fromArgs(new String[] {"--http-port", "0", "--grpc-port", "0",
        "--metrics-port", "0", "--model-repository", repository.toString()}));
    gateway.start().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    TransportFloor.Answers fromGateway;
    Endpoint gatewayHttp = Endpoint.http("127.0.0.1", gateway.httpPort());
    byte[] gatewayBinary;
    try {
      fromGateway = TransportFloor.capture(gatewayHttp, Endpoint.grpc("127.0.0.1", gateway.grpcPort()), MODEL,
          Map.of());
      gatewayBinary = postBinary(gatewayHttp).body();
    } finally {
      gateway.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    assertTrue(fromGateway.binary().headers().containsKey("inference-header-content-length"), fromGateway.toString());
    assertEquals(1, ModelInferResponse.parseFrom(fromGateway.grpcInfer()).getOutputsCount());

    try (TransportFloor floor = TransportFloor.start(fromGateway, 2)) {
      assertNotNull(floor.grpc());
      // The same request through the same client, to the floor: the same status, headers and bytes.
      TransportFloor.Answers fromFloor = TransportFloor.capture(floor.http(), floor.grpc(), MODEL, Map.of());
      assertEquals(fromGateway, fromFloor);
      HttpResponse<byte[]> binary = postBinary(floor.http());
      assertArrayEquals(gatewayBinary, binary.body(), "the binary answer, read by the JDK's client");
      assertEquals(fromGateway.binary().headers().get("inference-header-content-length"),
          binary.headers().firstValue("Inference-Header-Content-Length").orElse(null));

      for (Protocol protocol : Protocol.values()) {
        Endpoint endpoint = protocol == Protocol.GRPC ? floor.grpc() : floor.http();
        CpuMeter meter = new CpuMeter();
        try (InferenceClient client = InferenceClients.connect(endpoint, ClientSettings.of(MODEL, protocol, 4), meter)) {
          LevelResult result = new LoadGenerator(client, meter)
              .run(LoadSpec.closed(4, Duration.ZERO, Duration.ofSeconds(30)).withMaxRequests(200));
          assertEquals(200, result.ok(), protocol + ": " + result.errors());
        }
      }
      // The pre-built answers are written again and again, unchanged.
      assertEquals(fromGateway, TransportFloor.capture(floor.http(), floor.grpc(), MODEL, Map.of()));
    }
  }

  @Test
  void answersOnlyInferenceAndMetadataCalls(@TempDir Path dir) throws Exception {
    TransportFloor.Answers answers = new TransportFloor.Answers(MODEL,
        new TransportFloor.HttpAnswer(200, Map.of("content-type", "application/json"), "{}".getBytes()),
        new TransportFloor.HttpAnswer(200, Map.of("content-type", "application/json"), "{}".getBytes()),
        new TransportFloor.HttpAnswer(200, Map.of("content-type", "application/octet-stream"), new byte[0]),
        null, null);
    try (TransportFloor floor = TransportFloor.start(answers, 1)) {
      assertEquals(null, floor.grpc(), "no gRPC answers captured, no gRPC served");
      HttpClient client = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + floor.http().port();
      assertEquals(404, client.send(HttpRequest.newBuilder(URI.create(base + "/v2/models/" + MODEL + "/stats")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode());
      assertEquals(404, client.send(HttpRequest.newBuilder(URI.create(base + "/v2/health/ready")).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode());
    }
  }

  private static HttpResponse<byte[]> postBinary(Endpoint http) throws Exception {
    HttpPayloads.Body body = TransportFloor.binaryRequest(http, MODEL, Map.of());
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(TransportFloor.modelUrl(http, MODEL)
            + "/infer"))
        .header("Content-Type", "application/octet-stream")
        .header(HttpInferenceClient.HEADER_LENGTH, Integer.toString(body.headerLength()))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body.bytes())).build(), HttpResponse.BodyHandlers.ofByteArray());
  }
}
