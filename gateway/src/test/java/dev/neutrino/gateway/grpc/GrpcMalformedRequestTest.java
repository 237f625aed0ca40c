package dev.neutrino.gateway.grpc;

import static dev.neutrino.gateway.grpc.GrpcTestClient.assertStatus;
import static dev.neutrino.gateway.grpc.GrpcTestClient.int32Input;
import static dev.neutrino.gateway.grpc.GrpcTestClient.simpleRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.InferParameter;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferInputTensor;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferRequestedOutputTensor;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad requests are refused with INVALID_ARGUMENT and a message naming the input (or output, or
 * parameter) at fault, and a message over the size limit with RESOURCE_EXHAUSTED; the connection
 * serves on after each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcMalformedRequestTest {
  /** The gateway's limit in this test: small, so that an oversized message is cheap to send. */
  static final long LIMIT = 1024 * 1024;

  Gateway gateway;
  GrpcTestClient client;

  @BeforeAll
  void start(@TempDir Path dir) {
    Path repo = TestGateways.exampleRepository(dir.resolve("repo"));
    gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withGrpcPort(0)
        .withModelRepository(repo).withMaxRequestBytes(LIMIT));
    client = new GrpcTestClient(gateway);
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    TestGateways.stop(gateway);
  }

  static Stream<Arguments> malformed() {
    return Stream.of(
        bad("too few elements for the shape", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, int32Input("INPUT0", 1, 2, 3).toBuilder().setShape(1, 16))),
        bad("a negative dimension", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, simpleRequest(0).getInputs(0).toBuilder().setShape(0, -1))),
        bad("dimensions whose product overflows", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, simpleRequest(0).getInputs(0).toBuilder()
                .setShape(0, Long.MAX_VALUE / 2).setShape(1, 16))),
        bad("an unknown datatype", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, simpleRequest(0).getInputs(0).toBuilder().setDatatype("FLOAT"))),
        bad("the configuration's spelling of a datatype", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, simpleRequest(0).getInputs(0).toBuilder().setDatatype("TYPE_INT32"))),
        bad("a datatype the model does not take", "INPUT1", () -> simpleRequest(0)
            .setInputs(1, InferInputTensor.newBuilder().setName("INPUT1").setDatatype("FP32").addShape(1)
                .addShape(16).setContents(floats(16)))),
        bad("contents in the field of another type", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, InferInputTensor.newBuilder().setName("INPUT0").setDatatype("INT32").addShape(1)
                .addShape(16).setContents(floats(16)))),
        bad("a missing input", "INPUT1", () -> ModelInferRequest.newBuilder().setModelName("simple")
            .addInputs(simpleRequest(0).getInputs(0))),
        bad("an unknown input", "EXTRA", () -> simpleRequest(0)
            .addInputs(int32Input("EXTRA", 1))),
        bad("an input given twice", "INPUT0", () -> simpleRequest(0)
            .addInputs(simpleRequest(0).getInputs(0))),
        bad("an unknown output", "NOPE", () -> simpleRequest(0)
            .addOutputs(InferRequestedOutputTensor.newBuilder().setName("NOPE"))),
        bad("an input with no data", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, simpleRequest(0).getInputs(0).toBuilder().clearContents())),
        bad("a value out of range for the type", "INPUT0", () -> ModelInferRequest.newBuilder()
            .setModelName("identity_fp32")
            .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("UINT8").addShape(1).addShape(1)
                .setContents(InferTensorContents.newBuilder().addUintContents(256)))),
        bad("raw bytes one short of the shape", "INPUT1", () -> raw(simpleRequest(0))
            .setRawInputContents(1, ByteString.copyFrom(new byte[63]))),
        bad("fewer raw entries than inputs", "raw_input_contents", () -> raw(simpleRequest(0))
            .clearRawInputContents().addRawInputContents(ByteString.copyFrom(new byte[64]))),
        bad("raw and typed contents together", "INPUT0", () -> raw(simpleRequest(0))
            .setInputs(0, simpleRequest(0).getInputs(0))),
        bad("a BYTES element longer than its data", "INPUT0", () -> ModelInferRequest.newBuilder()
            .setModelName("identity_fp32")
            .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("BYTES").addShape(1).addShape(1))
            .addRawInputContents(ByteString.copyFrom(new byte[] {9, 0, 0, 0, 'a', 'b'}))),
        bad("a priority that is not an integer", "priority", () -> simpleRequest(0)
            .putParameters("priority", InferParameter.newBuilder().setStringParam("high").build())),
        bad("a negative timeout", "timeout", () -> simpleRequest(0)
            .putParameters("timeout", GrpcTestClient.int64(-5))),
        bad("a shared-memory input", "INPUT0", () -> simpleRequest(0)
            .setInputs(0, simpleRequest(0).getInputs(0).toBuilder()
                .putParameters("shared_memory_region", InferParameter.newBuilder().setStringParam("r").build()))),
        bad("an input without a name", "inputs[0]", () -> simpleRequest(0)
            .setInputs(0, simpleRequest(0).getInputs(0).toBuilder().clearName())),
        bad("no inputs at all", "no inputs", () -> ModelInferRequest.newBuilder().setModelName("simple")));
  }

  private static Arguments bad(String what, String named, Supplier<ModelInferRequest.Builder> request) {
    return Arguments.of(what, named, request);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void malformedRequestIsInvalidArgumentNamingTheCulprit(
      String what, String named, Supplier<ModelInferRequest.Builder> request) {
    ModelInferRequest message = request.get().build();
    String description = assertStatus(Status.Code.INVALID_ARGUMENT, () -> client.blocking.modelInfer(message));
    assertTrue(description.contains(named), what + ": " + description);
    assertFalse(description.contains("Exception") || description.contains("/tmp"), description);
    assertEquals(2, client.blocking.modelInfer(simpleRequest(0).build()).getOutputsCount(), "still serving");
  }

  @Test
  void messageOverTheLimitIsResourceExhausted() {
    ModelInferRequest large = ModelInferRequest.newBuilder()
        .setModelName("identity_fp32")
        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32").addShape(1)
            .addShape(LIMIT / 4 + 1024))
        .addRawInputContents(ByteString.copyFrom(new byte[(int) LIMIT + 4096]))
        .build();
    for (int i = 0; i < 3; i++) {
      assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> client.blocking.modelInfer(large));
    }
    assertEquals(2, client.blocking.modelInfer(simpleRequest(0).build()).getOutputsCount(), "still serving");
  }

  @Test
  void shapeThatDecodesPastTheLimitIsResourceExhaustedNamingTheInput() {
    ModelInferRequest huge = simpleRequest(0)
        .setInputs(1, simpleRequest(0).getInputs(1).toBuilder().setShape(0, 1L << 40))
        .build();
    String message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> client.blocking.modelInfer(huge));
    assertTrue(message.contains("INPUT1"), message);
    // 200,000 INT64 zeros: about 200 KB on the wire (one byte each), 1.6 MB decoded, over the 1 MiB limit.
    InferTensorContents.Builder zeros = InferTensorContents.newBuilder();
    for (int i = 0; i < 200_000; i++) {
      zeros.addInt64Contents(0);
    }
    ModelInferRequest packed = ModelInferRequest.newBuilder()
        .setModelName("simple")
        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("INT64").addShape(1)
            .addShape(200_000).setContents(zeros))
        .build();
    assertTrue(packed.getSerializedSize() < LIMIT, "the message itself is under the limit");
    message = assertStatus(Status.Code.RESOURCE_EXHAUSTED, () -> client.blocking.modelInfer(packed));
    assertTrue(message.contains("INPUT0") && message.contains("[1,200000]"), message);
    assertEquals(2, client.blocking.modelInfer(simpleRequest(0).build()).getOutputsCount(), "still serving");
  }

  @Test
  void messageJustUnderTheLimitIsServed() {
    int elements = (int) (LIMIT / 4) - 1024;
    ModelInferRequest request = ModelInferRequest.newBuilder()
        .setModelName("identity_fp32")
        .addInputs(InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32").addShape(1)
            .addShape(elements))
        .addRawInputContents(ByteString.copyFrom(new byte[elements * 4]))
        .build();
    assertEquals(elements * 4, client.blocking.modelInfer(request).getRawOutputContents(0).size());
  }

  private static ModelInferRequest.Builder raw(ModelInferRequest.Builder typed) {
    ModelInferRequest.Builder raw = typed.clone();
    raw.clearRawInputContents();
    for (int i = 0; i < raw.getInputsCount(); i++) {
      raw.setInputs(i, raw.getInputs(i).toBuilder().clearContents());
      raw.addRawInputContents(ByteString.copyFrom(new byte[64]));
    }
    return raw;
  }

  private static InferTensorContents floats(int n) {
    InferTensorContents.Builder c = InferTensorContents.newBuilder();
    for (int i = 0; i < n; i++) {
      c.addFp32Contents(i);
    }
    return c.build();
  }
}
