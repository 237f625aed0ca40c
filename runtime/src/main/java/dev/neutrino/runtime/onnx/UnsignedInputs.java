package dev.neutrino.runtime.onnx;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.ModelLoadException;
import dev.neutrino.runtime.onnx.proto.OnnxProto.AttributeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.GraphProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ModelProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.NodeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.OperatorSetIdProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TensorProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.TypeProto;
import dev.neutrino.runtime.onnx.proto.OnnxProto.ValueInfoProto;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a model so that ONNX Runtime's Java API can feed its UINT16, UINT32 and UINT64 inputs,
 * which it cannot create tensors of.
 *
 * <p>Each such graph input {@code x} is re-declared as its signed twin (INT16/32/64) under a new,
 * unused name, and a {@code Cast} to the unsigned type, placed first in the graph, produces {@code x}
 * from it. Nothing else in the graph changes, subgraphs included, since {@code x} still names the
 * same unsigned value. A cast between same-width integers keeps the bit pattern, so the bytes a caller
 * sends for the unsigned input are fed unchanged. Inputs that have an initializer of the same name
 * (defaults a caller may override) are left alone: ORT does not list them as inputs.
 */
final class UnsignedInputs {
  private static final String SIGNED_SUFFIX = "__neutrino_signed";
  private static final String DEFAULT_DOMAIN = "";
  /** The default-domain opset to import when a model imports none (Cast has had this form since 6). */
  private static final long FALLBACK_OPSET = 13;

  /** A protobuf tag: the field number shifted left by three, or'ed with the wire type. */
  private static final int GRAPH_TAG =
      ModelProto.GRAPH_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int INPUT_TAG =
      GraphProto.INPUT_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  private UnsignedInputs() {}

  /** An unsigned input that the session takes, under {@code sessionName}, as its signed twin. */
  record Renamed(String originalName, DataType originalType, String sessionName) {}

  /**
   * @param model the serialized, rewritten model
   * @param bySessionName the rewritten inputs, by the name the session knows them by
   */
  record Rewritten(byte[] model, Map<String, Renamed> bySessionName) {}

  /**
   * Rewrites every UINT16/32/64 graph input of a serialized model.
   *
   * @throws ModelLoadException when the bytes are not an ONNX model
   */
  static Rewritten rewrite(byte[] serialized) throws ModelLoadException {
    ModelProto model;
    try {
      model = ModelProto.parseFrom(serialized);
    } catch (InvalidProtocolBufferException e) {
      throw new ModelLoadException("cannot parse the ONNX model: it is not a valid ModelProto", e);
    }
    GraphProto graph = model.getGraph();
    Set<String> taken = new HashSet<>();
    collectNames(graph, taken);
    Set<String> initializers = new HashSet<>();
    for (TensorProto initializer : graph.getInitializerList()) {
      initializers.add(initializer.getName());
    }

    GraphProto.Builder rewritten = graph.toBuilder();
    List<NodeProto> casts = new ArrayList<>();
    Map<String, Renamed> renamed = new LinkedHashMap<>();
    for (int i = 0; i < rewritten.getInputCount(); i++) {
      ValueInfoProto input = rewritten.getInput(i);
      if (!input.getType().hasTensorType() || initializers.contains(input.getName())) {
        continue;
      }
      int elementType = input.getType().getTensorType().getElemType();
      DataType unsigned = OnnxModelBuilder.fromOnnxElementType(elementType);
      if (unsigned == null || !OnnxElementTypes.isWideUnsigned(unsigned)) {
        continue;
      }
      String sessionName = unusedName(input.getName() + SIGNED_SUFFIX, taken);
      TypeProto signedType =
          input.getType().toBuilder()
              .setTensorType(
                  input.getType().getTensorType().toBuilder().setElemType(signedTwin(elementType)))
              .build();
      rewritten.setInput(i, input.toBuilder().setName(sessionName).setType(signedType).build());
      casts.add(
          NodeProto.newBuilder()
              .setName(unusedName("neutrino_cast_" + input.getName(), taken))
              .setOpType("Cast")
              .addInput(sessionName)
              .addOutput(input.getName())
              .addAttribute(
                  AttributeProto.newBuilder()
                      .setName("to")
                      .setType(AttributeProto.AttributeType.INT)
                      .setI(elementType))
              .build());
      renamed.put(sessionName, new Renamed(input.getName(), unsigned, sessionName));
    }
    if (casts.isEmpty()) {
      return new Rewritten(serialized, Map.of());
    }
    // The casts go first so that the nodes stay in topological order.
    List<NodeProto> nodes = new ArrayList<>(casts);
    nodes.addAll(rewritten.getNodeList());
    rewritten.clearNode().addAllNode(nodes);

    ModelProto.Builder result = model.toBuilder().setGraph(rewritten);
    boolean importsDefaultDomain =
        model.getOpsetImportList().stream().anyMatch(o -> o.getDomain().equals(DEFAULT_DOMAIN));
    if (!importsDefaultDomain) {
      result.addOpsetImport(
          OperatorSetIdProto.newBuilder().setDomain(DEFAULT_DOMAIN).setVersion(FALLBACK_OPSET));
    }
    return new Rewritten(result.build().toByteArray(), Map.copyOf(renamed));
  }

  /**
   * Whether the model in {@code modelFile} declares a UINT16/32/64 graph input, judged by reading only
   * the graph's input declarations and skipping everything else (initializers are skipped over, not
   * read). May answer {@code true} for an input that {@link #rewrite} then leaves alone; answers
   * {@code false} for a file that is not a model, leaving ORT to report what is wrong with it.
   */
  static boolean mayDeclareOne(Path modelFile) {
    try (InputStream in = Files.newInputStream(modelFile)) {
      CodedInputStream model = CodedInputStream.newInstance(in);
      for (int tag = model.readTag(); tag != 0; tag = model.readTag()) {
        if (tag != GRAPH_TAG) {
          model.skipField(tag);
          continue;
        }
        int limit = model.pushLimit(model.readRawVarint32());
        for (int graphTag = model.readTag(); graphTag != 0; graphTag = model.readTag()) {
          if (graphTag != INPUT_TAG) {
            model.skipField(graphTag);
            continue;
          }
          ValueInfoProto input =
              model.readMessage(ValueInfoProto.parser(), ExtensionRegistryLite.getEmptyRegistry());
          DataType type =
              OnnxModelBuilder.fromOnnxElementType(input.getType().getTensorType().getElemType());
          if (type != null && OnnxElementTypes.isWideUnsigned(type)) {
            return true;
          }
        }
        model.popLimit(limit);
      }
      return false;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static int signedTwin(int unsignedElementType) {
    return switch (unsignedElementType) {
      case TensorProto.DataType.UINT16_VALUE -> TensorProto.DataType.INT16_VALUE;
      case TensorProto.DataType.UINT32_VALUE -> TensorProto.DataType.INT32_VALUE;
      case TensorProto.DataType.UINT64_VALUE -> TensorProto.DataType.INT64_VALUE;
      default -> throw new IllegalArgumentException("not a wide unsigned type: " + unsignedElementType);
    };
  }

  private static String unusedName(String wanted, Set<String> taken) {
    String name = wanted;
    for (int n = 1; taken.contains(name); n++) {
      name = wanted + "_" + n;
    }
    taken.add(name);
    return name;
  }

  /** Every value and node name of a graph and of its subgraphs, which share one namespace. */
  private static void collectNames(GraphProto graph, Set<String> names) {
    graph.getInputList().forEach(v -> names.add(v.getName()));
    graph.getOutputList().forEach(v -> names.add(v.getName()));
    graph.getValueInfoList().forEach(v -> names.add(v.getName()));
    graph.getInitializerList().forEach(t -> names.add(t.getName()));
    for (NodeProto node : graph.getNodeList()) {
      names.add(node.getName());
      names.addAll(node.getInputList());
      names.addAll(node.getOutputList());
      for (AttributeProto attribute : node.getAttributeList()) {
        if (attribute.hasG()) {
          collectNames(attribute.getG(), names);
        }
        for (GraphProto subgraph : attribute.getGraphsList()) {
          collectNames(subgraph, names);
        }
      }
    }
  }
}
