package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.neutrino.batching.InferenceRequest;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The grpc-timeout header becomes a deadline at full precision. */
class GrpcTimeoutTest {
  @ParameterizedTest
  @CsvSource({
      "1H, 3600000000000",
      "2M, 120000000000",
      "3S, 3000000000",
      "250m, 250000000",
      "500u, 500000",
      "99999999n, 99999999",
      "0m, 0"})
  void readsEveryUnit(String header, long nanos) {
    assertEquals(nanos, GrpcTimeout.timeoutNanos(header));
    assertEquals(1_000 + nanos, GrpcTimeout.deadlineNanos(header, 1_000));
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(strings = {"", "m", "10", "10s", "123456789m", "-5m", "1.5S", " 5m"})
  void malformedOrMissingMeansNoDeadline(String header) {
    assertEquals(InferenceRequest.NO_DEADLINE, GrpcTimeout.deadlineNanos(header, 1_000));
  }

  @ParameterizedTest
  @ValueSource(strings = {"99999999H", "25H", "1441M"})
  void longerThanADayMeansNoDeadline(String header) {
    assertEquals(InferenceRequest.NO_DEADLINE, GrpcTimeout.deadlineNanos(header, Long.MAX_VALUE - 1_000));
  }
}
