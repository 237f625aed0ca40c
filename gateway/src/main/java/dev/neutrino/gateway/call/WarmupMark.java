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
 * ordinary request. It is honoured only while the warm-up runs ({@link #open()} to {@link #close()}):
 * after that, every request is observed, and a front end need not even look at the header.
 * Thread-safe.
 */
public final class WarmupMark {
  /** The header (lower case, as HTTP/2 and gRPC metadata carry it) that holds the token. */
  public static final String HEADER = "neutrino-warmup";

  private final byte[] token;
  private volatile boolean open;

  private WarmupMark(byte[] token) {
    this.token = token;
  }

  /** A new token from {@link SecureRandom}. */
  public static WarmupMark random() {
    byte[] bits = new byte[16];
    new SecureRandom().nextBytes(bits);
    return new WarmupMark(HexFormat.of().formatHex(bits).getBytes(StandardCharsets.US_ASCII));
  }

  /** From now on, until {@link #close()}, a request that presents the token is the warm-up's. */
  public void open() {
    open = true;
  }

  /** The warm-up is over: no request is the warm-up's any more. */
  public void close() {
    open = false;
  }

  /** Whether the warm-up runs: when false, {@link #marks} is false whatever is presented. */
  public boolean isOpen() {
    return open;
  }

  /**
   * Whether {@code presented} (a header's value, or null) is this token, compared in constant time,
   * while the warm-up runs.
   */
  public boolean marks(String presented) {
    return open && presented != null && presented.length() == token.length
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
