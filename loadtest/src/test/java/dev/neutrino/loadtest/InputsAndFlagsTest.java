package dev.neutrino.loadtest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Building requests from model metadata, and reading the command line. */
class InputsAndFlagsTest {
  private static final ModelMetadata MODEL = new ModelMetadata("m", List.of("1"), "test",
      List.of(new TensorSpec("ids", DataType.INT64, new long[] {-1, 4}),
          new TensorSpec("x", DataType.FP32, new long[] {-1, -1})),
      List.of(new TensorSpec("y", DataType.FP32, new long[] {-1, 1})));

  @Test
  void randomDataFitsTheMetadataAndStaysSmall() throws Exception {
    List<List<TensorData>> payloads = InputData.prepare(MODEL, new InputData.Random(7),
        Map.of("x", new long[] {2, 3}), 2);

    assertEquals(InputData.RANDOM_PAYLOADS, payloads.size());
    TensorData ids = payloads.get(0).get(0);
    assertArrayEquals(new long[] {2, 4}, ids.shape());
    assertEquals(8 * 8, ids.data().length);
    ByteBuffer b = ByteBuffer.wrap(ids.data()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 8; i++) {
      long v = b.getLong();
      assertTrue(v >= 0 && v < 100, "token-id-safe value " + v);
    }
    assertArrayEquals(new long[] {2, 3}, payloads.get(0).get(1).shape());
  }

  @Test
  void variableDimensionsWithoutAShapeAreRefusedNamingTheFlag() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> InputData.prepare(MODEL, new InputData.Zero(), Map.of(), 1));
    assertTrue(e.getMessage().contains("--shape x:1,16"), e.getMessage());
  }

  @Test
  void readsPerfAnalyzerInputFiles(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("inputs.json");
    Files.writeString(file, """
        {"data": [
          {"ids": [1, 2, 3, 4], "x": {"content": [0.5, 1.5], "shape": [2]}},
          {"ids": [[5, 6, 7, 8]], "x": {"content": [2.5, 3.5], "shape": [1, 2]}}
        ]}
        """);
    List<List<TensorData>> payloads = InputData.prepare(MODEL, new InputData.FromFile(file), Map.of(), 1);

    assertEquals(2, payloads.size());
    assertArrayEquals(new long[] {1, 2}, payloads.get(0).get(1).shape());
    assertEquals(5, ByteBuffer.wrap(payloads.get(1).get(0).data()).order(ByteOrder.LITTLE_ENDIAN).getLong());
    assertEquals(3.5f, ByteBuffer.wrap(payloads.get(1).get(1).data()).order(ByteOrder.LITTLE_ENDIAN).getFloat(4));
  }

  @Test
  void jsonAndBinaryBodiesFollowTheProtocol() {
    TensorData t = new TensorData("x", DataType.FP32, new long[] {1, 2},
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.5f).putFloat(-2f).array());
    String json = new String(HttpPayloads.json(List.of(t)).bytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertEquals("{\"inputs\":[{\"name\":\"x\",\"shape\":[1,2],\"datatype\":\"FP32\",\"data\":[1.5,-2.0]}]}", json);

    HttpPayloads.Body binary = HttpPayloads.binary(List.of(t));
    String header = new String(binary.bytes(), 0, binary.headerLength(), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(header.contains("\"binary_data_size\":8"), header);
    assertTrue(header.contains("\"binary_data_output\":true"), header);
    assertEquals(binary.headerLength() + 8, binary.bytes().length);
  }

  @Test
  void sweepsAreListsOrRanges() {
    assertEquals(List.of(1.0, 4.0, 16.0, 64.0), Flags.sweep("concurrency", "1,4,16,64"));
    assertEquals(List.of(100.0, 200.0, 300.0), Flags.sweep("rate", "100:300:100"));
    assertThrows(IllegalArgumentException.class, () -> Flags.sweep("rate", "300:100:100"));
    assertThrows(IllegalArgumentException.class, () -> Flags.sweep("concurrency", "0"));
  }

  @Test
  void durationsTakeUnits() {
    assertEquals(Duration.ofSeconds(10), Flags.parseDuration("10"));
    assertEquals(Duration.ofMillis(500), Flags.parseDuration("500ms"));
    assertEquals(Duration.ofMillis(1500), Flags.parseDuration("1.5s"));
    assertEquals(Duration.ofMinutes(2), Flags.parseDuration("2m"));
    assertThrows(IllegalArgumentException.class, () -> Flags.parseDuration("soon"));
  }

  @Test
  void urlsNameTheProtocol() {
    assertEquals(Endpoint.http("localhost", 8000), Endpoint.parse("http://localhost:8000/"));
    assertTrue(Endpoint.parse("grpc://10.0.0.1:9001").isGrpc());
    assertEquals(8001, Endpoint.parse("grpc://h").port());
    assertEquals("/prefix", Endpoint.parse("http://h:1/prefix").basePath());
    assertThrows(IllegalArgumentException.class, () -> Endpoint.parse("ftp://h"));
  }
}
