package dev.neutrino.gateway.security;

import dev.neutrino.runtime.InferenceException;
import io.vertx.core.net.SocketAddress;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Decides whether one request may call an API group, for one front end (HTTP, gRPC or the metrics
 * port), with Triton's semantics for restricted groups and Neutrino's defaults for the repository.
 *
 * <p>The rules, in order, for a request to group {@code g}:
 * <ol>
 *   <li>{@code model-repository} only: a request carrying an {@code Origin} header (a browser's) is
 *       refused unless that exact origin is in {@code --repository-allowed-origins};
 *   <li>{@code model-repository} only, when no key restricts it: only loopback peers
 *       (127.0.0.0/8, ::1) are accepted, so that the repository is not open to the network by default;
 *   <li>when {@code g} is restricted to a key: the request must carry the header (over gRPC,
 *       {@code triton-grpc-protocol-<key>}) with the value; a missing header is
 *       {@link InferenceException.Unauthenticated} (401 / UNAUTHENTICATED), a wrong value
 *       {@link InferenceException.Forbidden} (403 / PERMISSION_DENIED).
 * </ol>
 * Messages name what is needed (the header, the flag to set), never a configured value.
 *
 * <p>Thread-safe: the rules are immutable; each refusal is counted in a {@link LongAdder}.
 */
public final class AccessControl {
  /** The prefix gRPC metadata keys of restricted protocols carry, as Triton names them. */
  public static final String GRPC_HEADER_PREFIX = "triton-grpc-protocol-";
  private static final String ORIGIN = "origin";
  private static final int MAX_QUOTED = 100;
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

  private final String protocol;
  private final String headerPrefix;
  private final String flag;
  private final Map<ApiGroup, Credential> required;
  private final Set<String> allowedOrigins;
  private final LongAdder[] refusals = new LongAdder[ApiGroup.values().length];
  private final boolean[] guarded = new boolean[ApiGroup.values().length];

  private AccessControl(String protocol, String headerPrefix, String flag, Map<ApiGroup, Credential> required,
      Set<String> allowedOrigins) {
    this.protocol = protocol;
    this.headerPrefix = headerPrefix;
    this.flag = flag;
    this.required = required;
    this.allowedOrigins = allowedOrigins;
    for (ApiGroup group : ApiGroup.values()) {
      refusals[group.ordinal()] = new LongAdder();
      guarded[group.ordinal()] = group == ApiGroup.MODEL_REPOSITORY || required.containsKey(group);
    }
  }

  /** The HTTP front end's rules: {@code --http-restricted-api}. */
  public static AccessControl http(AccessSettings settings) {
    return new AccessControl("http", "", "--http-restricted-api",
        AccessSettings.byGroup(settings.httpRestrictions(), "--http-restricted-api"),
        Set.copyOf(settings.repositoryAllowedOrigins()));
  }

  /** The gRPC front end's rules: {@code --grpc-restricted-protocol}. */
  public static AccessControl grpc(AccessSettings settings) {
    return new AccessControl("grpc", GRPC_HEADER_PREFIX, "--grpc-restricted-protocol",
        AccessSettings.byGroup(settings.grpcRestrictions(), "--grpc-restricted-protocol"),
        Set.copyOf(settings.repositoryAllowedOrigins()));
  }

  /** The metrics port's rule: {@code --metrics-restricted-api}, for {@link ApiGroup#METRICS}. */
  public static AccessControl metrics(AccessSettings settings) {
    Map<ApiGroup, Credential> required = new EnumMap<>(ApiGroup.class);
    if (settings.metricsCredential() != null) {
      required.put(ApiGroup.METRICS, settings.metricsCredential());
    }
    return new AccessControl("metrics", "", "--metrics-restricted-api", required, Set.of());
  }

  /** The {@code protocol} label of this front end's refusals: {@code http}, {@code grpc} or {@code metrics}. */
  public String protocol() {
    return protocol;
  }

  /**
   * Whether requests to {@code group} need {@link #check}ing at all: false for a group that is open
   * to everyone, so that its requests (inference, usually) skip the check altogether.
   */
  public boolean guards(ApiGroup group) {
    return guarded[group.ordinal()];
  }

  /**
   * The header (gRPC metadata) a request to {@code group} must carry to pass {@link #check}, as a
   * name and value, for the gateway's own requests to itself (its warm-up); empty when the group is
   * open. The value is the configured secret: never print it.
   */
  public Map<String, String> credentials(ApiGroup group) {
    Credential credential = required.get(group);
    return credential == null ? Map.of()
        : Map.of(headerPrefix + credential.key(), credential.value().text());
  }

  /** As {@link #check(ApiGroup, Function, Supplier)} with the peer's address known. */
  public InferenceException check(ApiGroup group, Function<String, String> header, InetAddress peer) {
    return check(group, header, () -> peer);
  }

  /**
   * Whether a request may call {@code group}; a refusal is counted.
   *
   * @param header the request's header (gRPC metadata) of a lower-case name, or null when absent
   * @param peer the client's address, asked for only when a rule needs it; null when unknown (never
   *     trusted)
   * @return null when allowed, else the failure to answer with
   */
  public InferenceException check(ApiGroup group, Function<String, String> header, Supplier<InetAddress> peer) {
    InferenceException refusal = decide(group, header, peer);
    if (refusal != null) {
      refusals[group.ordinal()].increment();
    }
    return refusal;
  }

  private InferenceException decide(ApiGroup group, Function<String, String> header, Supplier<InetAddress> peer) {
    Credential credential = required.get(group);
    if (group == ApiGroup.MODEL_REPOSITORY) {
      String origin = header.apply(ORIGIN);
      if (origin != null && !allowedOrigins.contains(origin)) {
        return new InferenceException.Forbidden("the repository API refuses requests from the browser origin '"
            + quoted(origin) + "'; allow it with --repository-allowed-origins");
      }
      if (credential == null && !isLoopback(peer.get())) {
        return new InferenceException.Forbidden("the repository API accepts only loopback clients unless a key "
            + "restricts it: set " + flag + " model-repository:<key>=<value> and send that header");
      }
    }
    if (credential == null) {
      return null;
    }
    String name = headerPrefix + credential.key();
    String presented = header.apply(name);
    if (presented == null) {
      return new InferenceException.Unauthenticated("API group '" + group.label()
          + "' is restricted: expecting header '" + name + "'");
    }
    if (!credential.value().matches(presented)) {
      return new InferenceException.Forbidden("API group '" + group.label() + "' is restricted: header '" + name
          + "' does not hold the value required");
    }
    return null;
  }

  /** Requests to {@code group} refused so far. */
  public long refusals(ApiGroup group) {
    return refusals[group.ordinal()].sum();
  }

  /**
   * Whether {@code peer} is this host: any loopback address (127.0.0.0/8, {@code ::1}), IPv4-mapped
   * ones included. Null (an unknown peer, a Unix socket) is not.
   */
  public static boolean isLoopback(InetAddress peer) {
    if (peer == null) {
      return false;
    }
    if (peer.isLoopbackAddress()) {
      return true;
    }
    if (peer instanceof Inet6Address) {
      byte[] b = peer.getAddress();
      for (int i = 0; i < 10; i++) {
        if (b[i] != 0) {
          return false;
        }
      }
      return b[10] == (byte) 0xff && b[11] == (byte) 0xff && b[12] == 127; // ::ffff:127.x.y.z
    }
    return false;
  }

  /**
   * The IP address of a connection's peer, as Vert.x reports it; null when it is not an IP socket.
   * Never resolves a name.
   */
  public static InetAddress peerAddress(SocketAddress address) {
    if (address == null || !address.isInetSocket()) {
      return null;
    }
    return literal(address.hostAddress());
  }

  /** An IP address written as a literal; null for anything else (a host name is never looked up). */
  static InetAddress literal(String text) {
    if (text == null || text.isEmpty()) {
      return null;
    }
    String t = text.startsWith("[") && text.endsWith("]") ? text.substring(1, text.length() - 1) : text;
    if (t.indexOf(':') < 0 && !IPV4.matcher(t).matches()) {
      return null;
    }
    try {
      return InetAddress.getByName(t); // a literal: no lookup
    } catch (UnknownHostException | SecurityException e) {
      return null;
    }
  }

  private static String quoted(String text) {
    return ClientText.printable(text, MAX_QUOTED);
  }
}
