package dev.neutrino.loadtest;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * Where the server is: {@code http://host:port[/prefix]} or {@code grpc://host:port}.
 *
 * @param basePath the HTTP path prefix before {@code /v2}, without a trailing slash; empty for gRPC
 */
record Endpoint(String scheme, String host, int port, String basePath) {

  /**
   * @throws IllegalArgumentException for anything but an http or grpc URL with a host
   */
  public static Endpoint parse(String url) {
    URI uri;
    try {
      uri = new URI(url.contains("://") ? url : "http://" + url);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("invalid --url '" + url + "': " + e.getMessage());
    }
    String scheme = uri.getScheme() == null ? "http" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("grpc")) {
      throw new IllegalArgumentException("--url must start with http:// or grpc://, got '" + url + "'");
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("--url '" + url + "' has no host");
    }
    int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("grpc") ? 8001 : 8000;
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new Endpoint(scheme, uri.getHost(), port, path);
  }

  public static Endpoint http(String host, int port) {
    return new Endpoint("http", host, port, "");
  }

  public static Endpoint grpc(String host, int port) {
    return new Endpoint("grpc", host, port, "");
  }

  public boolean isGrpc() {
    return scheme.equals("grpc");
  }

  @Override
  public String toString() {
    return scheme + "://" + host + ":" + port + basePath;
  }
}
