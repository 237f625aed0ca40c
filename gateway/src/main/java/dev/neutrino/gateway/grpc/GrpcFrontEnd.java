package dev.neutrino.gateway.grpc;

import dev.neutrino.gateway.FrontEndContext;
import dev.neutrino.gateway.FrontEndOptions;
import dev.neutrino.gateway.ServerDeployment;
import dev.neutrino.gateway.edge.Edge;
import dev.neutrino.gateway.generate.GenerationModels;
import dev.neutrino.gateway.logging.AccessLog;
import dev.neutrino.gateway.metrics.GatewayMetrics;
import dev.neutrino.gateway.security.AccessControl;
import dev.neutrino.gateway.tls.ServerTls;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcProtocol;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC side of the Open Inference Protocol: {@code inference.GRPCInferenceService} over HTTP/2
 * (cleartext, prior knowledge, as gRPC clients speak it without TLS; or TLS with ALPN), served by
 * Vert.x gRPC.
 *
 * <p>Handlers run on the event loop of their connection and never block it (see
 * {@link InferenceService}). A request message larger than {@link FrontEndOptions#maxRequestBytes()} is
 * refused with RESOURCE_EXHAUSTED as soon as its length prefix is read; the rest of it is skipped,
 * not buffered (an inference message is counted first, under the model it names: see
 * {@link OversizedMessageProbe}). Only the binary protobuf wire format over HTTP/2 is served:
 * gRPC-Web and JSON transcoding are off. Every call is checked once by {@link GrpcAccess} before it
 * is dispatched to its method.
 */
public final class GrpcFrontEnd {
  /** Per-call HTTP/2 flow-control window: large tensors need not wait for a window update every 64 KiB. */
  static final int STREAM_WINDOW_BYTES = 1024 * 1024;
  /** Flow-control window of a whole connection. */
  static final int CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
  /**
   * Stream resets one connection may carry per {@link #RST_FLOOD_WINDOW_SECONDS} before it is closed
   * as a reset flood (CVE-2023-44487). A gRPC client resets a call whenever it cancels it or its
   * deadline passes, so a busy client with tight deadlines resets far more than Vert.x's default of
   * 200 per 30 s allows; one connection carries every call of a grpc-java channel, and closing it would
   * fail them all.
   */
  static final int RST_FLOOD_MAX_PER_WINDOW = 10_000;
  static final int RST_FLOOD_WINDOW_SECONDS = 30;

  private final FrontEndOptions options;
  private final GrpcServer server;
  private final GatewayMetrics metrics;
  private final AccessLog accessLog;
  private final ServerDeployment servers;
  private final GrpcAccess access;
  private final Edge edge;

  private GrpcFrontEnd(Vertx vertx, FrontEndOptions options, GrpcServer server, GatewayMetrics metrics,
      AccessLog accessLog, AccessControl access, Edge edge) {
    this.servers = new ServerDeployment(vertx);
    this.access = new GrpcAccess(access, accessLog);
    this.edge = edge;
    this.options = options;
    this.server = server;
    this.metrics = metrics;
    this.accessLog = accessLog;
  }

  /**
   * @param access who may call which method ({@code --grpc-restricted-protocol})
   * @param generation the generation engines, shared with HTTP, that {@code ModelStreamInfer} streams from
   */
  public static GrpcFrontEnd create(FrontEndContext context, AccessControl access, GenerationModels generation) {
    Vertx vertx = context.vertx();
    FrontEndOptions options = context.options();
    GrpcServerOptions serverOptions = new GrpcServerOptions()
        .setMaxMessageSize(options.maxRequestBytes())
        .removeEnabledProtocol(GrpcProtocol.WEB)
        .removeEnabledProtocol(GrpcProtocol.WEB_TEXT)
        .removeEnabledProtocol(GrpcProtocol.TRANSCODING);
    GrpcServer server = GrpcServer.server(vertx, serverOptions);
    new InferenceService(vertx, context.repository(), context.serverReady(), context.serverVersion(),
        context.extensions(), context.metrics(), context.accessLog(), options.maxRequestBytes(), generation,
        context.admission(), context.calls()).bind(server);
    return new GrpcFrontEnd(vertx, options, server, context.metrics(), context.accessLog(), access, context.edge());
  }

  /**
   * Binds {@code instances} HTTP/2 servers, one per event loop, to one port ({@code port} 0 picks a
   * free one), as instances of one verticle so that Vert.x shares the socket among them. They share
   * the one {@link GrpcServer}, whose method table is not changed after {@link #create}.
   *
   * @param tls the certificate to serve gRPC over TLS with (HTTP/2 negotiated by ALPN); null serves
   *     cleartext HTTP/2
   * @return the port bound
   */
  public Future<Integer> listen(String host, int port, int instances, ServerTls tls) {
    HttpServerOptions serverOptions = ServerDeployment.serverOptions(host, port, options, edge.limits(), tls)
        .setHttp2ConnectionWindowSize(CONNECTION_WINDOW_BYTES)
        .setHttp2RstFloodMaxRstFramePerWindow(RST_FLOOD_MAX_PER_WINDOW)
        .setHttp2RstFloodWindowDuration(RST_FLOOD_WINDOW_SECONDS)
        .setHttp2RstFloodWindowDurationTimeUnit(TimeUnit.SECONDS);
    serverOptions.getInitialSettings().setInitialWindowSize(STREAM_WINDOW_BYTES);
    // Every call is checked once by GrpcAccess; its messages are held in the body budget as they arrive
    // (GrpcIntake); inference calls also pass through OversizedMessageProbe, so that a message Vert.x
    // refuses for its size is counted under the model it names.
    long max = options.maxRequestBytes();
    return servers.listen(serverOptions, request -> {
      if (!access.refuse(request)) {
        server.handle(OversizedMessageProbe.wrap(GrpcIntake.wrap(request, edge.bodies(), edge.refusals(), max), max,
            metrics, accessLog));
      }
    }, edge.connections().connectionHandler(), instances);
  }

  /** The listening servers: what a drain shuts down and a certificate reload updates. */
  public ServerDeployment deployment() {
    return servers;
  }

  /** Stops accepting connections. */
  public Future<Void> close() {
    return servers.close();
  }
}
