package dev.neutrino.gateway.warmup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.call.WarmupMark;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The warm-up's stopping rule and its mark; RequestPathWarmupEndToEndTest runs it against a gateway. */
class RequestPathWarmupTest {
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
    assertTrue(mark.marks(token));
    assertFalse(mark.marks(null));
    assertFalse(mark.marks(""));
    assertFalse(mark.marks(token.substring(1)));
    assertFalse(mark.marks(token + "0"));
    assertFalse(mark.marks(WarmupMark.random().token()), "another gateway's mark");
    assertFalse(mark.toString().contains(token), "never printed");
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
