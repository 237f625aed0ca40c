package dev.neutrino.loadtest;

import java.io.IOException;

/**
 * Creates the client of a protocol: gRPC on Vert.x's HTTP/2 client; HTTP/1.1 on the generator's own
 * Netty client unless the settings ask for Vert.x's; HTTP/2 on Vert.x's.
 */
final class InferenceClients {
  private InferenceClients() {}

  /**
   * Connects to the server, reads the model's metadata and prepares the requests.
   *
   * @throws IllegalArgumentException when the URL and the protocol do not go together
   * @throws IOException when the server cannot be reached or refuses the prepared request
   */
  static InferenceClient connect(Endpoint endpoint, ClientSettings settings, CpuMeter meter) throws IOException {
    if (settings.protocol() == Protocol.GRPC) {
      if (!endpoint.isGrpc()) {
        throw new IllegalArgumentException("--protocol grpc needs a grpc://host:port URL, got " + endpoint);
      }
      return GrpcInferenceClient.connect(endpoint, settings, meter);
    }
    if (endpoint.isGrpc()) {
      throw new IllegalArgumentException("--url " + endpoint + " speaks gRPC: use --protocol grpc");
    }
    return settings.http() == ClientSettings.Http.HTTP1 ? Http1InferenceClient.connect(endpoint, settings, meter)
        : HttpInferenceClient.connect(endpoint, settings, meter);
  }
}
