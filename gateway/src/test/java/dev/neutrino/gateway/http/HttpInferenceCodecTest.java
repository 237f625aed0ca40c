package dev.neutrino.gateway.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.batching.InferenceRequest;
import dev.neutrino.gateway.http.DecodedInference.OutputEncoding;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.InferenceException;
import dev.neutrino.runtime.Tensor;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HttpInferenceCodecTest {
  /** The request limit the codec is given: the gateway's default, 64 MiB. */
  static final long LIMIT = 64L * 1024 * 1024;
  private static final ObjectMapper MAPPER = new ObjectMapper();

  // ---------------------------------------------------------------------------------------------
  // Fixtures

  /** One datatype's sample: its JSON data text and the little-endian bytes it stands for. */
  record Sample(DataType type, String jsonData, byte[] bytes, int count) {
    @Override
    public String toString() {
      return type.wireName();
    }
  }

  private static LeBytes le() {
    return new LeBytes();
  }

  /** Builds expected little-endian bytes. */
  private static final class LeBytes {
    private final ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);

    LeBytes i8(int... v) {
      for (int x : v) {
        b.put((byte) x);
      }
      return this;
    }

    LeBytes i16(int... v) {
      for (int x : v) {
        b.putShort((short) x);
      }
      return this;
    }

    LeBytes i32(long... v) {
      for (long x : v) {
        b.putInt((int) x);
      }
      return this;
    }

    LeBytes i64(long... v) {
      for (long x : v) {
        b.putLong(x);
      }
      return this;
    }

    LeBytes f32(float... v) {
      for (float x : v) {
        b.putFloat(x);
      }
      return this;
    }

    LeBytes f64(double... v) {
      for (double x : v) {
        b.putDouble(x);
      }
      return this;
    }

    LeBytes str(String... v) {
      for (String s : v) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        b.putInt(utf8.length).put(utf8);
      }
      return this;
    }

    byte[] bytes() {
      byte[] out = new byte[b.position()];
      b.duplicate().flip().get(out);
      return out;
    }
  }

  static Stream<Sample> jsonSamples() {
    return Stream.of(
        new Sample(DataType.BOOL, "[true, false, true]", le().i8(1, 0, 1).bytes(), 3),
        new Sample(DataType.UINT8, "[0, 7, 255]", le().i8(0, 7, 255).bytes(), 3),
        new Sample(DataType.INT8, "[-128, 0, 127]", le().i8(-128, 0, 127).bytes(), 3),
        new Sample(DataType.UINT16, "[0, 513, 65535]", le().i16(0, 513, 65535).bytes(), 3),
        new Sample(DataType.INT16, "[-32768, -1, 32767]", le().i16(-32768, -1, 32767).bytes(), 3),
        new Sample(DataType.UINT32, "[0, 1, 4294967295]", le().i32(0, 1, 4294967295L).bytes(), 3),
        new Sample(DataType.INT32, "[-2147483648, 5, 2147483647]",
            le().i32(Integer.MIN_VALUE, 5, Integer.MAX_VALUE).bytes(), 3),
        new Sample(DataType.UINT64, "[0, 9223372036854775808, 18446744073709551615]",
            le().i64(0, Long.MIN_VALUE, -1L).bytes(), 3),
        new Sample(DataType.INT64, "[-9223372036854775808, 3, 9223372036854775807]",
            le().i64(Long.MIN_VALUE, 3, Long.MAX_VALUE).bytes(), 3),
        new Sample(DataType.FP32, "[1.5, -2, 3.0e10]", le().f32(1.5f, -2f, 3.0e10f).bytes(), 3),
        new Sample(DataType.FP64, "[0.1, -7, 1e300]", le().f64(0.1, -7, 1e300).bytes(), 3),
        new Sample(DataType.BYTES, "[\"a\", \"h\u00e9llo \\\"q\\\" \ud83d\ude00\", \"\"]",
            le().str("a", "h\u00e9llo \"q\" \ud83d\ude00", "").bytes(), 3));
  }

  static Stream<Sample> binaryOnlySamples() {
    return Stream.of(
        new Sample(DataType.FP16, null, le().i16(0x3C00, 0xC000).bytes(), 2),
        new Sample(DataType.BF16, null, le().i16(0x3F80, 0x4000).bytes(), 2));
  }

  static Stream<Sample> allSamples() {
    return Stream.concat(jsonSamples(), binaryOnlySamples());
  }

  private static String q(String singleQuoted) {
    return singleQuoted.replace('\'', '"');
  }

  private static DecodedInference decodeJson(String json) {
    return HttpInferenceCodec.decode(Buffer.buffer(json), -1, LIMIT);
  }

  /** A body of {@code json} followed by {@code parts}, with the header length to send with it. */
  private record Body(Buffer buffer, int headerLength) {
    static Body of(String json, byte[]... parts) {
      Buffer b = Buffer.buffer(json);
      int header = b.length();
      for (byte[] part : parts) {
        b.appendBytes(part);
      }
      return new Body(b, header);
    }

    DecodedInference decode() {
      return HttpInferenceCodec.decode(buffer, headerLength, LIMIT);
    }
  }

  private static byte[] bytes(Tensor tensor) {
    ByteBuffer data = tensor.data();
    byte[] out = new byte[data.remaining()];
    data.get(out);
    return out;
  }

  private static String jsonInput(String name, DataType type, String shape, String data) {
    return "{\"name\":\"" + name + "\",\"datatype\":\"" + type.wireName() + "\",\"shape\":" + shape
        + ",\"data\":" + data + "}";
  }

  private static String binaryInput(String name, DataType type, String shape, int size) {
    return "{\"name\":\"" + name + "\",\"datatype\":\"" + type.wireName() + "\",\"shape\":" + shape
        + ",\"parameters\":{\"binary_data_size\":" + size + "}}";
  }

  private static InferenceException.InvalidInput assertInvalid(String expectedFragment, Runnable call) {
    InferenceException.InvalidInput e = assertThrows(InferenceException.InvalidInput.class, call::run);
    String message = e.getMessage();
    assertTrue(message.contains(expectedFragment),
        () -> "message \"" + message + "\" should contain \"" + expectedFragment + "\"");
    for (String internal : List.of("java.", "com.fasterxml", "dev.neutrino", "Exception", "`", "Source:",
        "Jackson", "StreamRead", "\n")) {
      assertFalse(message.contains(internal), () -> "message leaks internals: " + message);
    }
    return e;
  }

  private static JsonNode header(EncodedResponse response) throws Exception {
    Buffer body = response.body();
    int length = response.headerLength() < 0 ? body.length() : response.headerLength();
    return MAPPER.readTree(body.getBytes(0, length));
  }

  private static Map<String, Tensor> outputs(Object... nameAndTensor) {
    Map<String, Tensor> map = new LinkedHashMap<>();
    for (int i = 0; i < nameAndTensor.length; i += 2) {
      map.put((String) nameAndTensor[i], (Tensor) nameAndTensor[i + 1]);
    }
    return map;
  }

  private static Tensor tensor(DataType type, long[] shape, byte[] bytes) {
    ByteBuffer b = Tensor.allocate(bytes.length);
    b.put(bytes).flip();
    return Tensor.of(type, shape, b);
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding: values

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonSamples")
  void decodesEveryJsonDatatypeToLittleEndianBytes(Sample sample) {
    DecodedInference decoded = decodeJson("{\"inputs\":[" + jsonInput("X", sample.type(),
        "[" + sample.count() + "]", sample.jsonData()) + "]}");

    Tensor x = decoded.request().inputs().get("X");
    assertEquals(sample.type(), x.datatype());
    assertArrayEquals(new long[] {sample.count()}, x.shape());
    assertArrayEquals(sample.bytes(), bytes(x));
    assertFalse(x.data().isDirect(), "no direct buffer per request: batch assembly copies the tensor once");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("allSamples")
  void decodesEveryDatatypeFromBinaryData(Sample sample) {
    Body body = Body.of("{\"inputs\":[" + binaryInput("X", sample.type(), "[" + sample.count() + "]",
        sample.bytes().length) + "]}", sample.bytes());

    Tensor x = body.decode().request().inputs().get("X");

    assertEquals(sample.type(), x.datatype());
    assertArrayEquals(sample.bytes(), bytes(x));
    assertFalse(x.data().isDirect(), "no direct buffer per request: batch assembly copies the tensor once");
  }

  @Test
  void binaryInputIsAViewOfTheBodyNotACopy() {
    byte[] floats = {0, 0, (byte) 0x80, 0x3F, 0, 0, 0, 0x40};
    Body body = Body.of("{\"inputs\":[" + binaryInput("X", DataType.FP32, "[2]", 8) + "]}", floats);

    Tensor x = body.decode().request().inputs().get("X");
    assertArrayEquals(new float[] {1f, 2f}, x.toFloatArray());
    // Nothing writes a body once decoded; here the test does, to show the tensor reads the body's own bytes.
    body.buffer().setFloatLE(body.headerLength() + 4, 7f);

    assertArrayEquals(new float[] {1f, 7f}, x.toFloatArray());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonSamples")
  void jsonAndBinaryDecodeOfTheSameValuesGiveIdenticalTensors(Sample sample) {
    Tensor fromJson = decodeJson("{\"inputs\":[" + jsonInput("X", sample.type(), "[1," + sample.count()
        + "]", sample.jsonData()) + "]}").request().inputs().get("X");
    Tensor fromBinary = Body.of("{\"inputs\":[" + binaryInput("X", sample.type(), "[1," + sample.count()
        + "]", sample.bytes().length) + "]}", sample.bytes()).decode().request().inputs().get("X");

    assertEquals(fromBinary.datatype(), fromJson.datatype());
    assertArrayEquals(fromBinary.shape(), fromJson.shape());
    assertEquals(fromBinary.elementCount(), fromJson.elementCount());
    assertArrayEquals(bytes(fromBinary), bytes(fromJson));
  }

  @Test
  void nestedAndFlatDataDecodeToTheSameTensor() {
    Tensor flat = decodeJson(q("{'inputs':[{'name':'X','datatype':'INT32','shape':[2,3],"
        + "'data':[1,2,3,4,5,6]}]}")).request().inputs().get("X");
    Tensor nested = decodeJson(q("{'inputs':[{'name':'X','datatype':'INT32','shape':[2,3],"
        + "'data':[[1,2,3],[4,5,6]]}]}")).request().inputs().get("X");
    Tensor nestedLate = decodeJson(q("{'inputs':[{'data':[[1,2,3],[4,5,6]],'name':'X','datatype':'INT32',"
        + "'shape':[2,3]}]}")).request().inputs().get("X");

    assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6}, flat.toIntArray());
    assertArrayEquals(bytes(flat), bytes(nested));
    assertArrayEquals(bytes(flat), bytes(nestedLate));
  }

  @Test
  void raggedNestedDataIsRefusedNamingTheInput() {
    String ragged = q("{'inputs':[{'name':'X','datatype':'INT32','shape':[2,3],"
        + "'data':[[[1],[2,[3]]],[],[[4,5,6]]]}]}");
    assertInvalid("input 'X': nested 'data' does not match shape [2,3]", () -> decodeJson(ragged));
  }

  @Test
  void aShapeThatDecodesPastTheLimitIsTooLargeBeforeItsDataIsRead() {
    // 33,000,000 FP32 elements claimed by a body of a few bytes: 132 MB over a 64 MiB limit.
    String claims = q("{'inputs':[{'name':'X','datatype':'FP32','shape':[1,33000000],'data':[0]}]}");
    InferenceException.TooLarge e = assertThrows(InferenceException.TooLarge.class, () -> decodeJson(claims));
    assertTrue(e.getMessage().contains("input 'X'"), e.getMessage());
    assertTrue(e.getMessage().contains("[1,33000000]"), e.getMessage());
    String huge = q("{'inputs':[{'name':'X','datatype':'FP32','shape':[100000,100000],'data':[1]}]}");
    assertThrows(InferenceException.TooLarge.class, () -> decodeJson(huge));
  }

  @Test
  void a63MiBBodyOf33MillionZerosIsTooLargeWithoutAllocatingItsTensor() {
    byte[] head = q("{'inputs':[{'name':'X','datatype':'FP32','shape':[1,33000000],'data':[")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] tail = "0]}]}".getBytes(StandardCharsets.US_ASCII);
    byte[] json = new byte[head.length + 2 * 32_999_999 + tail.length];
    System.arraycopy(head, 0, json, 0, head.length);
    for (int i = head.length; i < json.length - tail.length; i += 2) {
      json[i] = '0';
      json[i + 1] = ',';
    }
    System.arraycopy(tail, 0, json, json.length - tail.length, tail.length);
    assertTrue(json.length < LIMIT, "the body itself is under the limit");
    Buffer body = Buffer.buffer(json);
    List<MemoryPoolMXBean> tenured = tenuredPools();
    tenured.forEach(MemoryPoolMXBean::resetPeakUsage);
    long before = used(tenured, false);

    InferenceException.TooLarge e = assertThrows(InferenceException.TooLarge.class,
        () -> HttpInferenceCodec.decode(body, -1, LIMIT));

    assertTrue(e.getMessage().contains("input 'X'"), e.getMessage());
    // The decoded tensor would take 126 MiB (and its growing copy more): arrays that large go to the
    // old generation, whose peak did not grow by that much while the body was decoded.
    long grew = used(tenured, true) - before;
    assertTrue(grew < 126L * 1024 * 1024, "the old generation's peak grew by " + (grew >> 20) + " MiB");
  }

  /** The heap pools that are neither eden nor survivor space: where large arrays are allocated. */
  private static List<MemoryPoolMXBean> tenuredPools() {
    List<MemoryPoolMXBean> pools = new ArrayList<>();
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      String name = pool.getName();
      if (pool.getType() == MemoryType.HEAP && !name.contains("Eden") && !name.contains("Survivor")) {
        pools.add(pool);
      }
    }
    assertFalse(pools.isEmpty(), "a tenured heap pool");
    return pools;
  }

  private static long used(List<MemoryPoolMXBean> pools, boolean peak) {
    long sum = 0;
    for (MemoryPoolMXBean pool : pools) {
      sum += peak ? pool.getPeakUsage().getUsed() : pool.getUsage().getUsed();
    }
    return sum;
  }

  @Test
  void theLimitAppliesToAllInputsTogether() {
    // Under a 1 KiB limit: 800 bytes of A fit, B's 400 more do not.
    String two = q("{'inputs':[{'name':'A','datatype':'FP32','shape':[200],'data':[0" + ",0".repeat(199) + "]},"
        + "{'name':'B','datatype':'FP32','shape':[100],'data':[0" + ",0".repeat(99) + "]}]}");
    InferenceException.TooLarge e = assertThrows(InferenceException.TooLarge.class,
        () -> HttpInferenceCodec.decode(Buffer.buffer(two), -1, 1024));
    assertTrue(e.getMessage().contains("input 'B'"), e.getMessage());
  }

  @Test
  void aBinaryBytesInputOverTheLimitIsTooLarge() {
    String header = q("{'inputs':[{'name':'S','datatype':'BYTES','shape':[1],"
        + "'parameters':{'binary_data_size':100000000}}]}");
    Buffer body = Buffer.buffer(header).appendBytes(new byte[16]);
    assertThrows(InferenceException.TooLarge.class,
        () -> HttpInferenceCodec.decode(body, header.length(), LIMIT));
  }

  @Test
  void acceptsInputFieldsInAnyOrder() {
    String dataFirst = q("{'outputs':[],'inputs':[{'data':[[1.5,2.5]],'shape':[1,2],"
        + "'parameters':{'x':1},'datatype':'FP32','name':'A'},"
        + "{'data':['x','yz'],'name':'B','shape':[2],'datatype':'BYTES'}],'id':'r'}");

    InferenceRequest request = decodeJson(dataFirst).request();

    assertArrayEquals(new float[] {1.5f, 2.5f}, request.inputs().get("A").toFloatArray());
    assertArrayEquals(new long[] {1, 2}, request.inputs().get("A").shape());
    List<byte[]> strings = request.inputs().get("B").toByteElements();
    assertEquals("x", new String(strings.get(0), StandardCharsets.UTF_8));
    assertEquals("yz", new String(strings.get(1), StandardCharsets.UTF_8));
    assertEquals("r", request.id());
  }

  @Test
  void readsDataThatPrecedesItsDatatypeFromABufferSlice() {
    // A slice has a non-zero offset into its backing array: data parsed late must still be found.
    String json = q("{'inputs':[{'data':[7,8,9],'name':'X','shape':[3],'datatype':'INT64'}]}");
    Buffer padded = Buffer.buffer("garbage-prefix").appendString(json).appendString("tail");
    Buffer slice = padded.slice("garbage-prefix".length(), "garbage-prefix".length() + json.length());

    Tensor x = HttpInferenceCodec.decode(slice, -1, LIMIT).request().inputs().get("X");

    assertArrayEquals(new long[] {7, 8, 9}, x.toLongArray());
  }

  @Test
  void decodesABodyHeldInDirectMemory() {
    byte[] payload = le().f32(1f, 2f).bytes();
    String json = "{\"inputs\":[" + q("{'data':[1,2],'name':'J','shape':[2],'datatype':'INT32'},")
        + binaryInput("B", DataType.FP32, "[2]", payload.length) + "]}";
    byte[] jsonBytes = json.getBytes(StandardCharsets.UTF_8);
    io.netty.buffer.ByteBuf direct = Unpooled.directBuffer();
    direct.writeBytes(jsonBytes).writeBytes(payload);

    InferenceRequest request =
        HttpInferenceCodec.decode(BufferInternal.buffer(direct), jsonBytes.length, LIMIT).request();

    assertArrayEquals(new int[] {1, 2}, request.inputs().get("J").toIntArray());
    assertArrayEquals(new float[] {1f, 2f}, request.inputs().get("B").toFloatArray());
    direct.release();
  }

  @Test
  void takesBinarySlicesInInputOrderBetweenJsonInputs() {
    byte[] first = le().i32(1, 2).bytes();
    byte[] second = le().str("hi", "").bytes();
    Body body = Body.of("{\"inputs\":[" + binaryInput("A", DataType.INT32, "[2]", first.length) + ","
        + jsonInput("J", DataType.FP64, "[1]", "[0.5]") + ","
        + binaryInput("B", DataType.BYTES, "[2]", second.length) + "]}", first, second);

    InferenceRequest request = body.decode().request();

    assertEquals(List.of("A", "J", "B"), new ArrayList<>(request.inputs().keySet()));
    assertArrayEquals(new int[] {1, 2}, request.inputs().get("A").toIntArray());
    assertArrayEquals(second, bytes(request.inputs().get("B")));
    assertEquals(0.5, request.inputs().get("J").data().getDouble(0));
  }

  @Test
  void acceptsScalarsEmptyTensorsAndZeroSizedBinaryInputs() {
    Body body = Body.of("{\"inputs\":[" + q("{'name':'S','datatype':'FP32','shape':[],'data':[4]},"
        + "{'name':'E','datatype':'INT8','shape':[0,3],'data':[]},"
        + "{'name':'N','datatype':'INT8','shape':[2,0]},")
        + binaryInput("Z", DataType.FP32, "[0]", 0) + "]}");

    InferenceRequest request = body.decode().request();

    assertArrayEquals(new float[] {4f}, request.inputs().get("S").toFloatArray());
    assertEquals(0, request.inputs().get("E").byteSize());
    assertEquals(0, request.inputs().get("N").byteSize());
    assertEquals(0, request.inputs().get("Z").byteSize());
  }

  @Test
  void acceptsNonFiniteFloatsAsBareTokensAndAsStrings() {
    DecodedInference decoded = decodeJson(q("{'inputs':[{'name':'X','datatype':'FP32','shape':[6],"
        + "'data':[NaN, Infinity, -Infinity, 'NaN', 'Infinity', '-Infinity']}]}"));

    float[] values = decoded.request().inputs().get("X").toFloatArray();
    assertTrue(Float.isNaN(values[0]) && Float.isNaN(values[3]));
    assertEquals(Float.POSITIVE_INFINITY, values[1]);
    assertEquals(Float.NEGATIVE_INFINITY, values[2]);
    assertEquals(Float.POSITIVE_INFINITY, values[4]);
    assertEquals(Float.NEGATIVE_INFINITY, values[5]);
  }

  @Test
  void encodesLoneSurrogatesInByteStringsAsQuestionMarksLikeTheJdk() {
    Tensor x = decodeJson("{\"inputs\":[{\"name\":\"X\",\"datatype\":\"BYTES\",\"shape\":[1],"
        + "\"data\":[\"a\\ud800b\"]}]}").request().inputs().get("X");

    assertArrayEquals("a\ud800b".getBytes(StandardCharsets.UTF_8), x.toByteElements().get(0));
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding: request fields

  @Test
  void readsRequestParametersAndCarriesUnknownOnes() {
    InferenceRequest request = decodeJson(q("{'id':'req-1','unknown_top':{'a':[1]},"
        + "'parameters':{'priority':2,'timeout':20000,'binary_data_output':true,"
        + "'sequence_id':'s-9','count':42,'ratio':0.25,'flag':false},"
        + "'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}]}")).request();

    assertEquals("req-1", request.id());
    assertEquals(2, request.priority());
    assertEquals(20000, request.timeoutMicros());
    assertEquals(InferenceRequest.NO_DEADLINE, request.deadlineNanos());
    assertEquals(Map.of("sequence_id", "s-9", "count", 42L, "ratio", 0.25, "flag", false),
        request.parameters());
    assertEquals(List.of("sequence_id", "count", "ratio", "flag"),
        new ArrayList<>(request.parameters().keySet()));
  }

  @Test
  void defaultsWhenOptionalFieldsAreAbsent() {
    DecodedInference decoded =
        decodeJson(q("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}]}"));

    InferenceRequest request = decoded.request();
    assertEquals("", request.id());
    assertEquals(0, request.priority());
    assertEquals(0, request.timeoutMicros());
    assertEquals(List.of(), request.outputs());
    assertEquals(Map.of(), request.parameters());
    assertFalse(decoded.encoding().binary("anything"));
  }

  @Test
  void readsRequestedOutputsAndTheirBinaryFlags() {
    DecodedInference decoded = decodeJson(q("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],"
        + "'data':[1]}],'outputs':[{'name':'A','parameters':{'binary_data':true}},"
        + "{'parameters':{'binary_data':false,'other':1},'name':'B'},{'name':'C'}]}"));

    assertEquals(List.of("A", "B", "C"), decoded.request().outputs());
    OutputEncoding encoding = decoded.encoding();
    assertTrue(encoding.binary("A"));
    assertFalse(encoding.binary("B"));
    assertFalse(encoding.binary("C"));
  }

  @Test
  void binaryDataOutputMakesEveryOutputBinaryUnlessAnOutputSaysOtherwise() {
    DecodedInference decoded = decodeJson(q("{'parameters':{'binary_data_output':true},"
        + "'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}],"
        + "'outputs':[{'name':'A'},{'name':'B','parameters':{'binary_data':false}}]}"));

    assertTrue(decoded.encoding().binary("A"));
    assertFalse(decoded.encoding().binary("B"));
    assertTrue(decoded.encoding().binary("not-listed"));
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding: errors

  static Stream<Arguments> invalidJsonRequests() {
    return Stream.of(
        Arguments.of("{'inputs':[{'name':'INPUT0','datatype':'INT32','shape':[2,16],'data':[" + "1,".repeat(30)
            + "1]}]}", "input 'INPUT0': expected 32 elements for shape [2,16], got 31"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'FLOAT','shape':[1],'data':[1]}]}",
            "input 'X': unknown datatype 'FLOAT'"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'TYPE_FP32','shape':[1],'data':[1]}]}",
            "input 'X': unknown datatype 'TYPE_FP32'"),
        Arguments.of("{'inputs':[{'datatype':'FLOAT','shape':[1],'data':[1],'name':'X'}]}",
            "input 'X': unknown datatype 'FLOAT'"),
        Arguments.of("{'inputs':[{'datatype':'INT8','shape':[1],'data':[1]}]}", "inputs[0]: missing 'name'"),
        Arguments.of("{'inputs':[{'name':'X','shape':[1],'data':[1]}]}", "input 'X': missing 'datatype'"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','data':[1]}]}", "input 'X': missing 'shape'"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[-1],'data':[1]}]}",
            "input 'X': 'shape' must be an array of non-negative integers"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1.5],'data':[1]}]}",
            "input 'X': 'shape' must be an array of non-negative integers"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[99999999999999999999],'data':[1]}]}",
            "input 'X': 'shape' must be an array of non-negative integers"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':3,'data':[1]}]}",
            "input 'X': 'shape' must be an array"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[4294967296,4294967296],'data':[1]}]}",
            "input 'X': shape [4294967296,4294967296] has too many elements"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1000],'data':[1]}]}",
            "input 'X': expected 1000 elements for shape [1000], got 1"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT32','shape':[1,16],'data':[[1,2],[3],2,3,4,5,6,7,8,9,10,"
            + "11,12,13,14,15]}]}", "input 'X': nested 'data' does not match shape [1,16]"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT32','shape':[2,2],'data':[[1,2,3,4]]}]}",
            "input 'X': nested 'data' does not match shape [2,2]"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT32','shape':[2,2],'data':[[1,2],[3,4,5]]}]}",
            "input 'X': nested 'data' does not match shape [2,2]"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT32','shape':[1,2],'data':[[[1,2]]]}]}",
            "input 'X': nested 'data' does not match shape [1,2]"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT32','shape':[1,2],'data':[1,[2]]}]}",
            "input 'X': nested 'data' does not match shape [1,2]"),
        Arguments.of("{'inputs':[{'data':[[1],[2,3]],'name':'X','datatype':'INT32','shape':[2,1]}]}",
            "input 'X': nested 'data' does not match shape [2,1]"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT32','shape':[2],'data':[1, 1.5]}]}",
            "input 'X': element 1 must be an integer, got 1.5"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT32','shape':[2],'data':[1, '2']}]}",
            "input 'X': element 1 must be a number, got \"2\""),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[2],'data':[1, 128]}]}",
            "input 'X': element 1 is out of range for INT8: 128"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'UINT8','shape':[1],'data':[-1]}]}",
            "input 'X': element 0 is out of range for UINT8: -1"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'UINT32','shape':[1],'data':[4294967296]}]}",
            "input 'X': element 0 is out of range for UINT32"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT64','shape':[1],'data':[9223372036854775808]}]}",
            "input 'X': element 0 is out of range for INT64"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'UINT64','shape':[1],'data':[18446744073709551616]}]}",
            "input 'X': element 0 is out of range for UINT64"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'UINT64','shape':[1],'data':[-1]}]}",
            "input 'X': element 0 is out of range for UINT64"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'BOOL','shape':[2],'data':[true, 1]}]}",
            "input 'X': element 1 must be true or false, got 1"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'FP32','shape':[1],'data':[null]}]}",
            "input 'X': element 0 must be a number, got null"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'FP32','shape':[1],'data':['abc']}]}",
            "input 'X': element 0 must be a number"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'BYTES','shape':[1],'data':[5]}]}",
            "input 'X': element 0 must be a string, got 5"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'BYTES','shape':[1],'data':[{'a':1}]}]}",
            "input 'X': element 0 must be a string, got an object"),
        Arguments.of("{'inputs':[{'name':'H','datatype':'FP16','shape':[1],'data':[1.0]}]}",
            "input 'H': FP16 data can only be sent in the binary format"),
        Arguments.of("{'inputs':[{'data':[1.0],'name':'H','datatype':'BF16','shape':[1]}]}",
            "input 'H': BF16 data can only be sent in the binary format"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':5}]}",
            "input 'X': 'data' must be an array"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[2]}]}", "input 'X': no data"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1],'data':[2]}]}",
            "input 'X': duplicate field 'data'"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]},"
            + "{'name':'X','datatype':'INT8','shape':[1],'data':[1]}]}", "input 'X' appears more than once"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1],"
            + "'parameters':{'binary_data_size':1}}]}", "input 'X': has both 'data' and the binary_data_size"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],"
            + "'parameters':{'binary_data_size':1}}]}",
            "input 'X': binary_data_size is given but the request has no Inference-Header-Content-Length"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],"
            + "'parameters':{'binary_data_size':-1}}]}",
            "input 'X': parameter 'binary_data_size' must be a non-negative integer"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],"
            + "'parameters':{'shared_memory_region':'r'}}]}", "input 'X': shared memory inputs are not supported"),
        Arguments.of("{'inputs':[]}", "the request has no inputs"),
        Arguments.of("{'id':'a'}", "the request has no inputs"),
        Arguments.of("{'inputs':{}}", "'inputs' must be an array"),
        Arguments.of("[1,2]", "the request must be a JSON object"),
        Arguments.of("{'id':5,'inputs':[]}", "'id' must be a string"),
        Arguments.of("{'parameters':{'priority':'high'},'inputs':[]}",
            "parameter 'priority' must be an integer from 0 to 2147483647, got \"high\""),
        Arguments.of("{'parameters':{'priority':-1},'inputs':[]}", "parameter 'priority'"),
        Arguments.of("{'parameters':{'priority':1.5},'inputs':[]}", "parameter 'priority'"),
        Arguments.of("{'parameters':{'timeout':'soon'},'inputs':[]}", "parameter 'timeout'"),
        Arguments.of("{'parameters':{'timeout':-5},'inputs':[]}", "parameter 'timeout'"),
        Arguments.of("{'parameters':{'binary_data_output':1},'inputs':[]}", "parameter 'binary_data_output'"),
        Arguments.of("{'parameters':{'custom':[1]},'inputs':[]}",
            "parameter 'custom' must be a string, number or boolean, got an array"),
        Arguments.of("{'parameters':[],'inputs':[]}", "'parameters' must be an object"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}],"
            + "'outputs':[{'name':'C','parameters':{'classification':3}}]}",
            "output 'C': the classification extension is not supported"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}],"
            + "'outputs':[{'parameters':{'binary_data':'yes'},'name':'O'}]}",
            "output 'O': parameter 'binary_data' must be true or false"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}],"
            + "'outputs':[{'parameters':{}}]}", "outputs[0]: missing 'name'"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}],"
            + "'outputs':[{'name':'O'},{'name':'O'}]}", "output 'O' is requested more than once"),
        Arguments.of("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}],'outputs':'O'}",
            "'outputs' must be an array"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("invalidJsonRequests")
  void rejectsInvalidRequestsNamingTheCulprit(String json, String expectedMessage) {
    assertInvalid(expectedMessage, () -> decodeJson(q(json)));
  }

  static Stream<Arguments> malformedJson() {
    return Stream.of(
        Arguments.of("{\"inputs\":[{\"name\":\"X\""),
        Arguments.of("{\"id\":\"a\",}"),
        Arguments.of("{inputs:[]}"),
        Arguments.of("{\"inputs\":[]} {}"),
        Arguments.of("not json"),
        Arguments.of(""),
        // Nested past the parser's depth limit, before the shape that would refuse it as ragged.
        Arguments.of("{\"inputs\":[{\"data\":" + "[".repeat(2000) + "1" + "]".repeat(2000)
            + ",\"name\":\"X\",\"datatype\":\"INT8\",\"shape\":[1]}]}"),
        Arguments.of("{\"inputs\":[{\"name\":\"X\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[1"
            + "0".repeat(2000) + "]}]}"));
  }

  @ParameterizedTest
  @MethodSource("malformedJson")
  void reportsMalformedJsonWithoutLeakingParserInternals(String json) {
    assertInvalid("malformed JSON", () -> decodeJson(json));
  }

  @Test
  void rejectsBinaryDataThatIsTruncated() {
    byte[] payload = le().f32(1f, 2f, 3f).bytes();
    Body body = Body.of("{\"inputs\":[" + binaryInput("IN", DataType.FP32, "[4]", 16) + "]}", payload);

    assertInvalid("truncated binary data for input 'IN'", body::decode);
  }

  @Test
  void rejectsBinaryDataBeyondWhatTheInputsDeclare() {
    byte[] payload = le().f32(1f, 2f).bytes();
    Body body = Body.of("{\"inputs\":[" + binaryInput("IN", DataType.FP32, "[1]", 4) + "]}", payload);

    assertInvalid("4 bytes of binary data beyond", body::decode);
  }

  @Test
  void rejectsBinaryPartWhenNoInputIsBinary() {
    Body body = Body.of(q("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}]}"),
        new byte[] {1, 2});

    assertInvalid("2 bytes of binary data beyond", body::decode);
  }

  @Test
  void rejectsBinaryDataSizeThatDisagreesWithTheShape() {
    byte[] payload = le().f32(1f, 2f, 3f).bytes();
    Body body = Body.of("{\"inputs\":[" + binaryInput("IN", DataType.FP32, "[4]", 12) + "]}", payload);

    assertInvalid("input 'IN': binary_data_size is 12 but shape [4] of FP32 needs 16 bytes", body::decode);
  }

  @Test
  void rejectsBinaryBytesWhoseFramingDoesNotHoldTheElementCount() {
    byte[] twoStrings = le().str("ab", "c").bytes();
    Body wrongCount = Body.of("{\"inputs\":[" + binaryInput("S", DataType.BYTES, "[3]", twoStrings.length)
        + "]}", twoStrings);
    byte[] badLength = le().i32(10).i8('a').bytes();
    Body overrun = Body.of("{\"inputs\":[" + binaryInput("S", DataType.BYTES, "[1]", badLength.length)
        + "]}", badLength);

    assertInvalid("input 'S': expected 3 BYTES elements, got 2", wrongCount::decode);
    assertInvalid("input 'S': BYTES element 0 declares 10 bytes", overrun::decode);
  }

  @Test
  void rejectsAHeaderLengthLargerThanTheBody() {
    Buffer body = Buffer.buffer("{\"inputs\":[]}");

    assertInvalid("Inference-Header-Content-Length 100 is larger than the body",
        () -> HttpInferenceCodec.decode(body, 100, LIMIT));
  }

  @Test
  void rejectsATruncatedJsonHeader() {
    Body body = Body.of(q("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],'data':[1]}]}"));

    assertInvalid("malformed JSON", () -> HttpInferenceCodec.decode(body.buffer(), body.headerLength() - 3, LIMIT));
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding

  @Test
  void encodesJsonOutputsInMapOrder() throws Exception {
    Map<String, Tensor> outputs = outputs(
        "SCORES", Tensor.ofFloats(new long[] {1, 3}, 0.5f, -1.25f, 3e-8f),
        "IDS", Tensor.ofLongs(new long[] {2}, 7, -8),
        "LABELS", Tensor.ofStrings(new long[] {2}, "caf\u00e9", "say \"hi\"\n"));

    EncodedResponse response =
        HttpInferenceCodec.encode("m", "3", "req-1", OutputEncoding.JSON, outputs);

    assertEquals(-1, response.headerLength());
    assertFalse(response.hasBinaryData());
    JsonNode json = MAPPER.readTree(response.body().getBytes());
    assertEquals("m", json.get("model_name").asText());
    assertEquals("3", json.get("model_version").asText());
    assertEquals("req-1", json.get("id").asText());
    JsonNode out = json.get("outputs");
    assertEquals(3, out.size());
    assertEquals("SCORES", out.get(0).get("name").asText());
    assertEquals("FP32", out.get(0).get("datatype").asText());
    assertEquals("[1,3]", out.get(0).get("shape").toString());
    assertEquals(0.5f, out.get(0).get("data").get(0).floatValue());
    assertEquals(-1.25f, out.get(0).get("data").get(1).floatValue());
    assertEquals(3e-8f, out.get(0).get("data").get(2).floatValue());
    assertFalse(out.get(0).has("parameters"));
    assertEquals("IDS", out.get(1).get("name").asText());
    assertEquals("[7,-8]", out.get(1).get("data").toString());
    assertEquals("caf\u00e9", out.get(2).get("data").get(0).asText());
    assertEquals("say \"hi\"\n", out.get(2).get("data").get(1).asText());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("jsonSamples")
  void jsonOutputsDecodeBackToTheSameBytes(Sample sample) throws Exception {
    Tensor original = tensor(sample.type(), new long[] {sample.count()}, sample.bytes());

    EncodedResponse response =
        HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON, outputs("X", original));
    JsonNode out = header(response).get("outputs").get(0);
    String request = "{\"inputs\":[" + jsonInput("X", sample.type(), out.get("shape").toString(),
        out.get("data").toString()) + "]}";
    Tensor decoded = decodeJson(request).request().inputs().get("X");

    assertArrayEquals(sample.bytes(), bytes(decoded));
  }

  @Test
  void omitsTheIdWhenEmpty() throws Exception {
    EncodedResponse response = HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON,
        outputs("X", Tensor.ofInts(new long[] {1}, 1)));

    assertFalse(header(response).has("id"));
  }

  @Test
  void encodesBinaryOutputsAfterTheJsonHeader() throws Exception {
    Tensor scores = Tensor.ofFloats(new long[] {2}, 1.5f, 2.5f);
    Tensor names = Tensor.ofStrings(new long[] {2}, "a", "bc");

    EncodedResponse response = HttpInferenceCodec.encode("m", "1", "r",
        new OutputEncoding(true, Map.of()), outputs("S", scores, "N", names));

    assertTrue(response.hasBinaryData());
    JsonNode json = header(response);
    JsonNode out = json.get("outputs");
    assertEquals(8, out.get(0).get("parameters").get("binary_data_size").asInt());
    assertFalse(out.get(0).has("data"));
    assertEquals(bytes(names).length, out.get(1).get("parameters").get("binary_data_size").asInt());
    assertEquals(response.headerLength() + 8 + bytes(names).length, response.body().length());
    assertArrayEquals(bytes(scores),
        response.body().getBytes(response.headerLength(), response.headerLength() + 8));
    assertArrayEquals(bytes(names),
        response.body().getBytes(response.headerLength() + 8, response.body().length()));
  }

  @Test
  void mixesBinaryAndJsonOutputsAsRequested() throws Exception {
    Tensor a = Tensor.ofInts(new long[] {2}, 1, 2);
    Tensor b = Tensor.ofInts(new long[] {1}, 3);
    Tensor c = Tensor.ofLongs(new long[] {1}, 4);
    OutputEncoding encoding = decodeJson(q("{'inputs':[{'name':'X','datatype':'INT8','shape':[1],"
        + "'data':[1]}],'outputs':[{'name':'A','parameters':{'binary_data':true}},{'name':'B'},"
        + "{'name':'C','parameters':{'binary_data':true}}]}")).encoding();

    EncodedResponse response = HttpInferenceCodec.encode("m", "1", "", encoding, outputs("A", a, "B", b, "C", c));

    JsonNode out = header(response).get("outputs");
    assertEquals(8, out.get(0).get("parameters").get("binary_data_size").asInt());
    assertEquals("[3]", out.get(1).get("data").toString());
    assertEquals(8, out.get(2).get("parameters").get("binary_data_size").asInt());
    byte[] tail = response.body().getBytes(response.headerLength(), response.body().length());
    byte[] expected = new byte[16];
    System.arraycopy(bytes(a), 0, expected, 0, 8);
    System.arraycopy(bytes(c), 0, expected, 8, 8);
    assertArrayEquals(expected, tail);
  }

  @Test
  void sendsFp16OutputsBinaryEvenWhenJsonWasAsked() throws Exception {
    Tensor half = tensor(DataType.FP16, new long[] {2}, le().i16(0x3C00, 0x4000).bytes());

    EncodedResponse response = HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON, outputs("H", half));

    assertTrue(response.hasBinaryData());
    assertEquals(4, header(response).get("outputs").get(0).get("parameters").get("binary_data_size").asInt());
    assertArrayEquals(bytes(half), response.body().getBytes(response.headerLength(), response.body().length()));
  }

  @Test
  void roundTripsUint64MaxThroughJson() throws Exception {
    Tensor max = tensor(DataType.UINT64, new long[] {2}, le().i64(-1L, Long.MAX_VALUE).bytes());

    EncodedResponse response = HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON, outputs("U", max));
    String text = response.body().toString(StandardCharsets.UTF_8);
    assertTrue(text.contains("[18446744073709551615,9223372036854775807]"), text);

    JsonNode data = header(response).get("outputs").get(0).get("data");
    Tensor back = decodeJson("{\"inputs\":[" + jsonInput("U", DataType.UINT64, "[2]", data.toString())
        + "]}").request().inputs().get("U");
    assertArrayEquals(bytes(max), bytes(back));
  }

  @Test
  void writesUnsignedValuesAsUnsigned() throws Exception {
    Map<String, Tensor> outs = outputs(
        "U8", tensor(DataType.UINT8, new long[] {1}, le().i8(0xFF).bytes()),
        "U16", tensor(DataType.UINT16, new long[] {1}, le().i16(0xFFFF).bytes()),
        "U32", tensor(DataType.UINT32, new long[] {1}, le().i32(0xFFFF_FFFFL).bytes()));

    JsonNode out = header(HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON, outs)).get("outputs");

    assertEquals("[255]", out.get(0).get("data").toString());
    assertEquals("[65535]", out.get(1).get("data").toString());
    assertEquals("[4294967295]", out.get(2).get("data").toString());
  }

  @Test
  void writesNonFiniteFloatsAsStringsThatStrictParsersAccept() throws Exception {
    Tensor floats = Tensor.ofFloats(new long[] {3}, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY);
    Tensor doubles = tensor(DataType.FP64, new long[] {1}, le().f64(Double.NaN).bytes());

    EncodedResponse response =
        HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON, outputs("F", floats, "D", doubles));

    JsonNode out = header(response).get("outputs"); // a strict parser: no NaN tokens allowed
    assertEquals("[\"NaN\",\"Infinity\",\"-Infinity\"]", out.get(0).get("data").toString());
    assertEquals("[\"NaN\"]", out.get(1).get("data").toString());
    float[] back = decodeJson("{\"inputs\":[" + jsonInput("F", DataType.FP32, "[3]",
        out.get(0).get("data").toString()) + "]}").request().inputs().get("F").toFloatArray();
    assertTrue(Float.isNaN(back[0]));
    assertEquals(Float.POSITIVE_INFINITY, back[1]);
    assertEquals(Float.NEGATIVE_INFINITY, back[2]);
  }

  @Test
  void writesByteStringsThatAreNotUtf8WithReplacementCharacters() throws Exception {
    byte[] element = {'o', 'k', (byte) 0xFF, (byte) 0xC0, (byte) 0x80};
    Tensor raw = tensor(DataType.BYTES, new long[] {2},
        le().i32(element.length).i8(element[0], element[1], element[2], element[3], element[4])
            .str("\u0001\"\\").bytes());

    JsonNode data = header(HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON, outputs("B", raw)))
        .get("outputs").get(0).get("data");

    assertEquals(new String(element, StandardCharsets.UTF_8), data.get(0).asText());
    assertEquals("\u0001\"\\", data.get(1).asText());
  }

  @Test
  void acceptsWellFormedUtf8AndRejectsMalformedSequences() {
    assertTrue(HttpInferenceCodec.isValidUtf8("a\u00e9\u20ac\ud83d\ude00".getBytes(StandardCharsets.UTF_8), 10));
    assertFalse(HttpInferenceCodec.isValidUtf8(new byte[] {(byte) 0xC0, (byte) 0x80}, 2)); // overlong
    assertFalse(HttpInferenceCodec.isValidUtf8(new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, 3)); // surrogate
    assertFalse(HttpInferenceCodec.isValidUtf8(new byte[] {(byte) 0xE2, (byte) 0x82}, 2)); // truncated
    assertFalse(HttpInferenceCodec.isValidUtf8(new byte[] {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, 4));
  }

  @Test
  void encodesAnEmptyOutputMapAsAnEmptyArray() throws Exception {
    EncodedResponse response = HttpInferenceCodec.encode("m", "1", "", OutputEncoding.JSON, Map.of());

    assertEquals(0, header(response).get("outputs").size());
  }

  @Test
  void errorBodyEscapesTheMessage() throws Exception {
    String message = "input 'X': bad \"value\"\n\t\\ \u0000 caf\u00e9";

    JsonNode json = MAPPER.readTree(HttpInferenceCodec.errorBody(message).getBytes());

    assertEquals(1, json.size());
    assertEquals(message, json.get("error").asText());
  }
}
