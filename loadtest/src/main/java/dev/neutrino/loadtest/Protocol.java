package dev.neutrino.loadtest;

import java.util.Locale;

/** How the generator talks to a server: the Open Inference Protocol over HTTP (JSON or binary) or gRPC. */
enum Protocol {
  /** HTTP/REST, tensors as JSON arrays both ways. */
  HTTP_JSON("http-json"),
  /** HTTP/REST with Triton's binary tensor data extension both ways. */
  HTTP_BINARY("http-binary"),
  /** gRPC {@code GRPCInferenceService/ModelInfer} with {@code raw_input_contents}. */
  GRPC("grpc");

  private final String flagName;

  Protocol(String flagName) {
    this.flagName = flagName;
  }

  /** The name on the command line and in reports, for example {@code http-binary}. */
  public String flagName() {
    return flagName;
  }

  /**
   * @throws IllegalArgumentException listing the accepted names
   */
  public static Protocol parse(String name) {
    for (Protocol p : values()) {
      if (p.flagName.equals(name.toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown protocol '" + name + "': use http-json, http-binary or grpc");
  }
}
