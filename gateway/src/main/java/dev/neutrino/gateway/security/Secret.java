package dev.neutrino.gateway.security;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A value a client must present, such as the value of a restricted API's header. It never prints
 * itself: {@link #toString()} is {@code <redacted>}, or the file it was read from, so a configuration
 * can be logged whole. Immutable.
 */
public final class Secret {
  /** What stands for a secret given on the command line or in the YAML file when it is printed. */
  public static final String REDACTED = "<redacted>";
  /** A value written {@code @PATH} is read from the file {@code PATH}. */
  public static final char FROM_FILE = '@';

  private final byte[] value;
  private final Path file;

  private Secret(byte[] value, Path file) {
    this.value = value;
    this.file = file;
  }

  /**
   * The secret {@code spec} stands for: the text itself, or, for {@code @PATH}, the content of the file
   * {@code PATH}: one line, its line ending dropped (as {@code echo value > file} writes it).
   *
   * @param what names the setting in errors, for example {@code --http-restricted-api}
   * @throws IllegalArgumentException naming the setting when the value is empty, holds a control
   *     character, or its file cannot be read (never quoting the value)
   */
  public static Secret parse(String spec, String what) {
    Path file = null;
    String text = spec;
    if (!spec.isEmpty() && spec.charAt(0) == FROM_FILE) {
      file = Path.of(spec.substring(1));
      try {
        text = Files.readString(file, StandardCharsets.UTF_8);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(what + ": cannot read the value from " + file + " ("
            + e.getClass().getSimpleName() + ")");
      }
      int end = text.indexOf('\n');
      if (end >= 0 && text.substring(end).isBlank()) {
        text = text.substring(0, end);
      }
      if (text.endsWith("\r")) {
        text = text.substring(0, text.length() - 1);
      }
    }
    String where = file == null ? "" : " (read from " + file + ")";
    if (text.isEmpty()) {
      throw new IllegalArgumentException(what + ": the value must not be empty" + where);
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new IllegalArgumentException(what + ": the value must be one line of printable characters" + where);
      }
    }
    return new Secret(text.getBytes(StandardCharsets.UTF_8), file);
  }

  /** Whether {@code presented} is this value, compared in time independent of where they differ. */
  public boolean matches(String presented) {
    return presented != null && MessageDigest.isEqual(value, presented.getBytes(StandardCharsets.UTF_8));
  }

  /** The value itself, for the gateway's own client to present; never to be printed or logged. */
  String text() {
    return new String(value, StandardCharsets.UTF_8);
  }

  /** The file the value was read from, or null when it was given inline. */
  public Path file() {
    return file;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Secret s && Arrays.equals(value, s.value) && java.util.Objects.equals(file, s.file);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(value);
  }

  /** {@code <redacted>}, or {@code @PATH} for a value read from a file: never the value. */
  @Override
  public String toString() {
    return file == null ? REDACTED : FROM_FILE + file.toString();
  }
}
