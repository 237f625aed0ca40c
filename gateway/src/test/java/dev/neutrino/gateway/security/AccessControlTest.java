package dev.neutrino.gateway.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.InferenceException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The access decision as a pure function of the group, the request's headers and its peer. */
class AccessControlTest {
  private static final InetAddress LOOPBACK = address("127.0.0.1");
  private static final InetAddress REMOTE = address("10.1.2.3");
  private static final Function<String, String> NO_HEADERS = name -> null;

  private static InetAddress address(String literal) {
    InetAddress address = AccessControl.literal(literal);
    if (address == null) {
      throw new IllegalArgumentException(literal);
    }
    return address;
  }

  private static Function<String, String> headers(Map<String, String> values) {
    return values::get;
  }

  private static AccessSettings restricted(String... httpSpecs) {
    return new AccessSettings(
        java.util.Arrays.stream(httpSpecs).map(s -> Restriction.parse(s, "--http-restricted-api")).toList(),
        java.util.Arrays.stream(httpSpecs).map(s -> Restriction.parse(s, "--grpc-restricted-protocol")).toList(),
        List.of(), null);
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "[::1]", "0:0:0:0:0:0:0:1"})
  void loopbackPeersAreTrusted(String literal) {
    assertTrue(AccessControl.isLoopback(address(literal)), literal);
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "192.168.1.20", "172.17.0.2", "0.0.0.0", "128.0.0.1", "::2", "fe80::1",
      "2001:db8::1", "::ffff:10.0.0.1"})
  void otherPeersAreNot(String literal) {
    assertFalse(AccessControl.isLoopback(address(literal)), literal);
  }

  @Test
  void ipv4MappedLoopbackIsLoopbackAndUnknownPeersAreNot() throws Exception {
    byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 127, 0, 0, 9};
    assertTrue(AccessControl.isLoopback(Inet6Address.getByAddress(null, mapped, -1)));
    assertFalse(AccessControl.isLoopback(null));
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "example.com", "abc", "", "1.2.3", "127.0.0.1.evil"})
  void namesAreNeverLookedUp(String text) {
    assertNull(AccessControl.literal(text), text);
  }

  @Test
  void repositoryWithoutKeyAcceptsOnlyLoopbackAndNamesTheFlag() {
    AccessControl http = AccessControl.http(AccessSettings.DEFAULTS);
    assertNull(http.check(ApiGroup.MODEL_REPOSITORY, NO_HEADERS, LOOPBACK));
    assertNull(http.check(ApiGroup.MODEL_REPOSITORY, NO_HEADERS, address("::1")));
    InferenceException refused = http.check(ApiGroup.MODEL_REPOSITORY, NO_HEADERS, REMOTE);
    assertInstanceOf(InferenceException.Forbidden.class, refused);
    assertTrue(refused.getMessage().contains("--http-restricted-api model-repository:"), refused.getMessage());
    InferenceException unknownPeer = http.check(ApiGroup.MODEL_REPOSITORY, NO_HEADERS, (InetAddress) null);
    assertInstanceOf(InferenceException.Forbidden.class, unknownPeer);

    InferenceException grpc = AccessControl.grpc(AccessSettings.DEFAULTS)
        .check(ApiGroup.MODEL_REPOSITORY, NO_HEADERS, REMOTE);
    assertTrue(grpc.getMessage().contains("--grpc-restricted-protocol model-repository:"), grpc.getMessage());
    // Only the repository is closed by default.
    for (ApiGroup group : ApiGroup.values()) {
      if (group != ApiGroup.MODEL_REPOSITORY) {
        assertNull(http.check(group, NO_HEADERS, REMOTE), group.label());
      }
    }
    assertEquals(2, http.refusals(ApiGroup.MODEL_REPOSITORY));
    assertEquals(0, http.refusals(ApiGroup.INFERENCE));
  }

  @Test
  void repositoryWithKeyAcceptsAnyPeerThatSendsIt() {
    AccessControl http = AccessControl.http(restricted("model-repository:admin-key=s3cret"));
    assertNull(http.check(ApiGroup.MODEL_REPOSITORY, headers(Map.of("admin-key", "s3cret")), REMOTE));
    assertInstanceOf(InferenceException.Unauthenticated.class,
        http.check(ApiGroup.MODEL_REPOSITORY, NO_HEADERS, LOOPBACK), "a key, once set, is needed from loopback too");
  }

  @Test
  void missingKeyIsUnauthenticatedWrongKeyForbiddenAndNeitherEchoesTheSecret() {
    AccessControl http = AccessControl.http(restricted("inference,model-config:Infer-Key=s3cret=with:colon"));
    InferenceException missing = http.check(ApiGroup.INFERENCE, NO_HEADERS, LOOPBACK);
    assertInstanceOf(InferenceException.Unauthenticated.class, missing);
    assertTrue(missing.getMessage().contains("'infer-key'") && missing.getMessage().contains("inference"),
        missing.getMessage());
    InferenceException wrong = http.check(ApiGroup.MODEL_CONFIG, headers(Map.of("infer-key", "s3cre")), LOOPBACK);
    assertInstanceOf(InferenceException.Forbidden.class, wrong);
    assertFalse(wrong.getMessage().contains("s3cre"), wrong.getMessage());
    assertFalse(missing.getMessage().contains("s3cret"), missing.getMessage());
    assertNull(http.check(ApiGroup.INFERENCE, headers(Map.of("infer-key", "s3cret=with:colon")), REMOTE));
    assertNull(http.check(ApiGroup.HEALTH, NO_HEADERS, REMOTE), "health is not restricted");
    assertEquals(1, http.refusals(ApiGroup.INFERENCE));
    assertEquals(1, http.refusals(ApiGroup.MODEL_CONFIG));
  }

  @Test
  void grpcLooksForTheTritonPrefixedMetadataKey() {
    AccessControl grpc = AccessControl.grpc(restricted("inference:k=v"));
    assertInstanceOf(InferenceException.Unauthenticated.class,
        grpc.check(ApiGroup.INFERENCE, headers(Map.of("k", "v")), LOOPBACK));
    assertNull(grpc.check(ApiGroup.INFERENCE, headers(Map.of("triton-grpc-protocol-k", "v")), LOOPBACK));
  }

  @Test
  void browserOriginsAreRefusedOnTheRepositoryUnlessAllowed() {
    AccessControl open = AccessControl.http(AccessSettings.DEFAULTS);
    InferenceException refused = open.check(ApiGroup.MODEL_REPOSITORY,
        headers(Map.of("origin", "http://evil.example")), LOOPBACK);
    assertInstanceOf(InferenceException.Forbidden.class, refused);
    assertTrue(refused.getMessage().contains("--repository-allowed-origins"), refused.getMessage());
    assertNull(open.check(ApiGroup.INFERENCE, headers(Map.of("origin", "http://evil.example")), LOOPBACK),
        "only the repository API refuses origins");

    AccessControl allowing = AccessControl.http(new AccessSettings(
        List.of(Restriction.parse("model-repository:k=v", "--http-restricted-api")), List.of(),
        List.of("https://console.example"), null));
    Map<String, String> allowed = Map.of("origin", "https://console.example", "k", "v");
    assertNull(allowing.check(ApiGroup.MODEL_REPOSITORY, headers(allowed), REMOTE));
    Map<String, String> other = Map.of("origin", "https://console.example.evil", "k", "v");
    assertInstanceOf(InferenceException.Forbidden.class,
        allowing.check(ApiGroup.MODEL_REPOSITORY, headers(other), REMOTE), "exact match only");
  }

  @Test
  void onlyTheRepositoryAndRestrictedGroupsAreGuarded() {
    AccessControl http = AccessControl.http(restricted("inference:k=v"));
    for (ApiGroup group : ApiGroup.values()) {
      boolean expected = group == ApiGroup.MODEL_REPOSITORY || group == ApiGroup.INFERENCE;
      assertEquals(expected, http.guards(group), group.label());
    }
    assertFalse(AccessControl.metrics(AccessSettings.DEFAULTS).guards(ApiGroup.METRICS));
  }

  @Test
  void thePeerIsAskedForOnlyWhenARuleNeedsIt() {
    AccessControl http = AccessControl.http(restricted("inference:k=v"));
    java.util.function.Supplier<InetAddress> never = () -> {
      throw new AssertionError("the peer was not needed");
    };
    assertNull(http.check(ApiGroup.INFERENCE, headers(Map.of("k", "v")), never));
    assertNull(http.check(ApiGroup.HEALTH, NO_HEADERS, never));
  }

  @Test
  void metricsNeedTheirOwnKeyWhenSet() {
    AccessControl none = AccessControl.metrics(AccessSettings.DEFAULTS);
    assertNull(none.check(ApiGroup.METRICS, NO_HEADERS, REMOTE));
    AccessControl keyed = AccessControl.metrics(new AccessSettings(List.of(), List.of(), List.of(),
        Credential.parse("scrape=token", "--metrics-restricted-api")));
    assertInstanceOf(InferenceException.Unauthenticated.class, keyed.check(ApiGroup.METRICS, NO_HEADERS, LOOPBACK));
    assertNull(keyed.check(ApiGroup.METRICS, headers(Map.of("scrape", "token")), REMOTE));
  }
}
