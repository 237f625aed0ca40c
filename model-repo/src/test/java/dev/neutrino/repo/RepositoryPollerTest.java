package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
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

  @Test
  void copyInProgressIsNeverLoadedAndLoadsOnceTwoPollsAgree() {
    ModelFiles[] scans = {V1, V1_V2_PARTIAL, files("1/model.onnx", "100@1", "2/model.onnx", "80@6"), V1_V2, V1_V2};
    Map<String, ModelFiles> previous = Map.of("m", scans[0]);
    List<Set<String>> loads = new ArrayList<>();
    for (int poll = 1; poll < scans.length; poll++) {
      Map<String, ModelFiles> current = Map.of("m", scans[poll]);
      loads.add(RepositoryPoller.decide(previous, current, Map.of("m", V1)).load());
      previous = current;
    }
    assertEquals(List.of(Set.of(), Set.of(), Set.of(), Set.of("m")), loads);
  }

  @Test
  void failedModelIsRetriedOnceItsFilesSettleAgain() {
    ModelFiles failed = files("", "failed");
    assertEquals(Set.of("m"), RepositoryPoller.decide(Map.of("m", V1), Map.of("m", V1), Map.of("m", failed)).load());
    assertEquals(Set.of(), RepositoryPoller.decide(Map.of("m", V1), Map.of("m", V1_V2), Map.of("m", failed)).load());
  }

  @Test
  void modelMissingFromOnePollOnlyIsKept() {
    RepositoryPoller.Decision decision = RepositoryPoller.decide(Map.of(), Map.of("m", V1), Map.of("m", V1));
    assertEquals(Set.of(), decision.unload());
    assertEquals(Set.of(), decision.load());
  }
}
