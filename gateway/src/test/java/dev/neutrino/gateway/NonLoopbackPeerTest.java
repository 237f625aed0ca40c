package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.RepositoryIndexRequest;
import dev.neutrino.gateway.grpc.proto.ServerReadyRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The repository API's default rule seen from a peer that is not loopback: the gateway binds this
 * machine's own non-loopback address, and the JDK HttpClient and grpc-java connect to it, so the
 * peer address the server sees is that address. Nothing leaves the machine.
 */
class NonLoopbackPeerTest {
  @TempDir Path dir;

  /** An IPv4 address of an interface that is up and not loopback, if this machine has one. */
  private static Optional<InetAddress> ownNonLoopbackAddress() throws SocketException {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address && !address.isLoopbackAddress() && !address.isLinkLocalAddress()) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }

  @Test
  void repositoryApiRefusesANonLoopbackPeerNamingTheFlagWhileInferenceServes() throws Exception {
    Optional<InetAddress> own = ownNonLoopbackAddress();
    assumeTrue(own.isPresent(), "this machine has no non-loopback IPv4 interface to bind");
    String host = own.get().getHostAddress();
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    Gateway gateway = TestGateways.start(GatewayConfig.fromArgs(new String[] {"--host", host,
        "--http-port", "0", "--grpc-port", "0", "--metrics-port", "0", "--model-repository", repo.toString(),
        "--model-control-mode", "explicit", "--load-model", "simple"}));
    try {
      String base = "http://" + host + ":" + gateway.httpPort();
      TestClient.Reply index = TestGateways.client(gateway).send(HttpRequest.newBuilder(
          URI.create(base + "/v2/repository/index")).POST(HttpRequest.BodyPublishers.noBody()).build());
      assertEquals(403, index.status(), new String(index.body()));
      assertTrue(index.error().contains("--http-restricted-api"), index.error());
      TestClient.Reply unload = TestGateways.client(gateway).send(HttpRequest.newBuilder(
          URI.create(base + "/v2/repository/models/simple/unload")).POST(HttpRequest.BodyPublishers.noBody()).build());
      assertEquals(403, unload.status());
      assertEquals(200, TestGateways.client(gateway).send(HttpRequest.newBuilder(
          URI.create(base + "/v2/models/simple/ready")).GET().build()).status(), "still loaded");

      ManagedChannel channel = Grpc.newChannelBuilderForAddress(host, gateway.grpcPort(),
          InsecureChannelCredentials.create()).build();
      try {
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub =
            GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
        assertTrue(stub.serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
            () -> stub.repositoryIndex(RepositoryIndexRequest.getDefaultInstance()));
        assertEquals(Status.Code.PERMISSION_DENIED, refused.getStatus().getCode(), String.valueOf(refused.getStatus()));
        assertTrue(refused.getStatus().getDescription().contains("--grpc-restricted-protocol"),
            refused.getStatus().getDescription());
      } finally {
        channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
      }
    } finally {
      TestGateways.stop(gateway);
    }
  }
}
