package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpServer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The generator's client threads run on Netty's native transport where this build ships it. */
class ClientLanesTest {
  /** The build ships epoll's library for Linux on x86_64 only; elsewhere the lanes run on NIO. */
  private static final boolean NATIVE_HERE = System.getProperty("os.name").toLowerCase(Locale.ROOT).contains("linux")
      && List.of("amd64", "x86_64").contains(System.getProperty("os.arch"));

  @Test
  void lanesRunOnTheNativeTransportAndServeRequests() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "pong".getBytes(StandardCharsets.US_ASCII);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try (ClientLanes lanes = ClientLanes.start(2, new HttpClientOptions(), i -> new PoolOptions(), new CpuMeter())) {
      assertEquals(NATIVE_HERE, lanes.nativeTransport());
      ClientLanes.Lane lane = lanes.first();
      String answer = ClientLanes.await(lane, () -> lane.client()
          .request(HttpMethod.GET, server.getAddress().getPort(), "127.0.0.1", "/ping")
          .compose(request -> request.send())
          .compose(response -> response.body())
          .map(body -> body.toString(StandardCharsets.US_ASCII)), "GET /ping");
      assertEquals("pong", answer);
    } finally {
      server.stop(0);
    }
  }
}
