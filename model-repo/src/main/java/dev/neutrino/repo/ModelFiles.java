package dev.neutrino.repo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What a model's folder holds, for change detection: every regular file's relative path, size and
 * modification time. Two equal snapshots mean nothing changed between them.
 */
record ModelFiles(Map<String, String> files) {
  ModelFiles {
    files = Map.copyOf(files);
  }

  /** Reads the folder; a folder that vanished reads as empty. */
  static ModelFiles scan(Path modelDir) {
    Map<String, String> files = new TreeMap<>();
    if (!Files.isDirectory(modelDir)) {
      return new ModelFiles(files);
    }
    try (Stream<Path> walk = Files.walk(modelDir, 3)) {
      walk.forEach(path -> {
        try {
          BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
          if (attributes.isRegularFile() || attributes.isSymbolicLink()) {
            files.put(modelDir.relativize(path).toString(),
                attributes.size() + "@" + attributes.lastModifiedTime().toMillis());
          }
        } catch (IOException e) {
          files.put(modelDir.relativize(path).toString(), "unreadable");
        }
      });
    } catch (IOException | UncheckedIOException e) {
      files.put("", "unreadable");
    }
    return new ModelFiles(files);
  }
}
