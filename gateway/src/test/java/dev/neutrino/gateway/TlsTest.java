package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.GatewayConfig.TlsSettings;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.runtime.testing.TestBackend;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on every listener from PEM files made in the test: the JDK HttpClient and grpc-java over TLS,
 * mutual TLS, and certificates reloaded when their files change.
 */
class TlsTest {
  @TempDir
  Path dir;
  private final TestCertificates.Issued ca = TestCertificates.authority("test-ca");
  private final TestCertificates.Issued otherCa = TestCertificates.authority("other-ca");
  private final TestCertificates.Issued first = TestCertificates.server("first", ca);
  private Path certFile;
  private Path keyFile;
  private Path caFile;
  private Gateway gateway;

  @BeforeEach
  void writeFiles() throws IOException {
    certFile = dir.resolve("server.pem");
    keyFile = dir.resolve("server.key");
    caFile = dir.resolve("ca.pem");
    TestCertificates.write(first, certFile, keyFile);
    TestCertificates.writeCertificates(caFile, ca.cert());
    Files.createDirectories(dir.resolve("repo"));
  }

  @AfterEach
  void stop() {
    TestGateways.stop(gateway);
  }

  private Gateway start(TlsSettings tls) {
    GatewayConfig config = GatewayConfig.defaults().withModelRepository(dir.resolve("repo")).withTls(tls);
    return TestGateways.start(config, new TestBackend());
  }

  @Test
  void servesHttpsGrpcAndMetricsOverTls() throws Exception {
    gateway = start(new TlsSettings(certFile, keyFile, null, true, 60));
    HttpClient client = HttpClient.newBuilder().sslContext(TestCertificates.clientContext(List.of(ca.cert()), null))
        .build();
    HttpResponse<String> ready = client.send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + gateway.httpPort() + "/v2/health/ready")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, ready.statusCode());
    assertEquals(HttpClient.Version.HTTP_2, ready.version(), "HTTP/2 negotiated by ALPN");
    HttpResponse<String> metrics = client.send(HttpRequest.newBuilder(
        URI.create("https://127.0.0.1:" + gateway.metricsPort() + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, metrics.statusCode());
    assertTrue(metrics.body().contains("neutrino_"), metrics.body());
    assertTrue(serverLive(TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build()));
    // Cleartext is not served on a TLS port.
    StatusRuntimeException plain = assertThrows(StatusRuntimeException.class,
        () -> serverLive(InsecureChannelCredentials.create()));
    assertEquals(Status.Code.UNAVAILABLE, plain.getStatus().getCode());
  }

  @Test
  void mutualTlsAcceptsClientsWithACertificateAndRefusesOthers() throws Exception {
    gateway = start(new TlsSettings(certFile, keyFile, caFile, false, 60));
    TestCertificates.Issued client = TestCertificates.client("client", ca);
    Path clientCert = dir.resolve("client.pem");
    Path clientKey = dir.resolve("client.key");
    TestCertificates.write(client, clientCert, clientKey);

    assertTrue(serverLive(TlsChannelCredentials.newBuilder().trustManager(caFile.toFile())
        .keyManager(clientCert.toFile(), clientKey.toFile()).build()));
    StatusRuntimeException anonymous = assertThrows(StatusRuntimeException.class,
        () -> serverLive(TlsChannelCredentials.newBuilder().trustManager(caFile.toFile()).build()));
    assertEquals(Status.Code.UNAVAILABLE, anonymous.getStatus().getCode());
    // A certificate from a CA the gateway does not trust is refused as well.
    TestCertificates.Issued stranger = TestCertificates.client("stranger", otherCa);
    Path strangerCert = dir.resolve("stranger.pem");
    Path strangerKey = dir.resolve("stranger.key");
    TestCertificates.write(stranger, strangerCert, strangerKey);
    assertThrows(StatusRuntimeException.class, () -> serverLive(TlsChannelCredentials.newBuilder()
        .trustManager(caFile.toFile()).keyManager(strangerCert.toFile(), strangerKey.toFile()).build()));

    URI ready = URI.create("https://127.0.0.1:" + gateway.httpPort() + "/v2/health/ready");
    HttpClient withCert = HttpClient.newBuilder()
        .sslContext(TestCertificates.clientContext(List.of(ca.cert()), client)).build();
    assertEquals(200, withCert.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
        .statusCode());
    HttpClient withoutCert = HttpClient.newBuilder()
        .sslContext(TestCertificates.clientContext(List.of(ca.cert()), null)).build();
    // Bounded: under TLS 1.3 the refusal comes after the client's side of the handshake, and the JDK's
    // client once waited on such a connection for good (one CI run in six); a timeout is an IOException too.
    assertThrows(IOException.class, () -> withoutCert.send(
        HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()));
  }

  @Test
  void reloadsChangedFilesForNewConnections() throws Exception {
    gateway = start(new TlsSettings(certFile, keyFile, null, false, 3600));
    assertEquals(first.subject(), servedSubject(gateway.httpPort()));
    assertFalse(reload(), "nothing changed");

    TestCertificates.Issued second = TestCertificates.server("second", otherCa);
    replaceFiles(second);
    assertTrue(reload());
    assertEquals(second.subject(), servedSubject(gateway.httpPort()));
    assertEquals(second.subject(), servedSubject(gateway.grpcPort()));
    assertTrue(serverLive(TlsChannelCredentials.newBuilder().trustManager(writeCa(otherCa)).build()));
  }

  @Test
  void keepsTheCertificateWhenTheNewFilesAreBroken() throws Exception {
    gateway = start(new TlsSettings(certFile, keyFile, null, false, 3600));
    Files.writeString(certFile, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
    Files.setLastModifiedTime(certFile, FileTime.from(Instant.now().plusSeconds(5)));
    assertFalse(reload());
    assertEquals(first.subject(), servedSubject(gateway.httpPort()));
    Files.delete(keyFile);
    assertFalse(reload());
    assertEquals(first.subject(), servedSubject(gateway.grpcPort()));
  }

  @Test
  void thePeriodicCheckReloadsWithoutBeingCalled() throws Exception {
    gateway = start(new TlsSettings(certFile, keyFile, null, false, 1));
    TestCertificates.Issued second = TestCertificates.server("second", otherCa);
    replaceFiles(second);
    // Bounded wait for the gateway's own timer: the test never calls checkAndReload itself.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    String served = servedSubject(gateway.httpPort());
    while (!served.equals(second.subject()) && System.nanoTime() < deadline) {
      Thread.sleep(50);
      served = servedSubject(gateway.httpPort());
    }
    assertEquals(second.subject(), served);
  }

  @Test
  void aMissingFileFailsTheStartNamingIt() {
    GatewayConfig config = TestGateways.freePorts(GatewayConfig.defaults().withModelRepository(dir.resolve("repo"))
        .withTls(new TlsSettings(dir.resolve("absent.pem"), keyFile, null, false, 60)));
    Exception failure = assertThrows(Exception.class, () -> Gateway.create(config, new TestBackend()).start()
        .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS));
    assertTrue(failure.getMessage().contains("tls_cert_file") && failure.getMessage().contains("absent.pem"),
        failure.getMessage());
  }

  @Test
  void settingsAreCheckedTogether() throws Exception {
    String alone = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--tls-cert-file", "a.pem"})).getMessage();
    assertTrue(alone.contains("tls_key_file"), alone);
    String ca = assertThrows(IllegalArgumentException.class,
        () -> GatewayConfig.fromArgs(new String[] {"--tls-client-ca-file", "ca.pem"})).getMessage();
    assertTrue(ca.contains("tls_client_ca_file"), ca);
    GatewayConfig config = GatewayConfig.fromArgs(new String[] {"--tls-cert-file", "c.pem", "--tls-key-file",
        "k.pem", "--tls-client-ca-file", "ca.pem", "--tls-metrics", "--tls-reload-secs", "7"});
    assertEquals(new TlsSettings(Path.of("c.pem"), Path.of("k.pem"), Path.of("ca.pem"), true, 7), config.tls());
  }

  private boolean reload() throws Exception {
    return gateway.certificates().checkAndReload().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Writes {@code next} over the files, with a later modification time than the files it replaces. */
  private void replaceFiles(TestCertificates.Issued next) throws IOException {
    FileTime later = FileTime.from(Files.getLastModifiedTime(certFile).toInstant().plusSeconds(5));
    TestCertificates.write(next, certFile, keyFile);
    Files.setLastModifiedTime(certFile, later);
    Files.setLastModifiedTime(keyFile, later);
  }

  private java.io.File writeCa(TestCertificates.Issued authority) throws IOException {
    Path file = dir.resolve(authority.subject().replace('=', '_') + ".pem");
    TestCertificates.writeCertificates(file, authority.cert());
    return file.toFile();
  }

  /** The subject of the certificate a new TLS connection to {@code port} is served. */
  private String servedSubject(int port) throws IOException {
    SSLContext context = TestCertificates.clientContext(List.of(ca.cert(), otherCa.cert()), null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
      socket.setSoTimeout(30_000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    }
  }

  private boolean serverLive(ChannelCredentials credentials) throws InterruptedException {
    ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", gateway.grpcPort(), credentials).build();
    try {
      return GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .serverLive(ServerLiveRequest.getDefaultInstance()).getLive();
    } finally {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }
}
