package dev.neutrino.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.onnx.proto.OnnxProto.GraphProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ModelProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.NodeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TensorProto;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnsignedInputsTest {

  @Test
  void leavesModelsWithoutWideUnsignedInputsAlone() throws Exception {
    byte[] model =
        new OnnxModelBuilder("g")
            .input("x", DataType.UINT8, 2)
            .output("y", DataType.UINT8, 2)
            .node("Identity", List.of("x"), List.of("y"))
            .toByteArray();

    UnsignedInputs.Rewritten rewritten = UnsignedInputs.rewrite(model);

    assertSame(model, rewritten.model());
    assertEquals(Map.of(), rewritten.bySessionName());
  }

  @Test
  void declaresSignedTwinsInPlaceAndCastsThemBackFirst() throws Exception {
    byte[] model =
        new OnnxModelBuilder("g")
            .input("a", DataType.FP32, 2)
            .input("b", DataType.UINT64, -1)
            .output("c", DataType.UINT64, -1)
            .node("Identity", List.of("b"), List.of("c"))
            .toByteArray();

    UnsignedInputs.Rewritten rewritten = UnsignedInputs.rewrite(model);

    GraphProto graph = ModelProto.parseFrom(rewritten.model()).getGraph();
    assertEquals("a", graph.getInput(0).getName());
    assertEquals("b__neutrino_signed", graph.getInput(1).getName());
    assertEquals(
        TensorProto.DataType.INT64_VALUE, graph.getInput(1).getType().getTensorType().getElemType());
    assertEquals(
        graph.getInput(1).getType().getTensorType().getShape(),
        ModelProto.parseFrom(model).getGraph().getInput(1).getType().getTensorType().getShape());
    NodeProto cast = graph.getNode(0);
    assertEquals("Cast", cast.getOpType());
    assertEquals(List.of("b__neutrino_signed"), cast.getInputList());
    assertEquals(List.of("b"), cast.getOutputList());
    assertEquals(TensorProto.DataType.UINT64_VALUE, cast.getAttribute(0).getI());
    assertEquals("Identity", graph.getNode(1).getOpType());
    assertEquals("c", graph.getOutput(0).getName());
    assertEquals(
        Map.of(
            "b__neutrino_signed",
            new UnsignedInputs.Renamed("b", DataType.UINT64, "b__neutrino_signed")),
        rewritten.bySessionName());
  }

  @Test
  void leavesInputsWithADefaultInitializerAlone() throws Exception {
    ByteBuffer two = ByteBuffer.allocate(8);
    byte[] model =
        new OnnxModelBuilder("g")
            .input("x", DataType.UINT32, 2)
            .initializer("x", DataType.UINT32, new long[] {2}, two)
            .output("y", DataType.UINT32, 2)
            .node("Identity", List.of("x"), List.of("y"))
            .toByteArray();

    assertTrue(UnsignedInputs.rewrite(model).bySessionName().isEmpty());
  }

  @Test
  void scanFindsAWideUnsignedInputAfterTheInitializers(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("model.onnx");
    new OnnxModelBuilder("g")
        .initializer("big", new long[] {1024}, new float[1024])
        .input("a", DataType.FP32, 2)
        .input("b", DataType.UINT16, 2)
        .output("c", DataType.UINT16, 2)
        .node("Identity", List.of("b"), List.of("c"))
        .writeTo(file);

    assertTrue(UnsignedInputs.mayDeclareOne(file));
  }

  @Test
  void scanFindsNoneInAModelWithoutOne(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("model.onnx");
    new OnnxModelBuilder("g")
        .input("a", DataType.INT64, 2)
        .output("c", DataType.UINT32, 2)
        .node("Cast", List.of("a"), List.of("c"), Map.of("to", 12L))
        .writeTo(file);

    assertFalse(UnsignedInputs.mayDeclareOne(file));
  }

  @Test
  void scanOfAFileThatIsNotAModelLeavesTheVerdictToOrt(@TempDir Path dir) throws Exception {
    Path file = Files.write(dir.resolve("model.onnx"), new byte[] {(byte) 0xFF, (byte) 0xFF, 0x7F});

    assertFalse(UnsignedInputs.mayDeclareOne(file));
  }

  @Test
  void refusesBytesThatAreNotAModel() {
    byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01};

    assertThrows(ModelLoadException.class, () -> UnsignedInputs.rewrite(garbage));
  }
}
