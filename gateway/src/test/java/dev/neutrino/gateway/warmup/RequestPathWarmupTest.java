package dev.neutrino.gateway.warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.call.WarmupMark;
import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import dev.neutrino.runtime.DataType;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The warm-up's stopping rule and its mark; RequestPathWarmupEndToEndTest runs it against a gateway. */
class RequestPathWarmupTest {
  private final Vertx vertx = Vertx.vertx();
  private final Socket held = new Socket();

  @AfterEach
  void close() throws Exception {
    held.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static List<WarmupTarget> oneModel() {
    return List.of(WarmupTarget.of(new ModelConfig("m", "onnxruntime_onnx", "onnxruntime", 4,
        List.of(new TensorConfig("x", DataType.FP32, new long[] {2})),
        List.of(new TensorConfig("y", DataType.FP32, new long[] {2})), List.of(), "model.onnx", Map.of())));
  }

  /**
   * A loopback port nothing listens on: bound by a socket that never listens, for the test's length, so
   * that no other process can take it meanwhile. A connection to it is refused.
   */
  private int deadPort() throws Exception {
    held.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    return held.getLocalPort();
  }

  private RequestPathWarmup.Outcome run(RequestPathWarmup.Endpoints endpoints, java.util.function.BooleanSupplier stop)
      throws Exception {
    return RequestPathWarmup.run(vertx, oneModel(), endpoints, WarmupMark.random().token(), 1, 600_000, () -> -1, stop)
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Test
  void givesUpOnceEveryModelHasFailedAndSaysWhy() throws Exception {
    int port = deadPort();
    RequestPathWarmup.Outcome outcome = run(
        new RequestPathWarmup.Endpoints("127.0.0.1", port, port, false, Map.of(), Map.of()), () -> false);
    assertEquals(0, outcome.requests());
    assertTrue(outcome.failed() > 0, outcome.describe());
    // The model is left out after its tenth failure (or the first second answered nothing): either way it ends.
    assertTrue(outcome.describe().contains("the first failure: ") && outcome.describe().contains(" m: "),
        outcome.describe());
  }

  @Test
  void sendsNothingOnceTheGatewayIsStopping() throws Exception {
    int port = deadPort();
    RequestPathWarmup.Outcome outcome = run(
        new RequestPathWarmup.Endpoints("127.0.0.1", port, port, false, Map.of(), Map.of()), () -> true);
    assertEquals(0, outcome.requests() + outcome.failed(), outcome.describe());
    assertTrue(outcome.reason().contains("stopping"), outcome.describe());
  }
  @Test
  void aRoundEndsTheWarmupOnlyWhenTheCompilersAreQuietAndEnoughWasAnswered() {
    long round = RequestPathWarmup.ROUND_MILLIS;
    long enough = RequestPathWarmup.MIN_REQUESTS;
    assertTrue(RequestPathWarmup.settled(0, round, enough));
    assertTrue(RequestPathWarmup.settled(19, round, enough), "under 2 % of the round");
    assertFalse(RequestPathWarmup.settled(20, round, enough), "2 % of the round is still compiling");
    assertFalse(RequestPathWarmup.settled(600, round, enough * 10));
    assertFalse(RequestPathWarmup.settled(0, round, enough - 1), "quiet, but too few requests to have compiled");
    assertFalse(RequestPathWarmup.settled(-1, round, enough * 10), "compilation time unknown: run to the limit");
  }

  @Test
  void theMarkIsRecognisedOnlyWhenPresentedWhole() {
    WarmupMark mark = WarmupMark.random();
    String token = mark.token();
    assertEquals(32, token.length(), "128 bits in hexadecimal");
    assertFalse(mark.marks(token), "not before the warm-up opens it");
    mark.open();
    assertTrue(mark.marks(token));
    assertFalse(mark.marks(null));
    assertFalse(mark.marks(""));
    assertFalse(mark.marks(token.substring(1)));
    assertFalse(mark.marks(token + "0"));
    assertFalse(mark.marks(WarmupMark.random().token()), "another gateway's mark");
    assertFalse(mark.toString().contains(token), "never printed");
    mark.close();
    assertFalse(mark.marks(token), "nor once the warm-up is over");
  }

  @Test
  void anOutcomeSaysWhatItDidOrWhyItDidNot() {
    RequestPathWarmup.Outcome outcome = new RequestPathWarmup.Outcome(Map.of("gRPC", 5L, "HTTP JSON", 7L), 1, 1200,
        true, "the JIT compiled for 3 ms in the last 1000 ms round");
    assertEquals(12, outcome.requests());
    assertTrue(outcome.describe().contains("12 requests answered"), outcome.describe());
    assertTrue(outcome.describe().contains("1 failed"), outcome.describe());
    String skipped = RequestPathWarmup.Outcome.skipped("mutual TLS").describe();
    assertEquals("request path not warmed: mutual TLS", skipped);
  }
}
