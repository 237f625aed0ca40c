package dev.neutrino.runtime.onnx;

import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Turns ONNX Runtime's error messages into short ones that are safe to show a client: no file paths
 * (ORT names the model file in most load errors), no Java-binding prefix, bounded length.
 */
final class OrtMessages {
  static final int MAX_LENGTH = 300;
  static final String PATH_PLACEHOLDER = "<path>";

  /** The prefix ORT's Java binding puts before the native message. */
  private static final Pattern JAVA_PREFIX = Pattern.compile("^Error code - \\S+ - message: ");
  /** An absolute Unix path of at least two segments, not glued to a preceding word. */
  private static final Pattern UNIX_PATH =
      Pattern.compile("(?<![\\w.~-])/(?:[^\\s/'\"()\\[\\],:;]+/)+[^\\s'\"()\\[\\],:;]*");
  /** An absolute Windows path. */
  private static final Pattern WINDOWS_PATH = Pattern.compile("(?<![\\w])[A-Za-z]:\\\\[^\\s'\"]*");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private OrtMessages() {}

  /**
   * The native message of {@code failure}, without the binding's prefix, with every spelling of
   * {@code modelFile} (and any other absolute path) replaced by a placeholder.
   *
   * @param modelFile the file being loaded, or {@code null} when none is involved
   */
  static String clean(Throwable failure, Path modelFile) {
    String message = failure.getMessage();
    if (message == null || message.isBlank()) {
      return failure.getClass().getSimpleName();
    }
    message = JAVA_PREFIX.matcher(message).replaceFirst("");
    for (String spelling : spellingsOf(modelFile)) {
      message = message.replace(spelling, PATH_PLACEHOLDER);
    }
    message = UNIX_PATH.matcher(message).replaceAll(PATH_PLACEHOLDER);
    message = WINDOWS_PATH.matcher(message).replaceAll(PATH_PLACEHOLDER);
    message = WHITESPACE.matcher(message).replaceAll(" ").trim();
    if (message.length() > MAX_LENGTH) {
      message = message.substring(0, MAX_LENGTH - 3) + "...";
    }
    return message;
  }

  /** The ORT error code of {@code failure}, such as {@code ORT_INVALID_PROTOBUF}, or {@code null}. */
  static String code(Throwable failure) {
    if (failure instanceof OrtException ort && ort.getCode() != null) {
      return ort.getCode().name();
    }
    return null;
  }

  /** The spellings of a path and its folders that a native message may contain, longest first. */
  private static List<String> spellingsOf(Path modelFile) {
    List<String> spellings = new ArrayList<>();
    if (modelFile == null) {
      return spellings;
    }
    addWithParents(spellings, modelFile);
    addWithParents(spellings, modelFile.toAbsolutePath());
    try {
      addWithParents(spellings, modelFile.toRealPath());
    } catch (IOException | SecurityException ignored) {
      // The file is gone or unreadable: the other spellings still apply.
    }
    spellings.removeIf(s -> s.length() < 2 || !(s.contains("/") || s.contains("\\")));
    spellings.sort(Comparator.comparingInt(String::length).reversed());
    return spellings;
  }

  private static void addWithParents(List<String> spellings, Path path) {
    for (Path p = path; p != null; p = p.getParent()) {
      spellings.add(p.toString());
    }
  }
}
