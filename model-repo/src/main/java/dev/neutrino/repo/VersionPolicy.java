package dev.neutrino.repo;

import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Triton's {@code version_policy}: which of the version folders on disk are served. A pure function of
 * the versions present.
 */
public sealed interface VersionPolicy {
  /** Triton's default: the newest version only. */
  VersionPolicy DEFAULT = new Latest(1);

  /** The versions to serve out of {@code available}, ascending. */
  List<Long> select(Collection<Long> available);

  /** The {@code n} highest-numbered versions. */
  record Latest(int numVersions) implements VersionPolicy {
    public Latest {
      if (numVersions < 1) {
        throw new IllegalArgumentException("version_policy latest num_versions must be >= 1, got " + numVersions);
      }
    }

    @Override
    public List<Long> select(Collection<Long> available) {
      TreeSet<Long> sorted = new TreeSet<>(available);
      List<Long> newest = List.copyOf(sorted.descendingSet()).subList(0, Math.min(numVersions, sorted.size()));
      return List.copyOf(new TreeSet<>(newest));
    }
  }

  /** Every version present. */
  record All() implements VersionPolicy {
    @Override
    public List<Long> select(Collection<Long> available) {
      return List.copyOf(new TreeSet<>(available));
    }
  }

  /** Exactly the listed versions that are present. */
  record Specific(Set<Long> versions) implements VersionPolicy {
    public Specific {
      versions = Set.copyOf(versions);
      if (versions.isEmpty()) {
        throw new IllegalArgumentException("version_policy specific needs at least one version");
      }
      for (long version : versions) {
        if (version < 1) {
          throw new IllegalArgumentException("version_policy specific versions must be >= 1, got " + version);
        }
      }
    }

    @Override
    public List<Long> select(Collection<Long> available) {
      TreeSet<Long> chosen = new TreeSet<>(available);
      chosen.retainAll(versions);
      return List.copyOf(chosen);
    }
  }
}
