package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every datatype travels through an identity model unchanged, in JSON and in binary. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DatatypeRoundTripTest {
  /** Four elements per type, chosen at the edges of each type's range, as JSON. */
  private static final Map<DataType, String> JSON_VALUES = Map.ofEntries(
      Map.entry(DataType.BOOL, "[true,false,false,true]"),
      Map.entry(DataType.UINT8, "[0,255,1,128]"),
      Map.entry(DataType.UINT16, "[0,65535,1,32768]"),
      Map.entry(DataType.UINT32, "[0,4294967295,1,2147483648]"),
      Map.entry(DataType.UINT64, "[0,18446744073709551615,1,9223372036854775808]"),
      Map.entry(DataType.INT8, "[-128,127,0,-1]"),
      Map.entry(DataType.INT16, "[-32768,32767,0,-1]"),
      Map.entry(DataType.INT32, "[-2147483648,2147483647,0,-1]"),
      Map.entry(DataType.INT64, "[-9223372036854775808,9223372036854775807,0,-1]"),
      Map.entry(DataType.FP32, "[1.5,-2.25,0.0,3.0E10]"),
      Map.entry(DataType.FP64, "[1.0E-300,-2.5,0.0,1.7976931348623157E308]"),
      Map.entry(DataType.BYTES, "[\"a\",\"h\\u00e9llo \\u2603\",\"\",\"x y\"]"));

  Gateway gateway;
  TestClient client;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    Path repo = dir.resolve("repo");
    for (DataType type : DataType.values()) {
      new OnnxModelBuilder("identity")
          .input("INPUT0", type, -1, 4)
          .output("OUTPUT0", type, -1, 4)
          .node("Identity", java.util.List.of("INPUT0"), java.util.List.of("OUTPUT0"))
          .writeTo(repo.resolve(modelName(type)).resolve("1").resolve("model.onnx"));
    }
    gateway = TestGateways.start(repo);
    client = TestGateways.client(gateway);
  }

  @AfterAll
  void stop() {
    TestGateways.stop(gateway);
  }

  private static String modelName(DataType type) {
    return "identity_" + type.name().toLowerCase(Locale.ROOT);
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void binaryRoundTripIsByteExact(DataType type) {
    byte[] raw = binaryValues(type);
    String header = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,4],\"datatype\":\"" + type.wireName()
        + "\",\"parameters\":{\"binary_data_size\":" + raw.length + "}}],"
        + "\"outputs\":[{\"name\":\"OUTPUT0\",\"parameters\":{\"binary_data\":true}}]}";
    TestClient.Reply reply = client.postBinary("/v2/models/" + modelName(type) + "/infer", header, raw);
    assertEquals(200, reply.status(), new String(reply.body(), StandardCharsets.UTF_8));
    JsonNode output = reply.header().get("outputs").get(0);
    assertEquals(type.wireName(), output.get("datatype").asText());
    assertEquals("[1,4]", output.get("shape").toString());
    assertArrayEquals(raw, reply.binary());
  }

  @ParameterizedTest
  @EnumSource(value = DataType.class, names = {"FP16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
  void jsonRoundTripKeepsValues(DataType type) throws IOException {
    String values = JSON_VALUES.get(type);
    String body = "{\"inputs\":[{\"name\":\"INPUT0\",\"shape\":[1,4],\"datatype\":\"" + type.wireName()
        + "\",\"data\":" + values + "}]}";
    TestClient.Reply reply = client.post("/v2/models/" + modelName(type) + "/infer", body);
    assertEquals(200, reply.status(), new String(reply.body(), StandardCharsets.UTF_8));
    JsonNode data = reply.json().get("outputs").get(0).get("data");
    JsonNode expected = TestClient.JSON.readTree(values);
    assertEquals(4, data.size());
    for (int i = 0; i < 4; i++) {
      if (EnumSet.of(DataType.FP32, DataType.FP64).contains(type)) {
        assertEquals(expected.get(i).asDouble(), data.get(i).asDouble(), Math.abs(expected.get(i).asDouble()) * 1e-7,
            "element " + i);
      } else if (type == DataType.BYTES || type == DataType.BOOL) {
        assertEquals(expected.get(i), data.get(i), "element " + i);
      } else {
        assertEquals(expected.get(i).bigIntegerValue(), data.get(i).bigIntegerValue(), "element " + i);
      }
    }
  }

  /** Raw little-endian bytes of four elements of {@code type}. */
  private static byte[] binaryValues(DataType type) {
    if (type == DataType.BYTES) {
      ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
      for (String s : new String[] {"a", "h\u00e9llo", "", "xyz"}) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putInt(bytes.length).put(bytes);
      }
      byte[] out = new byte[b.position()];
      b.flip().get(out);
      return out;
    }
    byte[] out = new byte[4 * type.elementSize()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (byte) (i * 37 + 11);
    }
    if (type == DataType.BOOL) {
      out = new byte[] {1, 0, 0, 1};
    }
    if (type == DataType.FP16 || type == DataType.BF16) {
      // 1.0, -2.0, 0.5, 0 in each format
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      short[] halves = type == DataType.FP16
          ? new short[] {0x3C00, (short) 0xC000, 0x3800, 0}
          : new short[] {0x3F80, (short) 0xC000, 0x3F00, 0};
      for (short h : halves) {
        b.putShort(h);
      }
      out = b.array();
    }
    if (type == DataType.FP32 || type == DataType.FP64) {
      ByteBuffer b = ByteBuffer.allocate(out.length).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < 4; i++) {
        if (type == DataType.FP32) {
          b.putFloat(i * 1.25f - 2f);
        } else {
          b.putDouble(i * 1e100 - 3.5);
        }
      }
      out = b.array();
    }
    return out;
  }
}
