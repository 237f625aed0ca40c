package dev.neutrino.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The repository's root folders as the other parts read them: which model folders they hold and what
 * files each holds. Several roots are served together, as Triton serves several
 * {@code --model-repository} folders; a model name in two of them is an error naming both (see
 * {@link #duplicate}). Touches the file system on every call: never on an event loop's hot path.
 */
final class RepositoryFolder {
  private static final System.Logger LOG = System.getLogger(RepositoryFolder.class.getName());

  /** Names a model may have: they become folder names, so nothing that can climb out of the root. */
  private static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private final List<Path> roots;

  /** @param roots the repository folders' real paths, at least one */
  RepositoryFolder(List<Path> roots) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("no model repository folder");
    }
    this.roots = List.copyOf(roots);
  }

  List<Path> roots() {
    return roots;
  }

  /** The roots holding a folder {@code name}, in the order the roots were given. */
  private List<Path> rootsHolding(String name) {
    List<Path> holding = new ArrayList<>();
    for (Path root : roots) {
      if (Files.isDirectory(root.resolve(name))) {
        holding.add(root);
      }
    }
    return holding;
  }

  /**
   * The root that holds model {@code name}: the one with its folder, or the first root when none has
   * it (where a folder that is still to come would be looked for).
   */
  Path rootOf(String name) {
    List<Path> holding = isValidModelName(name) ? rootsHolding(name) : List.of();
    return holding.isEmpty() ? roots.get(0) : holding.get(0);
  }

  /**
   * Why model {@code name} cannot be served, when two repository folders hold it (Triton refuses the
   * same name in two repositories), naming them; null otherwise.
   */
  String duplicate(String name) {
    if (roots.size() < 2 || !isValidModelName(name)) {
      return null;
    }
    List<Path> holding = rootsHolding(name);
    if (holding.size() < 2) {
      return null;
    }
    List<String> shown = holding.stream().map(Path::toString).toList();
    return "model '" + name + "' is in more than one model repository: " + String.join(" and ", shown);
  }

  static boolean isValidModelName(String name) {
    return name != null && MODEL_NAME.matcher(name).matches() && !name.contains("..");
  }

  /** Whether {@code name} is a model folder now. */
  boolean isModelFolder(String name) {
    return isValidModelName(name) && !rootsHolding(name).isEmpty();
  }

  /**
   * The model folders of every root, sorted, each name once; folders whose names are not model names
   * are skipped with a warning.
   */
  List<String> modelFolders() {
    Set<String> names = new TreeSet<>();
    for (Path root : roots) {
      try (Stream<Path> children = Files.list(root)) {
        children.filter(Files::isDirectory).map(p -> p.getFileName().toString()).forEach(name -> {
          if (isValidModelName(name)) {
            names.add(name);
          } else {
            LOG.log(System.Logger.Level.WARNING, "skipping folder with an invalid model name");
          }
        });
      } catch (IOException e) {
        LOG.log(System.Logger.Level.ERROR, "cannot list the model repository: " + e.getMessage());
      }
    }
    return new ArrayList<>(names);
  }

  /** Every model folder's files, by model name. */
  Map<String, ModelFiles> scanAll() {
    Map<String, ModelFiles> files = new HashMap<>();
    for (String name : modelFolders()) {
      files.put(name, scan(name));
    }
    return files;
  }

  /**
   * The files of model {@code name}'s folder; for a name in two roots, both folders' files (keyed by
   * root), so that a duplicate appearing or going away reads as a change.
   */
  ModelFiles scan(String name) {
    List<Path> holding = isValidModelName(name) ? rootsHolding(name) : List.of();
    if (holding.size() < 2) {
      return ModelFiles.scan(rootOf(name).resolve(name));
    }
    Map<String, String> files = new TreeMap<>();
    for (Path root : holding) {
      ModelFiles.scan(root.resolve(name)).files().forEach((file, stamp) -> files.put(root + ":" + file, stamp));
    }
    return new ModelFiles(files);
  }
}
