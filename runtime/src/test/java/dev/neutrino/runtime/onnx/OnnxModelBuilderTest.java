package dev.neutrino.runtime.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.onnx.proto.OnnxProto.AttributeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.AttributeProto.AttributeType;
import dev.neutrino.runtime.onnx.proto.OnnxProto.GraphProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ModelProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.NodeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TensorProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TensorShapeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TypeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OnnxModelBuilderTest {

  private static ModelProto parse(OnnxModelBuilder builder) throws Exception {
    return ModelProto.parseFrom(builder.toByteArray());
  }

  @Test
  void writesModelHeaderWithOpset13AndIrVersion8() throws Exception {
    ModelProto model = parse(new OnnxModelBuilder("g"));

    assertEquals(8, model.getIrVersion());
    assertEquals("neutrino", model.getProducerName());
    assertEquals(1, model.getOpsetImportCount());
    assertEquals("", model.getOpsetImport(0).getDomain());
    assertEquals(13, model.getOpsetImport(0).getVersion());
    assertEquals("g", model.getGraph().getName());
  }

  @Test
  void writesInputsAndOutputsWithFixedAndSymbolicDimensions() throws Exception {
    GraphProto graph =
        parse(
                new OnnxModelBuilder("g")
                    .input("ids", DataType.INT64, -1, 128)
                    .input("mask", DataType.BOOL, 4, -1, -1)
                    .output("out", DataType.FP16, -1))
            .getGraph();

    assertEquals(2, graph.getInputCount());
    ValueInfoProto ids = graph.getInput(0);
    assertEquals("ids", ids.getName());
    TypeProto.Tensor idsType = ids.getType().getTensorType();
    assertEquals(TensorProto.DataType.INT64_VALUE, idsType.getElemType());
    TensorShapeProto idsShape = idsType.getShape();
    assertEquals(2, idsShape.getDimCount());
    assertEquals("batch", idsShape.getDim(0).getDimParam());
    assertFalse(idsShape.getDim(0).hasDimValue());
    assertEquals(128, idsShape.getDim(1).getDimValue());
    assertFalse(idsShape.getDim(1).hasDimParam());

    TypeProto.Tensor maskType = graph.getInput(1).getType().getTensorType();
    assertEquals(TensorProto.DataType.BOOL_VALUE, maskType.getElemType());
    TensorShapeProto maskShape = maskType.getShape();
    assertEquals(4, maskShape.getDim(0).getDimValue());
    assertEquals("d1", maskShape.getDim(1).getDimParam());
    assertEquals("d2", maskShape.getDim(2).getDimParam());

    assertEquals(1, graph.getOutputCount());
    assertEquals("out", graph.getOutput(0).getName());
    TypeProto.Tensor outType = graph.getOutput(0).getType().getTensorType();
    assertEquals(TensorProto.DataType.FLOAT16_VALUE, outType.getElemType());
    assertEquals("batch", outType.getShape().getDim(0).getDimParam());
  }

  @Test
  void rejectsDimensionsBelowMinusOne() {
    OnnxModelBuilder builder = new OnnxModelBuilder("g");
    IllegalArgumentException error =
        assertThrows(
            IllegalArgumentException.class, () -> builder.input("x", DataType.FP32, 2, -3));
    assertTrue(error.getMessage().contains("x"), error.getMessage());
  }

  @Test
  void storesInitializersAsLittleEndianRawData() throws Exception {
    ByteBuffer halves = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN);
    halves.putShort((short) 0x3C00).putShort((short) 0x4000).putShort((short) 0xC000).flip();
    GraphProto graph =
        parse(
                new OnnxModelBuilder("g")
                    .initializer("w", new long[] {2, 2}, new float[] {1f, -2.5f, 3f, 0.125f})
                    .initializer("ids", new long[] {3}, new long[] {7, -1, Long.MAX_VALUE})
                    .initializer("h", DataType.FP16, new long[] {3}, halves))
            .getGraph();

    assertEquals(3, graph.getInitializerCount());
    TensorProto w = graph.getInitializer(0);
    assertEquals("w", w.getName());
    assertEquals(TensorProto.DataType.FLOAT_VALUE, w.getDataType());
    assertEquals(List.of(2L, 2L), w.getDimsList());
    assertEquals(0, w.getFloatDataCount());
    float[] floats = new float[4];
    littleEndian(w.getRawData()).asFloatBuffer().get(floats);
    assertArrayEquals(new float[] {1f, -2.5f, 3f, 0.125f}, floats);

    TensorProto ids = graph.getInitializer(1);
    assertEquals(TensorProto.DataType.INT64_VALUE, ids.getDataType());
    assertEquals(List.of(3L), ids.getDimsList());
    long[] longs = new long[3];
    littleEndian(ids.getRawData()).asLongBuffer().get(longs);
    assertArrayEquals(new long[] {7, -1, Long.MAX_VALUE}, longs);

    TensorProto h = graph.getInitializer(2);
    assertEquals(TensorProto.DataType.FLOAT16_VALUE, h.getDataType());
    assertEquals(
        ByteString.copyFrom(new byte[] {0x00, 0x3C, 0x00, 0x40, 0x00, (byte) 0xC0}),
        h.getRawData());
  }

  @Test
  void leavesTheCallersBufferPositionAlone() {
    ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(1).putInt(2).flip();
    new OnnxModelBuilder("g").initializer("x", DataType.INT32, new long[] {2}, data);
    assertEquals(0, data.position());
    assertEquals(8, data.remaining());
  }

  @Test
  void rejectsInitializerWhoseByteCountDoesNotMatchItsShape() {
    OnnxModelBuilder builder = new OnnxModelBuilder("g");
    IllegalArgumentException error =
        assertThrows(
            IllegalArgumentException.class,
            () -> builder.initializer("w", new long[] {2, 3}, new float[] {1f, 2f}));
    assertTrue(error.getMessage().contains("w"), error.getMessage());
    assertTrue(error.getMessage().contains("24"), error.getMessage());
  }

  @Test
  void rejectsBytesInitializers() {
    OnnxModelBuilder builder = new OnnxModelBuilder("g");
    assertThrows(
        IllegalArgumentException.class,
        () -> builder.initializer("s", DataType.BYTES, new long[] {1}, ByteBuffer.allocate(5)));
  }

  @Test
  void writesNodesInOrderWithUniqueNames() throws Exception {
    GraphProto graph =
        parse(
                new OnnxModelBuilder("g")
                    .node("Add", List.of("a", "b"), List.of("c"))
                    .node("Add", List.of("c", "b"), List.of("d"))
                    .node("Relu", List.of("d"), List.of("e")))
            .getGraph();

    assertEquals(3, graph.getNodeCount());
    NodeProto first = graph.getNode(0);
    assertEquals("Add", first.getOpType());
    assertEquals(List.of("a", "b"), first.getInputList());
    assertEquals(List.of("c"), first.getOutputList());
    assertFalse(first.hasDomain());
    assertEquals(
        3, graph.getNodeList().stream().map(NodeProto::getName).distinct().count(),
        "node names must be unique");
    assertEquals("Relu", graph.getNode(2).getOpType());
  }

  @Test
  void writesEachAttributeKindWithItsType() throws Exception {
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("long", 5L);
    attributes.put("int", 3);
    attributes.put("float", 0.5f);
    attributes.put("double", 0.25);
    attributes.put("string", "NOTSET");
    attributes.put("ints", new long[] {1, -1});
    attributes.put("floats", new float[] {1.5f, 2f});
    NodeProto node =
        parse(new OnnxModelBuilder("g").node("Op", List.of("x"), List.of("y"), attributes))
            .getGraph()
            .getNode(0);

    assertEquals(7, node.getAttributeCount());
    Map<String, AttributeProto> byName = new LinkedHashMap<>();
    node.getAttributeList().forEach(a -> byName.put(a.getName(), a));
    assertEquals(AttributeType.INT, byName.get("long").getType());
    assertEquals(5, byName.get("long").getI());
    assertEquals(AttributeType.INT, byName.get("int").getType());
    assertEquals(3, byName.get("int").getI());
    assertEquals(AttributeType.FLOAT, byName.get("float").getType());
    assertEquals(0.5f, byName.get("float").getF());
    assertEquals(AttributeType.FLOAT, byName.get("double").getType());
    assertEquals(0.25f, byName.get("double").getF());
    assertEquals(AttributeType.STRING, byName.get("string").getType());
    assertEquals("NOTSET", byName.get("string").getS().toStringUtf8());
    assertEquals(AttributeType.INTS, byName.get("ints").getType());
    assertEquals(List.of(1L, -1L), byName.get("ints").getIntsList());
    assertEquals(AttributeType.FLOATS, byName.get("floats").getType());
    assertEquals(List.of(1.5f, 2f), byName.get("floats").getFloatsList());
  }

  @Test
  void writesAttributesSortedByNameWhateverTheMapOrder() throws Exception {
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("transB", 1L);
    attributes.put("alpha", 1f);
    attributes.put("beta", 1f);
    NodeProto node =
        parse(new OnnxModelBuilder("g").node("Gemm", List.of("a", "b"), List.of("c"), attributes))
            .getGraph()
            .getNode(0);
    assertEquals(
        List.of("alpha", "beta", "transB"),
        node.getAttributeList().stream().map(AttributeProto::getName).toList());
  }

  @Test
  void rejectsAttributeOfUnsupportedTypeNamingIt() {
    OnnxModelBuilder builder = new OnnxModelBuilder("g");
    IllegalArgumentException error =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                builder.node("Op", List.of("x"), List.of("y"), Map.of("perm", new int[] {1, 0})));
    assertTrue(error.getMessage().contains("perm"), error.getMessage());
  }

  @Test
  void producesIdenticalBytesForIdenticalCalls() {
    assertArrayEquals(sampleModel().toByteArray(), sampleModel().toByteArray());
  }

  @Test
  void writeToCreatesParentDirectories(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("m").resolve("1").resolve("model.onnx");
    OnnxModelBuilder builder = sampleModel();
    builder.writeTo(file);
    assertArrayEquals(builder.toByteArray(), Files.readAllBytes(file));
  }

  @Test
  void keepsFieldsItDoesNotDeclareThroughParseAndSerialize() throws Exception {
    ModelProto written = ModelProto.parseFrom(sampleModel().toByteArray());
    // ModelProto.functions (25) and GraphProto.quantization_annotation (14) are not declared.
    UnknownFieldSet.Field opaque =
        UnknownFieldSet.Field.newBuilder()
            .addLengthDelimited(ByteString.copyFromUtf8("opaque"))
            .build();
    ModelProto extended =
        written.toBuilder()
            .setUnknownFields(UnknownFieldSet.newBuilder().addField(25, opaque).build())
            .setGraph(
                written.getGraph().toBuilder()
                    .setUnknownFields(UnknownFieldSet.newBuilder().addField(14, opaque).build()))
            .build();

    ModelProto reparsed = ModelProto.parseFrom(extended.toByteArray());

    assertTrue(reparsed.getUnknownFields().hasField(25));
    assertTrue(reparsed.getGraph().getUnknownFields().hasField(14));
    assertArrayEquals(extended.toByteArray(), reparsed.toByteArray());
  }

  @Test
  void writesModelsThatOnnxRuntimeRuns() throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        OrtSession session = env.createSession(sampleModel().toByteArray(), options);
        OnnxTensor x = OnnxTensor.createTensor(env, new float[][] {{1, 0, 0, 1}, {0, 1, 0, 0}});
        OrtSession.Result result = session.run(Map.of("x", x))) {
      float[][] y = (float[][]) result.get(0).getValue();
      // rows of w are {1,2} {3,4} {5,6} {7,8}; b = {0.5, -0.5}
      assertArrayEquals(new float[] {8.5f, 9.5f}, y[0]);
      assertArrayEquals(new float[] {3.5f, 3.5f}, y[1]);
    }
  }

  @ParameterizedTest
  @EnumSource(DataType.class)
  void mapsEveryDataTypeToOnnxAndBack(DataType type) {
    int onnx = OnnxModelBuilder.onnxElementType(type);
    assertTrue(onnx > 0, type + " -> " + onnx);
    assertTrue(TensorProto.DataType.forNumber(onnx) != null, type + " -> " + onnx);
    assertEquals(type, OnnxModelBuilder.fromOnnxElementType(onnx));
  }

  @Test
  void mapsDataTypesToOnnxNumbers() {
    assertEquals(1, OnnxModelBuilder.onnxElementType(DataType.FP32));
    assertEquals(6, OnnxModelBuilder.onnxElementType(DataType.INT32));
    assertEquals(7, OnnxModelBuilder.onnxElementType(DataType.INT64));
    assertEquals(8, OnnxModelBuilder.onnxElementType(DataType.BYTES));
    assertEquals(9, OnnxModelBuilder.onnxElementType(DataType.BOOL));
    assertEquals(10, OnnxModelBuilder.onnxElementType(DataType.FP16));
    assertEquals(11, OnnxModelBuilder.onnxElementType(DataType.FP64));
    assertEquals(16, OnnxModelBuilder.onnxElementType(DataType.BF16));
  }

  @Test
  void mapsDistinctDataTypesToDistinctOnnxNumbers() {
    Set<Integer> seen = new HashSet<>();
    for (DataType type : EnumSet.allOf(DataType.class)) {
      assertTrue(seen.add(OnnxModelBuilder.onnxElementType(type)), "duplicate for " + type);
    }
  }

  @Test
  void hasNoDataTypeForOnnxTypesNeutrinoLacks() {
    assertNull(OnnxModelBuilder.fromOnnxElementType(TensorProto.DataType.UNDEFINED_VALUE));
    assertNull(OnnxModelBuilder.fromOnnxElementType(TensorProto.DataType.COMPLEX64_VALUE));
    assertNull(OnnxModelBuilder.fromOnnxElementType(TensorProto.DataType.FLOAT8E4M3FN_VALUE));
    assertNull(OnnxModelBuilder.fromOnnxElementType(999));
  }

  private static ByteBuffer littleEndian(ByteString bytes) {
    return bytes.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  private static OnnxModelBuilder sampleModel() {
    return new OnnxModelBuilder("sample")
        .input("x", DataType.FP32, -1, 4)
        .output("y", DataType.FP32, -1, 2)
        .initializer("w", new long[] {4, 2}, new float[] {1, 2, 3, 4, 5, 6, 7, 8})
        .initializer("b", new long[] {2}, new float[] {0.5f, -0.5f})
        .node("Gemm", List.of("x", "w", "b"), List.of("y"), Map.of("alpha", 1f, "beta", 1f));
  }
}
