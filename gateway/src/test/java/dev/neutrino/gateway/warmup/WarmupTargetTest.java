package dev.neutrino.gateway.warmup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.repo.EnsembleConfig;
import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import dev.neutrino.repo.VersionPolicy;
import dev.neutrino.runtime.DataType;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The warm-up request of a model, in each of its three forms, read back as the gateway would. */
class WarmupTargetTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ModelConfig model(int maxBatchSize, Map<String, String> parameters, TensorConfig... inputs) {
    return new ModelConfig("m", "onnxruntime_onnx", "onnxruntime", maxBatchSize, List.of(inputs),
        List.of(new TensorConfig("out", DataType.FP32, new long[] {1})), List.of(), "model.onnx", parameters);
  }

  @Test
  void aBatchingModelGetsOneRowOfZerosInEveryForm() throws Exception {
    WarmupTarget target = WarmupTarget.of(model(8, Map.of(),
        new TensorConfig("ids", DataType.INT64, new long[] {3}),
        new TensorConfig("mask", DataType.BOOL, new long[] {-1, 2})));
    assertNotNull(target);

    JsonNode json = JSON.readTree(target.json().toString());
    JsonNode ids = json.get("inputs").get(0);
    assertEquals("ids", ids.get("name").asText());
    assertEquals("INT64", ids.get("datatype").asText());
    assertEquals("[1,3]", ids.get("shape").toString());
    assertEquals("[0,0,0]", ids.get("data").toString());
    JsonNode mask = json.get("inputs").get(1);
    assertEquals("[1,1,2]", mask.get("shape").toString(), "a variable dimension is 1");
    assertEquals("[false,false]", mask.get("data").toString());

    Buffer binary = target.binary();
    JsonNode header = JSON.readTree(binary.getString(0, target.binaryHeaderLength()));
    assertEquals(24, header.get("inputs").get(0).get("parameters").get("binary_data_size").asLong());
    assertEquals(2, header.get("inputs").get(1).get("parameters").get("binary_data_size").asLong());
    assertTrue(header.get("parameters").get("binary_data_output").asBoolean());
    assertEquals(target.binaryHeaderLength() + 26, binary.length(), "the header, then the tensors' bytes");
    assertArrayEquals(new byte[26], binary.getBytes(target.binaryHeaderLength(), binary.length()));

    Buffer frame = target.grpc();
    assertEquals(0, frame.getByte(0), "not compressed");
    assertEquals(frame.length() - 5, frame.getInt(1), "the length prefix");
    ModelInferRequest message = ModelInferRequest.parseFrom(frame.getBytes(5, frame.length()));
    assertEquals("m", message.getModelName());
    assertEquals(List.of(1L, 3L), message.getInputs(0).getShapeList());
    assertEquals("BOOL", message.getInputs(1).getDatatype());
    assertEquals(24, message.getRawInputContents(0).size());
    assertEquals(2, message.getRawInputContents(1).size());
  }

  @Test
  void aModelThatDoesNotBatchKeepsItsShape() throws Exception {
    WarmupTarget target = WarmupTarget.of(model(0, Map.of(), new TensorConfig("x", DataType.FP32, new long[] {2, 2})));
    assertEquals("[2,2]", JSON.readTree(target.json().toString()).get("inputs").get(0).get("shape").toString());
  }

  @Test
  void halfPrecisionHasNoJsonFormButTravelsBinaryAndGrpc() {
    WarmupTarget target = WarmupTarget.of(model(4, Map.of(), new TensorConfig("x", DataType.FP16, new long[] {4})));
    assertNull(target.json());
    assertEquals(target.binaryHeaderLength() + 8, target.binary().length());
  }

  @Test
  void modelsThatCannotTakeARowOfZerosAreLeftOut() {
    assertNull(WarmupTarget.of(model(4, Map.of(), new TensorConfig("text", DataType.BYTES, new long[] {1}))),
        "BYTES");
    assertNull(WarmupTarget.of(model(4, Map.of(),
        new TensorConfig("x", DataType.FP32, new long[] {WarmupTarget.MAX_TENSOR_BYTES / 4 + 1}))), "too large");
    assertNull(WarmupTarget.of(model(4, Map.of("task", "generation"),
        new TensorConfig("ids", DataType.INT64, new long[] {8}))), "generates text: answered as a stream");
    ModelConfig ensemble = new ModelConfig("e", "ensemble", "", 4,
        List.of(new TensorConfig("x", DataType.FP32, new long[] {1})),
        List.of(new TensorConfig("y", DataType.FP32, new long[] {1})), List.of(), "", Map.of(), null,
        VersionPolicy.DEFAULT, List.of(), false,
        new EnsembleConfig(List.of(new EnsembleConfig.Step("m", -1, Map.of("x", "x"), Map.of("out", "y")))));
    assertNull(WarmupTarget.of(ensemble), "an ensemble: its steps are warmed as models");
  }
}
