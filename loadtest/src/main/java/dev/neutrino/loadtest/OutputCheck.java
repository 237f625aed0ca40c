package dev.neutrino.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.runtime.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks an answer against the outputs {@code validation_data} expects (see {@link InputData}): every
 * output named there must be in the answer with the same elements, compared in the binary layout
 * (little-endian; BYTES elements length-prefixed), so floats must match exactly as perf_analyzer
 * requires. Answers are decoded only for requests that are checked. Stateless.
 */
final class OutputCheck {
  private static final ObjectMapper JSON = new ObjectMapper();

  private OutputCheck() {}

  /** Whether {@code actual} (output name to its data in the binary layout) holds every expected output. */
  static boolean matches(List<TensorData> expected, Map<String, byte[]> actual) {
    for (TensorData output : expected) {
      byte[] data = actual.get(output.name());
      if (data == null || !Arrays.equals(data, output.data())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The outputs of an HTTP inference answer: JSON {@code data}, or binary parts after the JSON header
   * when {@code headerLength} is given (Triton's binary tensor extension).
   *
   * @throws IOException when the answer cannot be read
   */
  static Map<String, byte[]> fromHttp(byte[] body, String headerLength) throws IOException {
    int jsonLength;
    try {
      jsonLength = headerLength == null ? body.length : Integer.parseInt(headerLength);
    } catch (NumberFormatException e) {
      throw new IOException("bad Inference-Header-Content-Length " + headerLength);
    }
    if (jsonLength < 0 || jsonLength > body.length) {
      throw new IOException("Inference-Header-Content-Length " + jsonLength + " past the body");
    }
    JsonNode root = JSON.readTree(body, 0, jsonLength);
    Map<String, byte[]> outputs = new HashMap<>();
    int binaryAt = jsonLength;
    for (JsonNode output : root.path("outputs")) {
      String name = output.path("name").asText();
      JsonNode size = output.path("parameters").path("binary_data_size");
      if (size.isNumber()) {
        int length = size.asInt();
        if (length < 0 || binaryAt + length > body.length) {
          throw new IOException("output '" + name + "': binary_data_size " + length + " past the body");
        }
        outputs.put(name, Arrays.copyOfRange(body, binaryAt, binaryAt + length));
        binaryAt += length;
        continue;
      }
      DataType type = DataType.fromName(output.path("datatype").asText());
      if (type == null || !type.hasJsonForm()) {
        throw new IOException("output '" + name + "': datatype " + output.path("datatype") + " has no JSON form");
      }
      List<JsonNode> elements = new ArrayList<>();
      InputData.flatten(output.path("data"), elements);
      if (type == DataType.BYTES) {
        outputs.put(name, lengthPrefixed(elements.stream()
            .map(e -> e.asText().getBytes(StandardCharsets.UTF_8)).toList()));
      } else {
        outputs.put(name, InputData.encode(type, elements));
      }
    }
    return outputs;
  }

  /** The outputs of a gRPC answer: {@code raw_output_contents}, or typed {@code contents}. */
  static Map<String, byte[]> fromGrpc(ModelInferResponse response) {
    Map<String, byte[]> outputs = new HashMap<>();
    for (int i = 0; i < response.getOutputsCount(); i++) {
      ModelInferResponse.InferOutputTensor output = response.getOutputs(i);
      if (i < response.getRawOutputContentsCount()) {
        outputs.put(output.getName(), response.getRawOutputContents(i).toByteArray());
      } else if (output.hasContents()) {
        byte[] typed = typed(DataType.fromName(output.getDatatype()), output.getContents());
        if (typed != null) {
          outputs.put(output.getName(), typed);
        }
      }
    }
    return outputs;
  }

  /** Typed contents in the binary layout; null for a datatype that has none. */
  private static byte[] typed(DataType type, InferTensorContents contents) {
    if (type == null) {
      return null;
    }
    ByteBuffer b;
    switch (type) {
      case BOOL -> {
        b = buffer(contents.getBoolContentsCount());
        contents.getBoolContentsList().forEach(v -> b.put((byte) (v ? 1 : 0)));
      }
      case INT8, UINT8 -> {
        b = buffer(contents.getIntContentsCount() + contents.getUintContentsCount());
        contents.getIntContentsList().forEach(v -> b.put(v.byteValue()));
        contents.getUintContentsList().forEach(v -> b.put(v.byteValue()));
      }
      case INT16, UINT16 -> {
        b = buffer(2 * (contents.getIntContentsCount() + contents.getUintContentsCount()));
        contents.getIntContentsList().forEach(v -> b.putShort(v.shortValue()));
        contents.getUintContentsList().forEach(v -> b.putShort(v.shortValue()));
      }
      case INT32 -> {
        b = buffer(4 * contents.getIntContentsCount());
        contents.getIntContentsList().forEach(b::putInt);
      }
      case UINT32 -> {
        b = buffer(4 * contents.getUintContentsCount());
        contents.getUintContentsList().forEach(b::putInt);
      }
      case INT64 -> {
        b = buffer(8 * contents.getInt64ContentsCount());
        contents.getInt64ContentsList().forEach(b::putLong);
      }
      case UINT64 -> {
        b = buffer(8 * contents.getUint64ContentsCount());
        contents.getUint64ContentsList().forEach(b::putLong);
      }
      case FP32 -> {
        b = buffer(4 * contents.getFp32ContentsCount());
        contents.getFp32ContentsList().forEach(b::putFloat);
      }
      case FP64 -> {
        b = buffer(8 * contents.getFp64ContentsCount());
        contents.getFp64ContentsList().forEach(b::putDouble);
      }
      case BYTES -> {
        return lengthPrefixed(contents.getBytesContentsList().stream().map(ByteString::toByteArray).toList());
      }
      default -> {
        return null;
      }
    }
    return b.array();
  }

  private static ByteBuffer buffer(int bytes) {
    return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static byte[] lengthPrefixed(List<byte[]> elements) {
    int total = 0;
    for (byte[] element : elements) {
      total += 4 + element.length;
    }
    ByteBuffer b = buffer(total);
    elements.forEach(element -> b.putInt(element.length).put(element));
    return b.array();
  }
}
