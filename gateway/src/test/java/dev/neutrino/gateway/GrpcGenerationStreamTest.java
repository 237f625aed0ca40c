package dev.neutrino.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferParameter;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelConfigRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * ModelStreamInfer to the generative example model {@code tiny_lm}, from grpc-java's stubs, answered
 * as Triton's decoupled models answer: a response per piece of text, then a final one; checked
 * against the HTTP generate extension's answer to the same greedy request.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcGenerationStreamTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private Gateway gateway;
  private ManagedChannel channel;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async;
  private GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = TestGateways.start(TestGateways.exampleRepository(dir.resolve("repo")));
    channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(), InsecureChannelCredentials.create())
        .build();
    async = GRPCInferenceServiceGrpc.newStub(channel);
    blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  @AfterAll
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    TestGateways.stop(gateway);
  }

  private static ModelInferRequest.Builder generate(String id, String prompt, long maxTokens) {
    return ModelInferRequest.newBuilder().setModelName("tiny_lm").setId(id)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("text_input").setDatatype("BYTES")
            .addShape(1).setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8(prompt))))
        .putParameters("max_tokens", InferParameter.newBuilder().setInt64Param(maxTokens).build())
        .putParameters("temperature", InferParameter.newBuilder().setDoubleParam(0).build());
  }

  /** The one BYTES element of a response's {@code text_output}. */
  private static String text(ModelInferResponse response) {
    assertEquals("text_output", response.getOutputs(0).getName());
    assertEquals("BYTES", response.getOutputs(0).getDatatype());
    ByteBuffer raw = response.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    byte[] bytes = new byte[raw.getInt()];
    raw.get(bytes);
    assertFalse(raw.hasRemaining());
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private String httpGenerate(String prompt, int maxTokens) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + gateway.host() + ":" + gateway.httpPort()
            + "/v2/models/tiny_lm/generate")).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString("{\"text_input\": " + JSON.writeValueAsString(prompt)
            + ", \"max_tokens\": " + maxTokens + ", \"temperature\": 0}")).build();
    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
    assertEquals(200, response.statusCode(), response.body());
    return JSON.readTree(response.body()).get("text_output").asText();
  }

  /** Sends {@code requests} on one stream, half-closes it, and collects every answer until it ends. */
  private List<ModelStreamInferResponse> stream(ModelInferRequest... requests) throws Exception {
    List<ModelStreamInferResponse> answers = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    var out = async.withDeadlineAfter(60, TimeUnit.SECONDS).modelStreamInfer(new io.grpc.stub.StreamObserver<>() {
      @Override
      public void onNext(ModelStreamInferResponse answer) {
        answers.add(answer);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(null);
      }
    });
    for (ModelInferRequest request : requests) {
      out.onNext(request);
    }
    out.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    return answers;
  }

  private static boolean last(ModelInferResponse response) {
    InferParameter flag = response.getParametersMap().get("triton_final_response");
    return flag.getBoolParam();
  }

  @Test
  void theStreamedPiecesMakeTheHttpAnswerAndOnlyTheLastResponseIsFinal() throws Exception {
    String prompt = "The capital of France is";
    List<ModelStreamInferResponse> answers = stream(generate("g1", prompt, 24).build());
    assertTrue(answers.size() > 2, "answers: " + answers.size());
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < answers.size(); i++) {
      ModelStreamInferResponse answer = answers.get(i);
      assertEquals("", answer.getErrorMessage());
      ModelInferResponse response = answer.getInferResponse();
      assertEquals("g1", response.getId());
      assertEquals("tiny_lm", response.getModelName());
      assertEquals("1", response.getModelVersion());
      assertTrue(response.getParametersMap().containsKey("triton_final_response"));
      assertEquals(i == answers.size() - 1, last(response), "response " + i);
      if (i < answers.size() - 1) {
        text.append(text(response));
      } else {
        assertEquals(0, response.getOutputsCount());
      }
    }
    assertEquals(httpGenerate(prompt, 24), text.toString());
  }

  @Test
  void twoSequencesOnOneStreamEachEndWithTheirOwnFinalResponse() throws Exception {
    // The prompt also travels as raw_input_contents: a 4-byte little-endian length, then the bytes.
    byte[] prompt = "Once upon a time".getBytes(StandardCharsets.UTF_8);
    ByteBuffer raw = ByteBuffer.allocate(4 + prompt.length).order(ByteOrder.LITTLE_ENDIAN);
    raw.putInt(prompt.length).put(prompt).flip();
    ModelInferRequest.Builder rawRequest = generate("raw", "", 30);
    rawRequest.setInputs(0, rawRequest.getInputs(0).toBuilder().clearContents()).addRawInputContents(ByteString.copyFrom(raw));
    List<ModelStreamInferResponse> answers = stream(rawRequest.build(), generate("plain", "Hello", 10).build());
    for (String id : List.of("raw", "plain")) {
      List<ModelInferResponse> mine = answers.stream().map(ModelStreamInferResponse::getInferResponse)
          .filter(r -> r.getId().equals(id)).toList();
      assertEquals(1, mine.stream().filter(GrpcGenerationStreamTest::last).count(), id);
      assertTrue(last(mine.get(mine.size() - 1)), id);
      StringBuilder text = new StringBuilder();
      mine.stream().filter(r -> !last(r)).forEach(r -> text.append(text(r)));
      assertEquals(id.equals("raw") ? httpGenerate("Once upon a time", 30) : httpGenerate("Hello", 10), text.toString());
    }
  }

  @Test
  void badGenerationRequestsAreAnsweredWithAnErrorAndTheStreamGoesOn() throws Exception {
    ModelInferRequest noInput = ModelInferRequest.newBuilder().setModelName("tiny_lm").setId("none").build();
    ModelInferRequest hot = generate("hot", "x", 5)
        .putParameters("temperature", InferParameter.newBuilder().setStringParam("hot").build()).build();
    List<ModelStreamInferResponse> answers = stream(noInput, hot, generate("fine", "ok", 3).build());
    assertEquals("the request has no input text_input", answers.stream()
        .filter(a -> a.getInferResponse().getId().equals("none")).findFirst().orElseThrow().getErrorMessage());
    assertEquals("temperature must be a number", answers.stream()
        .filter(a -> a.getInferResponse().getId().equals("hot")).findFirst().orElseThrow().getErrorMessage());
    assertTrue(answers.stream().anyMatch(a -> a.getInferResponse().getId().equals("fine") && last(a.getInferResponse())));
  }

  @Test
  void unaryModelInferRefusesTheDecoupledModelNamingIt() {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
        () -> blocking.modelInfer(generate("u", "x", 3).build()));
    assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("decoupled"), e.getStatus().getDescription());
  }

  @Test
  void theConfigOfAGenerativeModelSaysDecoupled() {
    assertTrue(blocking.modelConfig(ModelConfigRequest.newBuilder().setName("tiny_lm").build())
        .getConfig().getModelTransactionPolicy().getDecoupled());
    assertFalse(blocking.modelConfig(ModelConfigRequest.newBuilder().setName("simple").build())
        .getConfig().hasModelTransactionPolicy());
  }

  @Test
  void cancellingTheStreamStopsItsSequence() throws Exception {
    double tokensBefore = metric("neutrino_generation_completion_tokens_total");
    CountDownLatch threePieces = new CountDownLatch(3);
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    List<ClientCallStreamObserver<ModelInferRequest>> call = new CopyOnWriteArrayList<>();
    async.withDeadlineAfter(60, TimeUnit.SECONDS).modelStreamInfer(
        new ClientResponseObserver<ModelInferRequest, ModelStreamInferResponse>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<ModelInferRequest> requests) {
            call.add(requests);
          }

          @Override
          public void onNext(ModelStreamInferResponse answer) {
            threePieces.countDown();
          }

          @Override
          public void onError(Throwable t) {
            ended.complete(t);
          }

          @Override
          public void onCompleted() {
            ended.complete(null);
          }
        }).onNext(generate("long", "a long answer please", 1000).build());
    assertTrue(threePieces.await(60, TimeUnit.SECONDS));
    call.get(0).cancel("the test has read enough", null);
    assertEquals(Status.Code.CANCELLED, Status.fromThrowable(ended.get(10, TimeUnit.SECONDS)).getCode());
    // The engine notices at its next step; wait (boundedly) until it has nothing running.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (metric("neutrino_generation_sequences_running") > 0 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertEquals(0, metric("neutrino_generation_sequences_running"));
    double generated = metric("neutrino_generation_completion_tokens_total") - tokensBefore;
    assertTrue(generated >= 3 && generated < 1000, "the sequence generated " + generated + " tokens");
    assertEquals(0, metric("neutrino_generation_kv_cache_blocks_used"));
  }

  private double metric(String name) {
    return Scrapes.scrape(gateway).getOrDefault(name + "{model=\"tiny_lm\"}", 0.0);
  }
}
