package dev.neutrino.gateway.http;

import dev.neutrino.batching.InferenceRequest;
import java.util.Map;
import java.util.Objects;

/**
 * An HTTP inference request as decoded by {@link HttpInferenceCodec#decode}: the protocol-neutral
 * request, and how the client wants its outputs encoded.
 *
 * @param request the request, its input tensors in little-endian buffers it owns or views of the body
 * @param encoding which outputs go back as binary data
 */
record DecodedInference(InferenceRequest request, OutputEncoding encoding) {

  DecodedInference {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(encoding, "encoding");
  }

  /**
   * Which outputs the response carries as binary data (Triton's binary tensor data extension).
   *
   * <p>An output named in the request with a {@code binary_data} parameter follows that parameter;
   * every other output follows the request's {@code binary_data_output} parameter (false when
   * absent). Triton itself returns an output listed without {@code binary_data} as JSON even when
   * {@code binary_data_output} is true; here {@code binary_data_output} ("all outputs binary") wins
   * unless the output says otherwise.
   *
   * @param binaryDataOutput the request's {@code binary_data_output} parameter
   * @param binaryData the {@code binary_data} parameter of each requested output that has one
   */
  record OutputEncoding(boolean binaryDataOutput, Map<String, Boolean> binaryData) {
    /** Every output as JSON: what a request without binary parameters asks for. */
    static final OutputEncoding JSON = new OutputEncoding(false, Map.of());

    OutputEncoding {
      binaryData = Map.copyOf(binaryData);
    }

    /** Whether the output of this name is to be sent as binary data. */
    boolean binary(String outputName) {
      Boolean explicit = binaryData.get(outputName);
      return explicit != null ? explicit : binaryDataOutput;
    }
  }
}
