package dev.neutrino.gateway.security;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Who may call what: the process's access-control settings, immutable and validated on construction.
 *
 * @param httpRestrictions {@code --http-restricted-api}, repeatable: each group at most once
 * @param grpcRestrictions {@code --grpc-restricted-protocol}, repeatable: each group at most once
 * @param repositoryAllowedOrigins {@code --repository-allowed-origins}: browser origins (exact
 *     {@code Origin} header values) the repository API accepts; any other request carrying an
 *     {@code Origin} is refused
 * @param metricsCredential {@code --metrics-restricted-api}: the header {@code /metrics} requires,
 *     or null for none
 */
public record AccessSettings(List<Restriction> httpRestrictions, List<Restriction> grpcRestrictions,
    List<String> repositoryAllowedOrigins, Credential metricsCredential) {
  /** Nothing restricted by a key; the repository API only for loopback clients, no browser origin. */
  public static final AccessSettings DEFAULTS = new AccessSettings(List.of(), List.of(), List.of(), null);

  public AccessSettings {
    httpRestrictions = List.copyOf(httpRestrictions);
    grpcRestrictions = List.copyOf(grpcRestrictions);
    repositoryAllowedOrigins = repositoryAllowedOrigins.stream().map(String::trim).filter(o -> !o.isEmpty())
        .distinct().toList();
    byGroup(httpRestrictions, "--http-restricted-api");
    byGroup(grpcRestrictions, "--grpc-restricted-protocol");
  }

  /** The credential each restricted group requires, for {@code flag}'s restrictions. */
  static Map<ApiGroup, Credential> byGroup(List<Restriction> restrictions, String flag) {
    Map<ApiGroup, Credential> out = new EnumMap<>(ApiGroup.class);
    for (Restriction restriction : restrictions) {
      for (ApiGroup group : restriction.groups()) {
        if (out.put(group, restriction.credential()) != null) {
          throw new IllegalArgumentException("API group '" + group.label() + "' is named by more than one "
              + flag + "; each group may be restricted once");
        }
      }
    }
    return out;
  }
}
