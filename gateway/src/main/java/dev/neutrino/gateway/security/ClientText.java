package dev.neutrino.gateway.security;

/** Text a client sent, made safe to quote in one log line or error message. */
final class ClientText {
  private ClientText() {}

  /** {@code text} with control characters replaced by {@code ?}, cut to {@code maxChars} (then "..."). */
  static String printable(String text, int maxChars) {
    String cut = text.length() > maxChars ? text.substring(0, maxChars) + "..." : text;
    StringBuilder out = new StringBuilder(cut.length());
    for (int i = 0; i < cut.length(); i++) {
      char c = cut.charAt(i);
      out.append(c < 0x20 || c == 0x7f ? '?' : c);
    }
    return out.toString();
  }
}
