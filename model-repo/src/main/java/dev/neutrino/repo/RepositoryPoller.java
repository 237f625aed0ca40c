package dev.neutrino.repo;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Poll mode's decision, as a pure function of three snapshots of the repository: the previous poll,
 * this poll, and what is loaded. A model is acted on only when its files are the same in two polls
 * in a row (so a model still being copied is never loaded) and differ from what is loaded.
 */
final class RepositoryPoller {
  private RepositoryPoller() {}

  /** What to do after one poll. */
  record Decision(Set<String> load, Set<String> unload) {
    Decision {
      load = Set.copyOf(load);
      unload = Set.copyOf(unload);
    }
  }

  /**
   * @param previous the files seen at the previous poll, by model name
   * @param current the files seen now
   * @param loaded the files as they were when each loaded model was loaded
   */
  static Decision decide(
      Map<String, ModelFiles> previous, Map<String, ModelFiles> current, Map<String, ModelFiles> loaded) {
    Set<String> load = new TreeSet<>();
    Set<String> unload = new TreeSet<>();
    for (Map.Entry<String, ModelFiles> entry : current.entrySet()) {
      String model = entry.getKey();
      ModelFiles now = entry.getValue();
      boolean settled = Objects.equals(previous.get(model), now);
      if (settled && !Objects.equals(loaded.get(model), now)) {
        load.add(model);
      }
    }
    for (String model : loaded.keySet()) {
      if (!current.containsKey(model) && !previous.containsKey(model)) {
        unload.add(model);
      }
    }
    return new Decision(load, unload);
  }
}
