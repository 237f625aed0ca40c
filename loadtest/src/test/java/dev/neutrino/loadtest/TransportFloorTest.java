package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
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
    Gateway gateway = IdentityGateway.start(repository, MODEL);
    TransportFloor.Answers fromGateway;
    Endpoint gatewayHttp = Endpoint.http("127.0.0.1", gateway.httpPort());
    byte[] gatewayBinary;
    try {
      fromGateway = TransportFloor.capture(gatewayHttp, Endpoint.grpc("127.0.0.1", gateway.grpcPort()), MODEL,
          Map.of());
      gatewayBinary = postBinary(gatewayHttp).body();
    } finally {
      IdentityGateway.stop(gateway);
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
        LevelResult result = drive(floor, protocol, 200);
        assertEquals(200, result.ok(), protocol + ": " + result.errors());
      }
      // The pre-built answers are written again and again, unchanged.
      assertEquals(fromGateway, TransportFloor.capture(floor.http(), floor.grpc(), MODEL, Map.of()));
    }
  }

  @Test
  void withTheHandOffEveryInferenceAnswerMakesTheRoundTripAndKeepsItsBytes(@TempDir Path repository)
      throws Exception {
    TransportFloor.Answers fromGateway = IdentityGateway.answers(repository, MODEL, true);
    try (TransportFloor plain = TransportFloor.start(fromGateway, 1);
        TransportFloor handOff = TransportFloor.start(fromGateway, 1, true)) {
      assertEquals(fromGateway, TransportFloor.capture(plain.http(), plain.grpc(), MODEL, Map.of()));
      assertEquals(0, plain.handedOff());
      assertEquals(fromGateway, TransportFloor.capture(handOff.http(), handOff.grpc(), MODEL, Map.of()));
      assertEquals(3, handOff.handedOff(), "JSON, binary and gRPC inference answers; metadata is answered at once");
      for (Protocol protocol : Protocol.values()) {
        long before = handOff.handedOff();
        LevelResult result = drive(handOff, protocol, 100);
        assertEquals(100, result.ok(), protocol + ": " + result.errors());
        assertEquals(1 + 100, handOff.handedOff() - before,
            protocol + ": the client's check on connecting, then the load");
      }
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

  /** {@code requests} calls of the generator's own client over {@code protocol}, 4 at a time, on new connections. */
  private static LevelResult drive(TransportFloor floor, Protocol protocol, int requests) throws Exception {
    Endpoint endpoint = protocol == Protocol.GRPC ? floor.grpc() : floor.http();
    CpuMeter meter = new CpuMeter();
    try (InferenceClient client = InferenceClients.connect(endpoint, ClientSettings.of(MODEL, protocol, 4), meter)) {
      return new LoadGenerator(client, meter)
          .run(LoadSpec.closed(4, Duration.ZERO, Duration.ofSeconds(30)).withMaxRequests(requests));
    }
  }
}
