package dev.neutrino.gateway.openai;

import dev.neutrino.runtime.InferenceException;
import io.vertx.core.buffer.Buffer;

/**
 * OpenAI's error body, {@code {"error": {"message", "type", "param", "code"}}}, for every answer
 * under {@code /v1} that is not a success: the status comes from the gateway's one HTTP mapping of
 * the {@link InferenceException} family, the {@code type} from the status, as OpenAI's API names them.
 *
 * @param status the HTTP status answered
 * @param message what went wrong, for the client
 * @param param the request field at fault, or null
 * @param code OpenAI's machine-readable code (for example {@code model_not_found}), or null
 */
public record OpenAiError(int status, String message, String param, String code) {
  public OpenAiError {
    message = message == null ? "" : message;
  }

  /** An error with no field or code. */
  public static OpenAiError of(int status, String message) {
    return new OpenAiError(status, message, null, null);
  }

  /**
   * The answer to a failed {@code /v1} request.
   *
   * @param status the status the gateway's HTTP mapping gave {@code failure}
   */
  public static OpenAiError of(int status, InferenceException failure) {
    String code = failure.kind() == InferenceException.Kind.NOT_FOUND ? "model_not_found" : null;
    String param = failure.kind() == InferenceException.Kind.NOT_FOUND ? "model" : null;
    return new OpenAiError(status, failure.getMessage(), param, code);
  }

  /** OpenAI's error type for a status. */
  public String type() {
    return switch (status) {
      case 401 -> "authentication_error";
      case 403 -> "permission_error";
      case 404 -> "not_found_error";
      case 429 -> "rate_limit_error";
      default -> status >= 500 ? "server_error" : "invalid_request_error";
    };
  }

  /** The JSON body. */
  public Buffer body() {
    return OpenAiJson.write(g -> {
      g.writeStartObject();
      g.writeObjectFieldStart("error");
      g.writeStringField("message", message);
      g.writeStringField("type", type());
      if (param == null) {
        g.writeNullField("param");
      } else {
        g.writeStringField("param", param);
      }
      if (code == null) {
        g.writeNullField("code");
      } else {
        g.writeStringField("code", code);
      }
      g.writeEndObject();
      g.writeEndObject();
    });
  }
}
