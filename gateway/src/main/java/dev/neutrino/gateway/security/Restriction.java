package dev.neutrino.gateway.security;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One {@code --http-restricted-api} or {@code --grpc-restricted-protocol} value, as Triton reads it:
 * {@code <group>,<group>,...:<key>=<value>}: the groups that require the header {@code key} with
 * {@code value}. Prints with its value redacted.
 */
public record Restriction(Set<ApiGroup> groups, Credential credential) {
  public Restriction {
    if (groups.isEmpty()) {
      throw new IllegalArgumentException("a restriction names at least one API group");
    }
    if (groups.contains(ApiGroup.METRICS)) {
      throw new IllegalArgumentException("the metrics port is restricted with --metrics-restricted-api");
    }
    groups = Collections.unmodifiableSet(EnumSet.copyOf(groups));
    java.util.Objects.requireNonNull(credential, "credential");
  }

  /**
   * Parses {@code <groups>:<key>=<value>}.
   *
   * @param what names the setting in errors, for example {@code --http-restricted-api}
   * @throws IllegalArgumentException naming the setting and what is wrong, never quoting the value
   */
  public static Restriction parse(String spec, String what) {
    int colon = spec.indexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException(what + " must be <group>,<group>,...:<key>=<value>, got no ':'");
    }
    Set<ApiGroup> groups = EnumSet.noneOf(ApiGroup.class);
    for (String name : spec.substring(0, colon).split(",")) {
      if (name.isBlank()) {
        continue;
      }
      ApiGroup group;
      try {
        group = ApiGroup.parse(name);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(what + ": " + e.getMessage());
      }
      if (!groups.add(group)) {
        throw new IllegalArgumentException(what + ": group '" + group.label() + "' is named twice");
      }
    }
    if (groups.isEmpty()) {
      throw new IllegalArgumentException(what + " names no API group before ':'");
    }
    return new Restriction(groups, Credential.parse(spec.substring(colon + 1), what));
  }

  /** {@code model-repository,statistics:<key>=<redacted>}. */
  @Override
  public String toString() {
    return groups.stream().map(ApiGroup::label).collect(Collectors.joining(",")) + ":" + credential;
  }
}
