package dev.neutrino.gateway.grpc;

import static dev.neutrino.gateway.grpc.GrpcTestClient.int32Input;
import static dev.neutrino.gateway.grpc.GrpcTestClient.simpleRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** ModelStreamInfer: many requests on one stream, each answered with its id; failures keep it open. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GrpcStreamInferTest {
  Gateway gateway;
  GrpcTestClient client;

  @BeforeAll
  void start(@TempDir Path dir) {
    gateway = TestGateways.start(TestGateways.exampleRepository(dir.resolve("repo")));
    client = new GrpcTestClient(gateway);
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    TestGateways.stop(gateway);
  }

  /** What request {@code i} of the stream is, and so what its answer must be. */
  enum Kind {
    OK, UNKNOWN_MODEL, BAD_SHAPE, BAD_OUTPUT;

    static Kind of(int i) {
      return switch (i % 10) {
        case 3 -> UNKNOWN_MODEL;
        case 6 -> BAD_SHAPE;
        case 8 -> BAD_OUTPUT;
        default -> OK;
      };
    }
  }

  @Test
  void aThousandRequestsWithInterleavedFailuresGetAThousandAnswersWithTheirIds() throws Exception {
    int count = 1000;
    Map<String, ModelStreamInferResponse> answers = new ConcurrentHashMap<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> requests = client.async.withDeadlineAfter(120, TimeUnit.SECONDS)
        .modelStreamInfer(new StreamObserver<>() {
          @Override
          public void onNext(ModelStreamInferResponse answer) {
            ModelStreamInferResponse previous = answers.put(answer.getInferResponse().getId(), answer);
            if (previous != null) {
              done.completeExceptionally(new AssertionError("two answers for " + answer.getInferResponse().getId()));
            }
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
    for (int i = 0; i < count; i++) {
      requests.onNext(request(i));
    }
    requests.onCompleted();
    done.get(120, TimeUnit.SECONDS);

    assertEquals(count, answers.size());
    Map<Kind, Integer> seen = new HashMap<>();
    for (int i = 0; i < count; i++) {
      String id = "req-" + i;
      ModelStreamInferResponse answer = answers.get(id);
      Kind kind = Kind.of(i);
      seen.merge(kind, 1, Integer::sum);
      switch (kind) {
        case OK -> {
          assertEquals("", answer.getErrorMessage(), id);
          ModelInferResponse response = answer.getInferResponse();
          assertEquals("simple", response.getModelName());
          assertEquals("1", response.getModelVersion());
          assertEquals(IntStream.range(i + 1, i + 17).boxed().toList(),
              response.getOutputs(0).getContents().getIntContentsList(), id);
          assertEquals(IntStream.range(i - 1, i + 15).boxed().toList(),
              response.getOutputs(1).getContents().getIntContentsList(), id);
        }
        case UNKNOWN_MODEL -> {
          assertTrue(answer.getErrorMessage().contains("no_such_model"), id + ": " + answer.getErrorMessage());
          assertEquals("no_such_model", answer.getInferResponse().getModelName());
        }
        case BAD_SHAPE -> assertTrue(answer.getErrorMessage().contains("INPUT1"), answer.getErrorMessage());
        case BAD_OUTPUT -> assertTrue(answer.getErrorMessage().contains("NOPE"), answer.getErrorMessage());
      }
    }
    assertEquals(4, seen.size(), "every kind of request was sent: " + seen);
  }

  @Test
  void anEmptyStreamEndsCleanly() throws Exception {
    CompletableFuture<Integer> done = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> requests = client.async.modelStreamInfer(new StreamObserver<>() {
      int answers;

      @Override
      public void onNext(ModelStreamInferResponse value) {
        answers++;
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete(answers);
      }
    });
    requests.onCompleted();
    assertEquals(0, done.get(60, TimeUnit.SECONDS));
  }

  @Test
  void streamAnswersRawWhenAskedRaw() throws Exception {
    CompletableFuture<ModelStreamInferResponse> first = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> requests = client.async.modelStreamInfer(new StreamObserver<>() {
      @Override
      public void onNext(ModelStreamInferResponse value) {
        first.complete(value);
      }

      @Override
      public void onError(Throwable t) {
        first.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        first.completeExceptionally(new AssertionError("no answer"));
      }
    });
    ModelInferRequest.Builder raw = simpleRequest(0).setId("raw");
    for (int i = 0; i < 2; i++) {
      raw.setInputs(i, raw.getInputs(i).toBuilder().clearContents());
    }
    raw.addRawInputContents(GrpcEndpointsTest.ints(IntStream.range(0, 16).toArray()))
        .addRawInputContents(GrpcEndpointsTest.ints(IntStream.generate(() -> 1).limit(16).toArray()));
    requests.onNext(raw.build());
    requests.onCompleted();
    ModelStreamInferResponse answer = first.get(60, TimeUnit.SECONDS);
    assertEquals("", answer.getErrorMessage());
    assertEquals("raw", answer.getInferResponse().getId());
    assertEquals(GrpcEndpointsTest.ints(IntStream.rangeClosed(1, 16).toArray()),
        answer.getInferResponse().getRawOutputContents(0));
  }

  private static ModelInferRequest request(int i) {
    ModelInferRequest.Builder request = simpleRequest(i).setId("req-" + i);
    switch (Kind.of(i)) {
      case UNKNOWN_MODEL -> request.setModelName("no_such_model");
      case BAD_SHAPE -> request.setInputs(1, int32Input("INPUT1", 1, 2, 3));
      case BAD_OUTPUT -> request.addOutputs(ModelInferRequest.InferRequestedOutputTensor.newBuilder().setName("NOPE"));
      case OK -> { }
    }
    return request.build();
  }

  @Test
  void requestsOfOneStreamMayTargetDifferentModels() throws Exception {
    List<String> ids = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<ModelInferRequest> requests = client.async.modelStreamInfer(new StreamObserver<>() {
      @Override
      public void onNext(ModelStreamInferResponse value) {
        if (!value.getErrorMessage().isEmpty()) {
          done.completeExceptionally(new AssertionError(value.getErrorMessage()));
        }
        ids.add(value.getInferResponse().getModelName() + "/" + value.getInferResponse().getId());
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
    requests.onNext(simpleRequest(0).setId("a").build());
    requests.onNext(ModelInferRequest.newBuilder().setModelName("identity_fp32").setId("b")
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
            .addShape(1).addShape(2)
            .setContents(InferTensorContents.newBuilder()
                .addFp32Contents(1).addFp32Contents(2)))
        .build());
    requests.onCompleted();
    done.get(60, TimeUnit.SECONDS);
    assertEquals(2, ids.size());
    assertTrue(ids.contains("simple/a") && ids.contains("identity_fp32/b"), ids.toString());
  }
}
