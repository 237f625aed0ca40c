package dev.neutrino.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class VersionPolicyTest {
  private static final List<Long> ON_DISK = List.of(3L, 1L, 7L, 2L);

  @Test
  void latestServesTheHighestNumbers() {
    assertEquals(List.of(7L), VersionPolicy.DEFAULT.select(ON_DISK));
    assertEquals(List.of(3L, 7L), new VersionPolicy.Latest(2).select(ON_DISK));
    assertEquals(List.of(1L, 2L, 3L, 7L), new VersionPolicy.Latest(9).select(ON_DISK));
    assertEquals(List.of(), new VersionPolicy.Latest(1).select(List.of()));
  }

  @Test
  void allServesEveryVersion() {
    assertEquals(List.of(1L, 2L, 3L, 7L), new VersionPolicy.All().select(ON_DISK));
  }

  @Test
  void specificServesOnlyListedVersionsPresent() {
    assertEquals(List.of(2L, 7L), new VersionPolicy.Specific(Set.of(2L, 7L, 9L)).select(ON_DISK));
  }

  @Test
  void invalidPoliciesAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> new VersionPolicy.Latest(0));
    assertThrows(IllegalArgumentException.class, () -> new VersionPolicy.Specific(Set.of()));
    assertThrows(IllegalArgumentException.class, () -> new VersionPolicy.Specific(Set.of(0L)));
  }
}
