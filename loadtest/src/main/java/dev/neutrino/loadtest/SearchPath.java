package dev.neutrino.loadtest;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Finding an executable on the {@code PATH}, as a shell would (an empty entry is the current folder). */
final class SearchPath {
  private SearchPath() {}

  /** The first executable file called {@code name} in the {@code PATH}'s folders, or empty when there is none. */
  static Optional<Path> find(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(File.pathSeparator)) {
      Path candidate = Path.of(dir.isEmpty() ? "." : dir, name);
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }
}
