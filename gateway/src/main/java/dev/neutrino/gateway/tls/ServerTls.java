package dev.neutrino.gateway.tls;

import dev.neutrino.gateway.GatewayConfig.TlsSettings;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The TLS a listener serves: the certificate chain, its key and (for mutual TLS) the CAs whose client
 * certificates are accepted, read from their PEM files into memory. Immutable; a new one is read when
 * the files change (see {@link CertificateReloader}).
 *
 * <p>The files' contents, not their paths, go into the options: Vert.x then compares what is served
 * with what was read, and a reload applies exactly the bytes that were checked.
 */
public final class ServerTls {
  private final Buffer cert;
  private final Buffer key;
  private final Buffer clientCa;

  private ServerTls(Buffer cert, Buffer key, Buffer clientCa) {
    this.cert = cert;
    this.key = key;
    this.clientCa = clientCa;
  }

  /**
   * Reads the files {@code settings} names.
   *
   * @throws UncheckedIOException naming the file that cannot be read
   * @throws IllegalArgumentException when TLS is off in {@code settings}
   */
  public static ServerTls read(TlsSettings settings) {
    if (!settings.enabled()) {
      throw new IllegalArgumentException("TLS is off: no certificate file");
    }
    return new ServerTls(read(settings.certFile(), "tls_cert_file"), read(settings.keyFile(), "tls_key_file"),
        settings.mutual() ? read(settings.clientCaFile(), "tls_client_ca_file") : null);
  }

  private static Buffer read(Path file, String key) {
    try {
      return Buffer.buffer(Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + key + " " + file + ": " + e, e);
    }
  }

  /** Whether clients must present a certificate. */
  public boolean mutual() {
    return clientCa != null;
  }

  /** The options {@code HttpServer.updateSSLOptions} takes. */
  public ServerSSLOptions sslOptions() {
    ServerSSLOptions options = new ServerSSLOptions()
        .setKeyCertOptions(keyCert())
        .setUseAlpn(true)
        .setClientAuth(mutual() ? ClientAuth.REQUIRED : ClientAuth.NONE);
    if (mutual()) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(clientCa));
    }
    return options;
  }

  /**
   * Turns TLS on in {@code options}: this certificate, ALPN (so HTTP/2 is negotiated, as gRPC clients
   * require) and, for mutual TLS, required client certificates.
   */
  public HttpServerOptions applyTo(HttpServerOptions options) {
    options.setSsl(true)
        .setUseAlpn(true)
        .setKeyCertOptions(keyCert())
        .setClientAuth(mutual() ? ClientAuth.REQUIRED : ClientAuth.NONE);
    if (mutual()) {
      options.setTrustOptions(new PemTrustOptions().addCertValue(clientCa));
    }
    return options;
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertValue(cert).setKeyValue(key);
  }
}
