package dev.neutrino.runtime.onnx;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Where ONNX Runtime's optimized graphs are kept, so that a model loaded again skips graph
 * optimisation.
 *
 * <p>An entry is named by the SHA-256 of the model file's bytes, ORT's version, the optimisation
 * level the graph was saved at and the machine's architecture: a changed file, another ORT or another
 * level never reads a stale graph. Graphs are saved at ORT's extended level, not with layout
 * optimisations: those are specific to the hardware that made them (ORT's documentation), while
 * basic and extended rewrites are not. Only CPU sessions use the cache, since extended fusions are
 * chosen per execution provider.
 *
 * <p>Thread-safety: immutable; entries are written under a temporary name and moved into place, so
 * that concurrent loads of one model never read a half-written graph.
 */
final class OptimizedGraphCache {
  /** The optimisation level graphs are saved at, part of every key. */
  static final String SAVED_LEVEL = "extended";

  private final Path folder;
  private final String ortVersion;

  OptimizedGraphCache(Path folder, String ortVersion) {
    this.folder = Objects.requireNonNull(folder, "folder");
    this.ortVersion = Objects.requireNonNull(ortVersion, "ortVersion");
  }

  Path folder() {
    return folder;
  }

  /** The entry for {@code modelFile} under this ORT, level and architecture. */
  Path entry(Path modelFile) throws IOException {
    return folder.resolve(key(fileDigest(modelFile), ortVersion, SAVED_LEVEL) + ".onnx");
  }

  /** The key of a model whose bytes hash to {@code fileDigest}, saved by {@code ortVersion} at {@code level}. */
  static String key(String fileDigest, String ortVersion, String level) {
    MessageDigest sha = sha256();
    String parts = fileDigest + "\n" + ortVersion + "\n" + level + "\n" + System.getProperty("os.arch");
    return HexFormat.of().formatHex(sha.digest(parts.getBytes(StandardCharsets.UTF_8)));
  }

  static String fileDigest(Path file) throws IOException {
    MessageDigest sha = sha256();
    byte[] buffer = new byte[1 << 16];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
        sha.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "OptimizedGraphCache[" + folder + ", ort " + ortVersion + "]";
  }
}
