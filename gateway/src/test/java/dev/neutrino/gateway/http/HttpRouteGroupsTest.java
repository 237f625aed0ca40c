package dev.neutrino.gateway.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.neutrino.gateway.security.ApiGroup;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every REST endpoint belongs to the API group Triton's {@code --http-restricted-api} names for it. */
class HttpRouteGroupsTest {
  @ParameterizedTest
  @CsvSource(nullValues = "none", value = {
      "/v2, METADATA",
      "/v2/health/live, HEALTH",
      "/v2/health/ready, HEALTH",
      "/v2/models/simple, METADATA",
      "/v2/models/simple/versions/1, METADATA",
      "/v2/models/simple/ready, HEALTH",
      "/v2/models/simple/versions/1/ready, HEALTH",
      "/v2/models/simple/infer, INFERENCE",
      "/v2/models/simple/versions/2/infer, INFERENCE",
      "/v2/models/simple/config, MODEL_CONFIG",
      "/v2/models/simple/versions/1/config, MODEL_CONFIG",
      "/v2/models/stats, STATISTICS",
      "/v2/models/simple/stats, STATISTICS",
      "/v2/models/simple/versions/1/stats, STATISTICS",
      "/v2/repository/index, MODEL_REPOSITORY",
      "/v2/repository/models/simple/load, MODEL_REPOSITORY",
      "/v2/repository/models/simple/unload, MODEL_REPOSITORY",
      "/v2/repository/anything/else, MODEL_REPOSITORY",
      "/v1/models, INFERENCE",
      "/v1/embeddings, INFERENCE",
      "/v1/anything/else, INFERENCE",
      "/v2/models/simple/bogus, none",
      "/v2/models/simple/infer/more, none",
      "/v2/nothing/here, none"})
  void routesMapToTheirGroup(String path, ApiGroup group) {
    assertEquals(group, HttpFrontEnd.group(HttpFrontEnd.segments(path)), path);
  }
}
