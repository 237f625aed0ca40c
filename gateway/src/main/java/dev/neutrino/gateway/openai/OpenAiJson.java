package dev.neutrino.gateway.openai;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Reading and writing the OpenAI front end's JSON: request bodies as Jackson trees (they are small
 * and their shapes vary: a string or a list), answers streamed by a generator straight into a
 * {@link Buffer}. Stateless and thread-safe.
 */
public final class OpenAiJson {
  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
      .build();
  private static final ObjectMapper MAPPER = new ObjectMapper(JSON);

  private OpenAiJson() {}

  /** What writes one document. */
  @FunctionalInterface
  public interface Writer {
    void write(JsonGenerator g) throws IOException;
  }

  /** Writes one document into a new buffer. */
  public static Buffer write(Writer writer) {
    Buffer body = Buffer.buffer(256);
    try (JsonGenerator g = JSON.createGenerator(new BufferStream(body), JsonEncoding.UTF8)) {
      writer.write(g);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return body;
  }

  /**
   * Parses a request body that must be one JSON object.
   *
   * @throws InferenceException.InvalidInput when it is not JSON or not an object
   */
  public static ObjectNode object(Buffer body) {
    JsonNode node;
    try {
      node = MAPPER.readTree(body.getBytes());
    } catch (IOException e) {
      throw new InferenceException.InvalidInput("the request body is not valid JSON");
    }
    if (!(node instanceof ObjectNode object)) {
      throw new InferenceException.InvalidInput("the request body must be a JSON object");
    }
    return object;
  }

  private static final class BufferStream extends OutputStream {
    private final Buffer buffer;

    BufferStream(Buffer buffer) {
      this.buffer = buffer;
    }

    @Override
    public void write(int b) {
      buffer.appendByte((byte) b);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      buffer.appendBytes(b, off, len);
    }
  }
}
