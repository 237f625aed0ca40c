package dev.neutrino.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class StepPolicyTest {
  private static final GenerationOptions OPTIONS = GenerationOptions.DEFAULT
      .withMaxRunning(4).withStepTokenBudget(20).withPrefillChunk(8);

  private record View(int pendingTokens, int reservedBlocks) implements StepPolicy.SequenceView {}

  private static View decoding() {
    return new View(1, 2);
  }

  private static View prompt(int tokens) {
    return new View(tokens, 2);
  }

  @Test
  void everyDecodingSequenceFeedsItsTokenBeforeAnyPromptChunk() {
    StepPolicy.Plan plan = StepPolicy.plan(List.of(prompt(100), decoding(), prompt(100), decoding()), List.of(),
        100, OPTIONS);
    // 2 decode tokens first, then 8 + 8 of prompt within the budget of 20.
    assertArrayEquals(new int[] {8, 1, 8, 1}, plan.runningFeeds());
    assertEquals(18, plan.totalTokens());
  }

  @Test
  void promptChunksShareWhatIsLeftOfTheBudgetFirstComeFirstServed() {
    GenerationOptions tight = OPTIONS.withStepTokenBudget(12);
    StepPolicy.Plan plan = StepPolicy.plan(List.of(prompt(100), prompt(100), decoding()), List.of(), 100, tight);
    assertArrayEquals(new int[] {8, 3, 1}, plan.runningFeeds());
  }

  @Test
  void aShortRemainderOfAPromptFeedsOnlyWhatIsLeft() {
    StepPolicy.Plan plan = StepPolicy.plan(List.of(prompt(3)), List.of(), 100, OPTIONS);
    assertArrayEquals(new int[] {3}, plan.runningFeeds());
  }

  @Test
  void waitingSequencesJoinInOrderWhileTheBatchHasRoomAndFeedTheirFirstChunk() {
    StepPolicy.Plan plan = StepPolicy.plan(List.of(decoding(), decoding()),
        List.of(prompt(5), prompt(30), prompt(2)), 100, OPTIONS);
    assertEquals(2, plan.admitted());
    assertArrayEquals(new int[] {5, 8}, plan.admittedFeeds());
  }

  @Test
  void theHeadOfTheQueueIsNeverOvertakenWhenItsBlocksAreNotFree() {
    StepPolicy.Plan plan = StepPolicy.plan(List.of(decoding()),
        List.of(new View(5, 10), new View(5, 1)), 9, OPTIONS);
    assertEquals(0, plan.admitted());
  }

  @Test
  void aJoiningSequenceFeedsNothingWhenTheBudgetIsSpent() {
    GenerationOptions tight = OPTIONS.withStepTokenBudget(9);
    StepPolicy.Plan plan = StepPolicy.plan(List.of(prompt(50), decoding()), List.of(prompt(4)), 100, tight);
    assertArrayEquals(new int[] {8, 1}, plan.runningFeeds());
    assertEquals(1, plan.admitted());
    assertArrayEquals(new int[] {0}, plan.admittedFeeds());
  }

  @Test
  void staticAdmissionWaitsUntilTheBatchIsEmpty() {
    GenerationOptions staticBatching = OPTIONS.withAdmission(GenerationOptions.Admission.STATIC);
    assertEquals(0, StepPolicy.plan(List.of(decoding()), List.of(prompt(5)), 100, staticBatching).admitted());
    StepPolicy.Plan plan = StepPolicy.plan(List.of(), List.of(prompt(5), prompt(5), prompt(5), prompt(5), prompt(5)),
        100, staticBatching);
    assertEquals(4, plan.admitted());
  }
}
