package dev.neutrino.gateway.tls;

import dev.neutrino.gateway.GatewayConfig.TlsSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * Keeps the listeners' certificates in step with their PEM files: {@link #checkAndReload()} compares
 * each file's modification time and size with those of the files last read, and when one differs
 * reads them all again and hands the new certificate to every server ({@code
 * HttpServer.updateSSLOptions}). Connections already open keep the certificate they were made with;
 * new ones get the new one. Files that cannot be read or do not form a valid certificate and key leave
 * the previous certificate in service, with a warning; the next change is tried again.
 *
 * <p>{@link #start} runs the check periodically on a worker thread. Thread-safe: checks are serialised.
 */
public final class CertificateReloader {
  private static final System.Logger LOG = System.getLogger(CertificateReloader.class.getName());

  private record Stamp(Path file, FileTime modified, long size) {}

  private final TlsSettings settings;
  private final Supplier<List<HttpServer>> servers;
  /** Guarded by {@code this}: the files as they were when last read. */
  private List<Stamp> loaded;
  /** Guarded by {@code this}. */
  private ServerTls current;
  private volatile Vertx vertx;
  private volatile long timer = -1;

  private CertificateReloader(TlsSettings settings, Supplier<List<HttpServer>> servers) {
    this.settings = settings;
    this.servers = servers;
  }

  /**
   * Reads the files {@code settings} names.
   *
   * @param servers the servers a reload updates, asked at each reload (they may not exist yet now)
   * @throws UncheckedIOException naming a file that cannot be read
   */
  public static CertificateReloader create(TlsSettings settings, Supplier<List<HttpServer>> servers) {
    CertificateReloader reloader = new CertificateReloader(settings, servers);
    synchronized (reloader) {
      reloader.loaded = reloader.stamps(); // before reading: a change while reading is seen by the next check
      reloader.current = ServerTls.read(settings);
    }
    return reloader;
  }

  /** The certificate read last; the one new connections get once a reload has completed. */
  public synchronized ServerTls current() {
    return current;
  }

  /**
   * Checks the files once and, when one has changed, reloads the certificate into every server. Reads
   * the files on the calling thread.
   *
   * @return completes with true when the servers now serve a certificate read by this call, false
   *     when nothing changed or the new files were refused (the previous certificate stays)
   */
  public synchronized Future<Boolean> checkAndReload() {
    List<Stamp> now = stamps();
    if (now.equals(loaded)) {
      return Future.succeededFuture(false);
    }
    loaded = now;
    ServerTls fresh;
    try {
      fresh = ServerTls.read(settings);
    } catch (UncheckedIOException e) {
      LOG.log(System.Logger.Level.WARNING, "TLS files changed but cannot be read; keeping the previous certificate: "
          + e.getMessage());
      return Future.succeededFuture(false);
    }
    ServerSSLOptions options = fresh.sslOptions();
    List<Future<Boolean>> updates = new ArrayList<>();
    for (HttpServer server : servers.get()) {
      updates.add(server.updateSSLOptions(options));
    }
    return Future.all(updates).map(all -> {
      synchronized (this) {
        current = fresh;
      }
      LOG.log(System.Logger.Level.INFO, "TLS certificate reloaded from " + settings.certFile() + " into "
          + updates.size() + " listeners");
      return true;
    }).recover(error -> {
      LOG.log(System.Logger.Level.WARNING, "TLS files changed but were refused; keeping the previous certificate: "
          + error.getMessage());
      return Future.succeededFuture(false);
    });
  }

  /** Runs {@link #checkAndReload()} every {@code interval} on a worker thread of {@code vertx} until {@link #stop()}. */
  public void start(Vertx vertx, Duration interval) {
    this.vertx = vertx;
    timer = vertx.setPeriodic(interval.toMillis(), id -> vertx.executeBlocking(this::checkAndReload, false)
        .compose(reload -> reload)
        .onFailure(error -> LOG.log(System.Logger.Level.WARNING, "checking the TLS files failed: " + error)));
  }

  /** Stops the periodic check. */
  public void stop() {
    Vertx v = vertx;
    if (v != null && timer >= 0) {
      v.cancelTimer(timer);
    }
  }

  private List<Stamp> stamps() {
    List<Stamp> stamps = new ArrayList<>(3);
    stamps.add(stamp(settings.certFile()));
    stamps.add(stamp(settings.keyFile()));
    if (settings.mutual()) {
      stamps.add(stamp(settings.clientCaFile()));
    }
    return stamps;
  }

  private static Stamp stamp(Path file) {
    try {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return new Stamp(file, attributes.lastModifiedTime(), attributes.size());
    } catch (NoSuchFileException e) {
      return new Stamp(file, null, -1); // being replaced; the read that follows a change reports it
    } catch (IOException e) {
      return new Stamp(file, null, -2);
    }
  }
}
