package dev.neutrino.gateway.grpc;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import dev.neutrino.gateway.generate.GenerationCall;
import dev.neutrino.gateway.generate.GenerationModels;
import dev.neutrino.gateway.generate.SamplingJson;
import dev.neutrino.gateway.grpc.proto.InferParameter;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import dev.neutrino.gateway.openai.OpenAiTask;
import dev.neutrino.generation.Completion;
import dev.neutrino.generation.FinishReason;
import dev.neutrino.generation.GenerationRequest;
import dev.neutrino.generation.SamplingParams;
import dev.neutrino.repo.ModelRepository;
import dev.neutrino.runtime.InferenceException;
import io.vertx.core.Vertx;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * One request of a {@code ModelStreamInfer} call to a generative model ({@code task: generation}),
 * answered as Triton's decoupled models answer: one {@code ModelStreamInferResponse} per piece of
 * text (output {@code text_output}, BYTES, shape [1]) with the parameter {@code triton_final_response}
 * false, then a last one without outputs and with {@code triton_final_response} true, every one
 * tagged with the request's model, version and id.
 *
 * <p>The request carries the prompt as the BYTES input {@code text_input} (one element) and the
 * sampling fields of Triton's generate extension as request parameters ({@code max_tokens},
 * {@code temperature}, {@code top_p}, {@code seed}, {@code stop}). A request that fails is answered
 * by one error response, as any request of the stream is.
 *
 * <p>Thread-safety: confined to the stream's event loop, as {@link StreamInferCall} is.
 */
final class StreamGeneration implements GenerationCall.Output {
  static final String INPUT = "text_input";
  static final String OUTPUT = "text_output";
  static final String FINAL = "triton_final_response";
  private static final List<String> SAMPLING = List.of("max_tokens", "temperature", "top_p", "seed", "stop");

  private final ModelInferRequest request;
  private final Consumer<ModelStreamInferResponse> write;
  private final Consumer<String> done;
  private String servedVersion;

  /**
   * @param write where each answer goes
   * @param done called once when the request has been answered in full: with null, or the error
   *     message to answer instead
   */
  private StreamGeneration(ModelInferRequest request, Consumer<ModelStreamInferResponse> write,
      Consumer<String> done) {
    this.request = request;
    this.write = write;
    this.done = done;
  }

  /** Whether {@code request} names a generative model; false when it names none (inference says why). */
  static boolean generates(ModelRepository repository, ModelInferRequest request) {
    try {
      return OpenAiTask.of(repository.find(request.getModelName(), request.getModelVersion()).config())
          == OpenAiTask.GENERATION;
    } catch (InferenceException e) {
      return false;
    }
  }

  /** Starts generating for {@code request}; on the stream's event loop. */
  static void start(Vertx vertx, ModelRepository repository, GenerationModels models, GenerationCall.Client client,
      ModelInferRequest request, Consumer<ModelStreamInferResponse> write, Consumer<String> done) {
    StreamGeneration output = new StreamGeneration(request, write, done);
    String prompt;
    SamplingParams sampling;
    try {
      prompt = prompt(request);
      sampling = SamplingJson.read(sampling(request), SamplingParams.DEFAULT_MAX_TOKENS);
    } catch (InferenceException e) {
      output.fail(e);
      return;
    }
    String version = request.getModelVersion().isEmpty() ? null : request.getModelVersion();
    GenerationCall.start(vertx, repository, models, client, request.getModelName(), version,
        served -> new GenerationRequest(served.tokenizer().encode(prompt), sampling), output);
  }

  /** The one element of the BYTES input {@code text_input}, as UTF-8 text. */
  private static String prompt(ModelInferRequest request) {
    for (int i = 0; i < request.getInputsCount(); i++) {
      ModelInferRequest.InferInputTensor input = request.getInputs(i);
      if (!input.getName().equals(INPUT)) {
        continue;
      }
      if (!input.getDatatype().equals("BYTES")) {
        throw new InferenceException.InvalidInput(INPUT + " must be BYTES, not " + input.getDatatype());
      }
      long elements = 1;
      for (long dim : input.getShapeList()) {
        elements *= dim;
      }
      if (elements != 1) {
        throw new InferenceException.InvalidInput(INPUT + " must hold one element, not " + elements);
      }
      if (request.getRawInputContentsCount() > 0) {
        if (i >= request.getRawInputContentsCount()) {
          throw new InferenceException.InvalidInput("raw_input_contents has no entry for " + INPUT);
        }
        ByteBuffer raw = request.getRawInputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        long length = raw.remaining() >= 4 ? Integer.toUnsignedLong(raw.getInt()) : -1;
        if (length != raw.remaining()) {
          throw new InferenceException.InvalidInput(INPUT
              + "'s raw contents must be one element: a 4-byte length and that many bytes");
        }
        byte[] text = new byte[raw.remaining()];
        raw.get(text);
        return new String(text, StandardCharsets.UTF_8);
      }
      if (input.getContents().getBytesContentsCount() != 1) {
        throw new InferenceException.InvalidInput(INPUT + " must hold one element in bytes_contents");
      }
      return input.getContents().getBytesContents(0).toStringUtf8();
    }
    throw new InferenceException.InvalidInput("the request has no input " + INPUT);
  }

  /** The request's sampling parameters as the generate extension's JSON fields. */
  private static ObjectNode sampling(ModelInferRequest request) {
    ObjectNode fields = JsonNodeFactory.instance.objectNode();
    for (String name : SAMPLING) {
      InferParameter parameter = request.getParametersMap().get(name);
      if (parameter == null) {
        continue;
      }
      switch (parameter.getParameterChoiceCase()) {
        case INT64_PARAM -> fields.put(name, parameter.getInt64Param());
        case UINT64_PARAM -> fields.put(name, parameter.getUint64Param());
        case DOUBLE_PARAM -> fields.put(name, parameter.getDoubleParam());
        case STRING_PARAM -> fields.put(name, parameter.getStringParam());
        case BOOL_PARAM -> fields.put(name, parameter.getBoolParam());
        default -> { }
      }
    }
    return fields;
  }

  @Override
  public void started(String version, GenerationRequest generation) {
    servedVersion = version;
  }

  @Override
  public void text(String piece) {
    byte[] text = piece.getBytes(StandardCharsets.UTF_8);
    ByteBuffer raw = ByteBuffer.allocate(4 + text.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.putInt(text.length).put(text).flip();
    write.accept(ModelStreamInferResponse.newBuilder().setInferResponse(answer(false)
        .addOutputs(ModelInferResponse.InferOutputTensor.newBuilder().setName(OUTPUT).setDatatype("BYTES")
            .addShape(1))
        .addRawOutputContents(ByteString.copyFrom(raw))).build());
  }

  @Override
  public void finish(Completion completion) {
    if (completion.reason() != FinishReason.CANCELLED) {
      write.accept(ModelStreamInferResponse.newBuilder().setInferResponse(answer(true)).build());
    }
    done.accept(null);
  }

  @Override
  public void fail(Throwable failure) {
    done.accept(GrpcStatusMapping.of(failure, "ModelStreamInfer").message());
  }

  private ModelInferResponse.Builder answer(boolean last) {
    return ModelInferResponse.newBuilder()
        .setModelName(request.getModelName())
        .setModelVersion(servedVersion != null ? servedVersion : request.getModelVersion())
        .setId(request.getId())
        .putParameters(FINAL, InferParameter.newBuilder().setBoolParam(last).build());
  }
}
