package dev.neutrino.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The repository's root folder as the other parts read it: which model folders it holds and what
 * files each holds. Touches the file system on every call: never on an event loop's hot path.
 */
final class RepositoryFolder {
  private static final System.Logger LOG = System.getLogger(RepositoryFolder.class.getName());

  /** Names a model may have: they become folder names, so nothing that can climb out of the root. */
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private final Path root;

  /** @param root the repository's real path */
  RepositoryFolder(Path root) {
    this.root = root;
  }

  Path root() {
    return root;
  }

  static boolean isValidModelName(String name) {
    return name != null && MODEL_NAME.matcher(name).matches() && !name.contains("..");
  }

  /** Whether {@code name} is a model folder now. */
  boolean isModelFolder(String name) {
    return isValidModelName(name) && Files.isDirectory(root.resolve(name));
  }

  /** The model folders, sorted; folders whose names are not model names are skipped with a warning. */
  List<String> modelFolders() {
    List<String> names = new ArrayList<>();
    try (Stream<Path> children = Files.list(root)) {
      children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().forEach(name -> {
        if (isValidModelName(name)) {
          names.add(name);
        } else {
          LOG.log(System.Logger.Level.WARNING, "skipping folder with an invalid model name");
        }
      });
    } catch (IOException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot list the model repository: " + e.getMessage());
    }
    return names;
  }

  /** Every model folder's files, by model name. */
  Map<String, ModelFiles> scanAll() {
    Map<String, ModelFiles> files = new HashMap<>();
    for (String name : modelFolders()) {
      files.put(name, scan(name));
    }
    return files;
  }

  ModelFiles scan(String name) {
    return ModelFiles.scan(root.resolve(name));
  }
}
