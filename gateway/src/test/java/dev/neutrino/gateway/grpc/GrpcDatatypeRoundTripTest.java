package dev.neutrino.gateway.grpc;

import static dev.neutrino.gateway.grpc.GrpcTestClient.assertStatus;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferInputTensor;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.OnnxModelBuilder;
import io.grpc.Status;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every datatype travels through an identity model unchanged, as typed contents and as raw contents. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcDatatypeRoundTripTest {
  Gateway gateway;
  GrpcTestClient client;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    Path repo = dir.resolve("repo");
    for (DataType type : DataType.values()) {
      new OnnxModelBuilder("identity")
          .input("INPUT0", type, -1, 4)
          .output("OUTPUT0", type, -1, 4)
          .node("Identity", List.of("INPUT0"), List.of("OUTPUT0"))
          .writeTo(repo.resolve(modelName(type)).resolve("1").resolve("model.onnx"));
    }
    gateway = TestGateways.start(repo);
    client = new GrpcTestClient(gateway);
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    TestGateways.stop(gateway);
  }

  private static String modelName(DataType type) {
    return "identity_" + type.name().toLowerCase(Locale.ROOT);
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void rawRoundTripIsByteExact(DataType type) {
    byte[] raw = rawValues(type);
    ModelInferRequest request = ModelInferRequest.newBuilder()
        .setModelName(modelName(type))
        .setId("raw-" + type)
        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype(type.wireName()).addShape(1).addShape(4))
        .addRawInputContents(ByteString.copyFrom(raw))
        .build();
    ModelInferResponse response = client.blocking.modelInfer(request);
    assertEquals("raw-" + type, response.getId());
    ModelInferResponse.InferOutputTensor output = response.getOutputs(0);
    assertEquals(type.wireName(), output.getDatatype());
    assertEquals(List.of(1L, 4L), output.getShapeList());
    assertFalse(output.hasContents());
    assertArrayEquals(raw, response.getRawOutputContents(0).toByteArray());
  }

  @ParameterizedTest
  @EnumSource(value = DataType.class, names = {"FP16", "BF16"}, mode = EnumSource.Mode.EXCLUDE)
  void typedRoundTripKeepsValues(DataType type) {
    InferTensorContents contents = typedValues(type);
    ModelInferRequest request = ModelInferRequest.newBuilder()
        .setModelName(modelName(type))
        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype(type.wireName())
            .addShape(1).addShape(4).setContents(contents))
        .build();
    ModelInferResponse response = client.blocking.modelInfer(request);
    assertEquals(0, response.getRawOutputContentsCount(), "a typed request is answered typed");
    ModelInferResponse.InferOutputTensor output = response.getOutputs(0);
    assertEquals(type.wireName(), output.getDatatype());
    assertEquals(List.of(1L, 4L), output.getShapeList());
    assertEquals(contents, output.getContents());
  }

  @ParameterizedTest
  @EnumSource(value = DataType.class, names = {"FP16", "BF16"})
  void halfPrecisionTravelsOnlyRaw(DataType type) {
    ModelInferRequest request = ModelInferRequest.newBuilder()
        .setModelName(modelName(type))
        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype(type.wireName())
            .addShape(1).addShape(4)
            .setContents(InferTensorContents.newBuilder().addFp32Contents(1).addFp32Contents(2)
                .addFp32Contents(3).addFp32Contents(4)))
        .build();
    String message = assertStatus(Status.Code.INVALID_ARGUMENT, () -> client.blocking.modelInfer(request));
    assertTrue(message.contains("INPUT0") && message.contains("raw_input_contents"), message);
  }

  /** Four elements at the edges of each type's range, in the contents field of the type. */
  private static InferTensorContents typedValues(DataType type) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    switch (type) {
      case BOOL -> c.addBoolContents(true).addBoolContents(false).addBoolContents(false).addBoolContents(true);
      case UINT8 -> c.addUintContents(0).addUintContents(255).addUintContents(1).addUintContents(128);
      case UINT16 -> c.addUintContents(0).addUintContents(65535).addUintContents(1).addUintContents(32768);
      case UINT32 -> c.addUintContents(0).addUintContents(-1).addUintContents(1).addUintContents(Integer.MIN_VALUE);
      case UINT64 -> c.addUint64Contents(0).addUint64Contents(-1L).addUint64Contents(1)
          .addUint64Contents(Long.MIN_VALUE);
      case INT8 -> c.addIntContents(-128).addIntContents(127).addIntContents(0).addIntContents(-1);
      case INT16 -> c.addIntContents(-32768).addIntContents(32767).addIntContents(0).addIntContents(-1);
      case INT32 -> c.addIntContents(Integer.MIN_VALUE).addIntContents(Integer.MAX_VALUE).addIntContents(0)
          .addIntContents(-1);
      case INT64 -> c.addInt64Contents(Long.MIN_VALUE).addInt64Contents(Long.MAX_VALUE).addInt64Contents(0)
          .addInt64Contents(-1);
      case FP32 -> c.addFp32Contents(1.5f).addFp32Contents(-2.25f).addFp32Contents(0f).addFp32Contents(3.0e10f);
      case FP64 -> c.addFp64Contents(1.0e-300).addFp64Contents(-2.5).addFp64Contents(0)
          .addFp64Contents(Double.MAX_VALUE);
      case BYTES -> c.addBytesContents(ByteString.copyFromUtf8("a"))
          .addBytesContents(ByteString.copyFromUtf8("h\u00e9llo \u2603"))
          .addBytesContents(ByteString.EMPTY)
          .addBytesContents(ByteString.copyFromUtf8("x\u0000y\n"));
      default -> throw new IllegalArgumentException(type.toString());
    }
    return c.build();
  }

  /** Raw little-endian bytes of four elements of {@code type}. */
  private static byte[] rawValues(DataType type) {
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
    if (type == DataType.BOOL) {
      return new byte[] {1, 0, 0, 1};
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
      return b.array();
    }
    ByteBuffer b = ByteBuffer.allocate(4 * type.elementSize()).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < 4; i++) {
      switch (type) {
        case FP32 -> b.putFloat(i * 1.25f - 2f);
        case FP64 -> b.putDouble(i * 1e100 - 3.5);
        default -> {
          for (int k = 0; k < type.elementSize(); k++) {
            b.put((byte) ((i * type.elementSize() + k) * 37 + 11));
          }
        }
      }
    }
    return b.array();
  }
}
