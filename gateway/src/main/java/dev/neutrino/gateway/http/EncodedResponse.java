package dev.neutrino.gateway.http;

import io.vertx.core.buffer.Buffer;
import java.util.Objects;

/**
 * An encoded inference response, ready to write.
 *
 * @param body the JSON header, followed by the binary outputs' bytes when there are any
 * @param headerLength the JSON part's length in bytes, the value of the response's
 *     {@code Inference-Header-Content-Length} header, when some output is binary; -1 when the body is
 *     plain {@code application/json}
 */
record EncodedResponse(Buffer body, int headerLength) {

  EncodedResponse {
    Objects.requireNonNull(body, "body");
  }

  /** Whether the body carries binary output data after its JSON header. */
  boolean hasBinaryData() {
    return headerLength >= 0;
  }
}
