package dev.neutrino.loadtest;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The bodies of HTTP inference requests, built once per prepared request: JSON, or a JSON header
 * followed by the tensors' raw bytes (Triton's binary tensor data extension, outputs asked for as
 * binary too).
 */
final class HttpPayloads {
  private static final JsonFactory JSON = new JsonFactory();

  private HttpPayloads() {}

  /** A request body, and the length of its JSON part when binary data follows it (-1 when all JSON). */
  record Body(byte[] bytes, int headerLength) {
    /** The request's {@code Content-Type}: binary when a binary part follows the JSON header. */
    String contentType() {
      return headerLength >= 0 ? "application/octet-stream" : "application/json";
    }
  }

  /**
   * @throws IllegalArgumentException when an input's datatype has no JSON form (FP16, BF16)
   */
  static Body json(List<TensorData> inputs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeArrayFieldStart("inputs");
      for (TensorData t : inputs) {
        if (!t.datatype().hasJsonForm()) {
          throw new IllegalArgumentException("input '" + t.name() + "' is " + t.datatype()
              + ", which has no JSON form; use --protocol http-binary or grpc");
        }
        writeHead(g, t);
        g.writeFieldName("data");
        writeElements(g, t);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Body(out.toByteArray(), -1);
  }

  static Body binary(List<TensorData> inputs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeArrayFieldStart("inputs");
      for (TensorData t : inputs) {
        writeHead(g, t);
        g.writeObjectFieldStart("parameters");
        g.writeNumberField("binary_data_size", t.data().length);
        g.writeEndObject();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeObjectFieldStart("parameters");
      g.writeBooleanField("binary_data_output", true);
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int headerLength = out.size();
    for (TensorData t : inputs) {
      out.writeBytes(t.data());
    }
    return new Body(out.toByteArray(), headerLength);
  }

  private static void writeHead(JsonGenerator g, TensorData t) throws IOException {
    g.writeStartObject();
    g.writeStringField("name", t.name());
    g.writeFieldName("shape");
    long[] shape = t.shape();
    g.writeArray(shape, 0, shape.length);
    g.writeStringField("datatype", t.datatype().wireName());
  }

  private static void writeElements(JsonGenerator g, TensorData t) throws IOException {
    ByteBuffer d = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
    int n = (int) t.elementCount();
    g.writeStartArray();
    for (int i = 0; i < n; i++) {
      switch (t.datatype()) {
        case BOOL -> g.writeBoolean(d.get(i) != 0);
        case UINT8 -> g.writeNumber(d.get(i) & 0xFF);
        case INT8 -> g.writeNumber(d.get(i));
        case UINT16 -> g.writeNumber(d.getShort(2 * i) & 0xFFFF);
        case INT16 -> g.writeNumber(d.getShort(2 * i));
        case UINT32 -> g.writeNumber(d.getInt(4 * i) & 0xFFFF_FFFFL);
        case INT32 -> g.writeNumber(d.getInt(4 * i));
        case UINT64 -> g.writeNumber(Long.toUnsignedString(d.getLong(8 * i)));
        case INT64 -> g.writeNumber(d.getLong(8 * i));
        case FP32 -> g.writeNumber(d.getFloat(4 * i));
        case FP64 -> g.writeNumber(d.getDouble(8 * i));
        case BYTES -> {
          // Elements are length-prefixed; walk them in order.
          if (i == 0) {
            d.position(0);
          }
          byte[] element = new byte[d.getInt()];
          d.get(element);
          g.writeString(new String(element, StandardCharsets.UTF_8));
        }
        default -> throw new IllegalStateException("no JSON form for " + t.datatype());
      }
    }
    g.writeEndArray();
  }
}
