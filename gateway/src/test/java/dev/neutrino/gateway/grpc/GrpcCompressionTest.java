package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.gateway.grpc.proto.ServerLiveResponse;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compressed request messages ({@code grpc-encoding: gzip}): decompressed by the gateway within the
 * request limit; bytes that are not gzip get INTERNAL naming the failure, never a bare reset, and the
 * connection serves on.
 */
class GrpcCompressionTest {
  private static final long LIMIT = 1024 * 1024;

  @TempDir Path dir;
  Gateway gateway;
  Vertx vertx;
  HttpClient http2;

  @BeforeEach
  void start() {
    gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withGrpcPort(0).withMaxRequestBytes(LIMIT)
        .withModelRepository(TestGateways.exampleRepository(dir.resolve("repo"))));
    vertx = Vertx.vertx();
    // HTTP/2 with prior knowledge, one connection for every call (the default pool of one).
    http2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
  }

  @AfterEach
  void stop() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    TestGateways.stop(gateway);
  }

  @Test
  void garbageUnderGzipIsInternalNamingTheFailureAndTheConnectionServesOn() throws Exception {
    Call garbage = call("ModelInfer", message(true, "not gzip at all".getBytes(StandardCharsets.US_ASCII)));
    assertEquals("13", garbage.status, "INTERNAL");
    assertTrue(garbage.message.contains("could not be decompressed"), garbage.message);

    Call live = call("ServerLive", message(true, gzip(ServerLiveRequest.getDefaultInstance().toByteArray())));
    assertEquals("0", live.status, live.message);
    assertArrayEquals(message(false, ServerLiveResponse.newBuilder().setLive(true).build().toByteArray()), live.body);
    assertSame(garbage.connection, live.connection, "both calls went over one connection");
  }

  @Test
  void truncatedGzipIsInternal() throws Exception {
    byte[] whole = gzip(ServerLiveRequest.getDefaultInstance().toByteArray());
    Call truncated = call("ServerLive", message(true, java.util.Arrays.copyOf(whole, whole.length - 4)));
    assertEquals("13", truncated.status, "INTERNAL");
    assertTrue(truncated.message.contains("truncated gzip"), truncated.message);
  }

  @Test
  void messageThatDecompressesPastTheLimitIsResourceExhausted() throws Exception {
    byte[] bomb = gzip(new byte[(int) (8 * LIMIT)]); // 8 MiB of zeros in a few KiB
    assertTrue(bomb.length < LIMIT);
    Call call = call("ModelInfer", message(true, bomb));
    assertEquals("8", call.status, "RESOURCE_EXHAUSTED");
    assertTrue(call.message.contains("gzip-decompressed"), call.message);
  }

  @Test
  void gzipCallsOfGrpcJavaAreServed() {
    try (GrpcTestClient client = new GrpcTestClient(gateway)) {
      ModelInferResponse response = client.blocking.withCompression("gzip")
          .modelInfer(GrpcTestClient.simpleRequest(0).build());
      assertEquals(1, response.getOutputs(0).getContents().getIntContents(0));
      assertEquals(16, response.getOutputs(0).getContents().getIntContents(15));
    }
  }

  /** The outcome of one call: its status and message (headers or trailers), its body, its connection. */
  private record Call(String status, String message, byte[] body, HttpConnection connection) {}

  private Call call(String method, byte[] body) throws Exception {
    CompletableFuture<Call> outcome = new CompletableFuture<>();
    http2.request(new RequestOptions().setMethod(HttpMethod.POST).setHost(gateway.host()).setPort(gateway.grpcPort())
        .setURI(InferenceService.path(method))).onSuccess(request -> {
          request.putHeader("content-type", "application/grpc").putHeader("te", "trailers")
              .putHeader("grpc-encoding", "gzip");
          request.response().onSuccess(response -> response.body().onComplete(read -> outcome.complete(
              new Call(field(response, "grpc-status"), field(response, "grpc-message"),
                  read.succeeded() ? read.result().getBytes() : new byte[0], request.connection()))))
              .onFailure(outcome::completeExceptionally);
          request.end(Buffer.buffer(body));
        }).onFailure(outcome::completeExceptionally);
    return outcome.get(60, TimeUnit.SECONDS);
  }

  /** A response field of gRPC, from the headers (a trailers-only answer) or the trailers. */
  private static String field(HttpClientResponse response, String name) {
    String value = response.getHeader(name);
    if (value == null) {
      value = response.getTrailer(name);
    }
    return value == null ? "" : URLDecoder.decode(value, StandardCharsets.UTF_8);
  }

  /** A gRPC length-prefixed message. */
  private static byte[] message(boolean compressed, byte[] bytes) {
    byte[] framed = new byte[5 + bytes.length];
    framed[0] = (byte) (compressed ? 1 : 0);
    framed[1] = (byte) (bytes.length >>> 24);
    framed[2] = (byte) (bytes.length >>> 16);
    framed[3] = (byte) (bytes.length >>> 8);
    framed[4] = (byte) bytes.length;
    System.arraycopy(bytes, 0, framed, 5, bytes.length);
    return framed;
  }

  private static byte[] gzip(byte[] bytes) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(bytes);
    }
    return out.toByteArray();
  }
}
