package dev.neutrino.gateway.call;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The token a gateway's own warm-up requests carry in the {@link #HEADER} header (gRPC metadata), so
 * that such a call is served like any other but left out of what the gateway observes of its
 * clients: request metrics and statistics, the access log, and the samples its adaptive admission
 * limits learn from. The token is 128 random bits made when the gateway starts and never printed or
 * logged: a client cannot hide its requests by guessing it, and a wrong or missing value is an
 * ordinary request. Immutable.
 */
public final class WarmupMark {
  /** The header (lower case, as HTTP/2 and gRPC metadata carry it) that holds the token. */
  public static final String HEADER = "neutrino-warmup";

  private final byte[] token;

  private WarmupMark(byte[] token) {
    this.token = token;
  }

  /** A new token from {@link SecureRandom}. */
  public static WarmupMark random() {
    byte[] bits = new byte[16];
    new SecureRandom().nextBytes(bits);
    return new WarmupMark(HexFormat.of().formatHex(bits).getBytes(StandardCharsets.US_ASCII));
  }

  /** Whether {@code presented} (a header's value, or null) is this token, compared in constant time. */
  public boolean marks(String presented) {
    return presented != null && presented.length() == token.length
        && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.US_ASCII));
  }

  /** The value to send in {@link #HEADER}; only the gateway's own warm-up client asks for it. */
  public String token() {
    return new String(token, StandardCharsets.US_ASCII);
  }

  @Override
  public String toString() {
    return "WarmupMark[<redacted>]";
  }
}
