package dev.neutrino.gateway.security;

import java.util.Locale;
import java.util.Objects;

/**
 * A header a client must send, and its value: {@code <key>=<value>} on the command line, where the
 * value may be {@code @PATH} to read it from a file (see {@link Secret}). Over gRPC the header is
 * {@code triton-grpc-protocol-<key>}, as Triton names it. Prints with its value redacted.
 *
 * @param key the header name, lower case (HTTP header names are case-insensitive; gRPC metadata
 *     keys are lower case)
 */
public record Credential(String key, Secret value) {
  public Credential {
    Objects.requireNonNull(value, "value");
    key = key == null ? "" : key.trim().toLowerCase(Locale.ROOT);
    if (key.isEmpty()) {
      throw new IllegalArgumentException("the header name must not be empty");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
      if (!ok) {
        throw new IllegalArgumentException("the header name '" + key
            + "' may hold only letters, digits, '-', '_' and '.'");
      }
    }
  }

  /**
   * Parses {@code <key>=<value>} (the value may hold {@code =}).
   *
   * @param what names the setting in errors, for example {@code --metrics-restricted-api}
   */
  public static Credential parse(String spec, String what) {
    int eq = spec.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException(what + " must be <key>=<value> (or <key>=@FILE), got "
          + (eq < 0 ? "no '='" : "no key"));
    }
    try {
      return new Credential(spec.substring(0, eq), Secret.parse(spec.substring(eq + 1), what));
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(what) ? e : new IllegalArgumentException(what + ": " + e.getMessage());
    }
  }

  /** {@code <key>=<redacted>}, or {@code <key>=@PATH}. */
  @Override
  public String toString() {
    return key + "=" + value;
  }
}
