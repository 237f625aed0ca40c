package dev.neutrino.gateway.warmup;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.openai.OpenAiTask;
import dev.neutrino.repo.ModelConfig;
import dev.neutrino.repo.TensorConfig;
import dev.neutrino.runtime.DataType;
import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * One model's warm-up request, in each form the front ends read: a JSON body, a binary body (Triton's
 * binary tensor extension, outputs asked for binary as well) and a gRPC {@code ModelInferRequest}
 * message, length-prefixed. Its tensors are one row of zeros (false for BOOL). Immutable.
 *
 * @param json null when an input has no JSON form (FP16, BF16): such a model warms over binary and gRPC
 * @param binaryHeaderLength the binary body's {@code Inference-Header-Content-Length}
 */
record WarmupTarget(String model, Buffer json, Buffer binary, int binaryHeaderLength, Buffer grpc) {
  /** The most bytes one warm-up tensor may take: the request path, not the model, is what is warmed. */
  static final long MAX_TENSOR_BYTES = 1 << 20;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The warm-up request of the model {@code config} describes, or null when it cannot have one: a
   * model that generates text (answered as a stream), one with a BYTES input or an input over
   * {@link #MAX_TENSOR_BYTES}, or an ensemble (its steps are warmed as models of their own, and
   * requests it sent them would be counted). Variable dimensions are 1.
   */
  static WarmupTarget of(ModelConfig config) {
    if (OpenAiTask.of(config) == OpenAiTask.GENERATION || config.ensemble() != null || config.inputs().isEmpty()) {
      return null;
    }
    boolean batched = config.maxBatchSize() > 0;
    boolean jsonForm = true;
    ObjectNode jsonRequest = JSON.createObjectNode();
    ArrayNode jsonInputs = jsonRequest.putArray("inputs");
    ObjectNode binaryRequest = JSON.createObjectNode();
    ArrayNode binaryInputs = binaryRequest.putArray("inputs");
    binaryRequest.putObject("parameters").put("binary_data_output", true);
    ModelInferRequest.Builder grpc = ModelInferRequest.newBuilder().setModelName(config.name());
    List<byte[]> raw = new ArrayList<>();
    for (TensorConfig input : config.inputs()) {
      DataType type = input.dataType();
      if (!type.isFixedSize()) {
        return null;
      }
      long[] shape = input.fullShape(batched);
      long elements = 1;
      for (int i = 0; i < shape.length; i++) {
        shape[i] = Math.max(shape[i], 1);
        elements *= shape[i];
      }
      long bytes = elements * type.elementSize();
      if (bytes > MAX_TENSOR_BYTES) {
        return null;
      }
      jsonForm &= type.hasJsonForm();
      ObjectNode jsonInput = describe(jsonInputs.addObject(), input.name(), type, shape);
      ArrayNode data = jsonInput.putArray("data");
      for (long i = 0; i < elements; i++) {
        if (type == DataType.BOOL) {
          data.add(false);
        } else {
          data.add(0);
        }
      }
      describe(binaryInputs.addObject(), input.name(), type, shape)
          .putObject("parameters").put("binary_data_size", bytes);
      ModelInferRequest.InferInputTensor.Builder tensor = grpc.addInputsBuilder()
          .setName(input.name()).setDatatype(type.wireName());
      for (long dim : shape) {
        tensor.addShape(dim);
      }
      byte[] zeros = new byte[(int) bytes];
      raw.add(zeros);
      grpc.addRawInputContents(ByteString.copyFrom(zeros));
    }
    byte[] header = JSON.valueToTree(binaryRequest).toString().getBytes(StandardCharsets.UTF_8);
    Buffer binary = Buffer.buffer().appendBytes(header);
    raw.forEach(binary::appendBytes);
    byte[] message = grpc.build().toByteArray();
    Buffer frame = Buffer.buffer(5 + message.length).appendByte((byte) 0).appendInt(message.length)
        .appendBytes(message);
    Buffer json = jsonForm ? Buffer.buffer(jsonRequest.toString()) : null;
    return new WarmupTarget(config.name(), json, binary, header.length, frame);
  }

  private static ObjectNode describe(ObjectNode tensor, String name, DataType type, long[] shape) {
    tensor.put("name", name).put("datatype", type.wireName());
    ArrayNode dims = tensor.putArray("shape");
    for (long dim : shape) {
      dims.add(dim);
    }
    return tensor;
  }
}
