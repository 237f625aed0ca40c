package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RepositoryPollerTest {
  private static ModelFiles files(String... entries) {
    Map<String, String> map = new java.util.TreeMap<>();
    for (int i = 0; i < entries.length; i += 2) {
      map.put(entries[i], entries[i + 1]);
    }
    return new ModelFiles(map);
  }

  private static final ModelFiles V1 = files("1/model.onnx", "100@1");
  private static final ModelFiles V1_V2_PARTIAL = files("1/model.onnx", "100@1", "2/model.onnx", "40@5");
  private static final ModelFiles V1_V2 = files("1/model.onnx", "100@1", "2/model.onnx", "100@6");

  @Test
  void settledChangeIsLoaded() {
    RepositoryPoller.Decision decision = RepositoryPoller.decide(
        Map.of("m", V1_V2), Map.of("m", V1_V2), Map.of("m", V1));
    assertEquals(Set.of("m"), decision.load());
  }

  @Test
  void fileStillBeingWrittenIsIgnoredUntilItSettles() {
    RepositoryPoller.Decision writing = RepositoryPoller.decide(
        Map.of("m", V1_V2_PARTIAL), Map.of("m", V1_V2), Map.of("m", V1));
    assertEquals(Set.of(), writing.load());
    RepositoryPoller.Decision firstSight = RepositoryPoller.decide(
        Map.of("m", V1), Map.of("m", V1_V2_PARTIAL), Map.of("m", V1));
    assertEquals(Set.of(), firstSight.load());
  }

  @Test
  void unchangedModelIsLeftAlone() {
    RepositoryPoller.Decision decision = RepositoryPoller.decide(Map.of("m", V1), Map.of("m", V1), Map.of("m", V1));
    assertEquals(Set.of(), decision.load());
    assertEquals(Set.of(), decision.unload());
  }

  @Test
  void newModelLoadsOnceSettled() {
    assertEquals(Set.of(), RepositoryPoller.decide(Map.of(), Map.of("n", V1), Map.of()).load());
    assertEquals(Set.of("n"), RepositoryPoller.decide(Map.of("n", V1), Map.of("n", V1), Map.of()).load());
  }

  @Test
  void removedModelIsUnloadedAfterTwoPollsWithoutIt() {
    assertEquals(Set.of(), RepositoryPoller.decide(Map.of("m", V1), Map.of(), Map.of("m", V1)).unload());
    assertEquals(Set.of("m"), RepositoryPoller.decide(Map.of(), Map.of(), Map.of("m", V1)).unload());
  }
}
