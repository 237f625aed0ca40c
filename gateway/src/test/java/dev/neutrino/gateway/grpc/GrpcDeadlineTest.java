package dev.neutrino.gateway.grpc;

import static dev.neutrino.gateway.grpc.GrpcTestClient.assertStatus;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.common.util.concurrent.ListenableFuture;
import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.GatewayConfig;
import dev.neutrino.gateway.admission.AdmissionSettings;
import dev.neutrino.gateway.TestGateways;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelStreamInferResponse;
import dev.neutrino.gateway.grpc.proto.ServerLiveRequest;
import dev.neutrino.runtime.testing.TestBackend;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deadlines and cancellation: a request that cannot start before its deadline, or whose client went
 * away, never reaches the backend. The model's one instance is held busy by a request the backend
 * blocks ({@link TestBackend}); the requests under test queue behind it.
 */
class GrpcDeadlineTest {
  @TempDir Path dir;
  TestBackend backend;
  Gateway gateway;
  GrpcTestClient client;
  GRPCInferenceServiceGrpc.GRPCInferenceServiceFutureStub futures;

  @BeforeEach
  void start() throws IOException {
    Files.createDirectories(dir.resolve("held").resolve("1"));
    Files.writeString(dir.resolve("held").resolve("1").resolve("model.onnx"), "ok");
    // The model batches (auto-complete gives it the dynamic batcher); as in Triton, a request's
    // timeout parameter counts only where the queue policy allows it to override.
    Files.writeString(dir.resolve("held").resolve("config.yaml"),
        "dynamic_batching:\n  default_queue_policy:\n    allow_timeout_override: true\n");
    backend = new TestBackend();
    // Admission off: the test holds 301 calls in flight at once, more than the front door's limit admits.
    gateway = TestGateways.start(GatewayConfig.defaults().withHttpPort(0).withGrpcPort(0).withModelRepository(dir)
        .withAdmission(AdmissionSettings.OFF), backend);
    backend.forget();
    client = new GrpcTestClient(gateway);
    futures = GRPCInferenceServiceGrpc.newFutureStub(client.channel);
  }

  @AfterEach
  void stop() {
    backend.release();
    if (client != null) {
      client.close();
    }
    TestGateways.stop(gateway);
  }

  @Test
  void deadlineShorterThanTheQueueWaitIsDeadlineExceededAndTheRequestNeverRuns() throws Exception {
    ListenableFuture<ModelInferResponse> held = holdTheInstance();
    assertStatus(Status.Code.DEADLINE_EXCEEDED, () -> client.blocking.withDeadlineAfter(300, TimeUnit.MILLISECONDS)
        .modelInfer(request("held", 2f).build()));
    readEverythingSent();
    awaitInFlight(1);
    backend.release();
    assertEquals(TestBackend.HOLD, held.get(30, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32Contents(0));
    assertEquals(3f, client.blocking.modelInfer(request("held", 3f).build()).getOutputs(0).getContents()
        .getFp32Contents(0));
    assertEquals(List.of(TestBackend.HOLD, 3f), new ArrayList<>(backend.ran), "the expired request never ran");
  }

  @Test
  void timeoutParameterShorterThanTheQueueWaitIsDeadlineExceeded() throws Exception {
    ListenableFuture<ModelInferResponse> held = holdTheInstance();
    String message = assertStatus(Status.Code.DEADLINE_EXCEEDED, () -> client.blocking.modelInfer(
        request("held", 2f).putParameters("timeout", GrpcTestClient.int64(200_000)).build()));
    assertTrue(message.contains("held"), message);
    awaitInFlight(1);
    backend.release();
    held.get(30, TimeUnit.SECONDS);
    assertEquals(List.of(TestBackend.HOLD), new ArrayList<>(backend.ran));
  }

  @Test
  void cancelledCallIsWithdrawnFromTheQueue() throws Exception {
    ListenableFuture<ModelInferResponse> held = holdTheInstance();
    ListenableFuture<ModelInferResponse> cancelled = futures.modelInfer(request("held", 4f).build());
    awaitInFlight(2);
    cancelled.cancel(true);
    awaitInFlight(1);
    backend.release();
    held.get(30, TimeUnit.SECONDS);
    client.blocking.modelInfer(request("held", 5f).build());
    assertEquals(List.of(TestBackend.HOLD, 5f), new ArrayList<>(backend.ran), "the cancelled request never ran");
  }

  @Test
  void cancelledStreamWithdrawsItsQueuedRequests() throws Exception {
    ListenableFuture<ModelInferResponse> held = holdTheInstance();
    StreamObserver<ModelInferRequest> stream = client.async.modelStreamInfer(new StreamObserver<>() {
      @Override
      public void onNext(ModelStreamInferResponse value) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    });
    for (int i = 0; i < 3; i++) {
      stream.onNext(request("held", 10f + i).setId("s" + i).build());
    }
    awaitInFlight(4);
    stream.onError(Status.CANCELLED.withDescription("test cancels").asRuntimeException());
    awaitInFlight(1);
    backend.release();
    held.get(30, TimeUnit.SECONDS);
    client.blocking.modelInfer(request("held", 6f).build());
    assertEquals(List.of(TestBackend.HOLD, 6f), new ArrayList<>(backend.ran));
  }

  @Test
  void manyCallsPastTheirDeadlineDoNotCloseTheConnection() throws Exception {
    ListenableFuture<ModelInferResponse> held = holdTheInstance();
    List<ListenableFuture<ModelInferResponse>> expiring = new ArrayList<>();
    // Their deadline (an hour on the client's clock, sent as grpc-timeout) passes only when the clock is
    // moved, after the gateway has queued every call; grpc-java then fails each DEADLINE_EXCEEDED and
    // sends RST_STREAM(CANCEL), as at any deadline.
    ManualClock clock = new ManualClock();
    Context.CancellableContext deadline = Context.current().withDeadline(
        Deadline.after(1, TimeUnit.HOURS, clock), clock.timers);
    try {
      Context previous = deadline.attach();
      try {
        // More than the 200 resets per 30 s that Netty's and Vert.x's flood protection allow by default.
        for (int i = 0; i < 300; i++) {
          expiring.add(futures.modelInfer(request("held", 100f + i).build()));
        }
      } finally {
        deadline.detach(previous);
      }
      awaitInFlight(301);
      clock.advance(TimeUnit.HOURS.toNanos(1));
      for (ListenableFuture<ModelInferResponse> call : expiring) {
        assertStatus(Status.Code.DEADLINE_EXCEEDED, () -> {
          try {
            call.get(30, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            throw e.getCause();
          }
        });
      }
      awaitInFlight(1); // every call was queued: now every reset has been read and its call withdrawn
    } finally {
      deadline.cancel(null);
      clock.timers.shutdownNow();
    }
    backend.release();
    assertEquals(TestBackend.HOLD, held.get(30, TimeUnit.SECONDS).getOutputs(0).getContents().getFp32Contents(0),
        "the call on the same connection as 300 resets survived");
    assertEquals(List.of(TestBackend.HOLD), new ArrayList<>(backend.ran), "calls past their deadline never ran");
  }

  @Test
  void backendFailureIsInternalAndFailsOnlyItsRequest() {
    String message = assertStatus(Status.Code.INTERNAL, () -> client.blocking.modelInfer(
        request("held", TestBackend.FAIL).build()));
    assertTrue(message.contains("failed"), message);
    assertFalse(message.contains("Exception"), message);
    assertEquals(7f, client.blocking.modelInfer(request("held", 7f).build()).getOutputs(0).getContents()
        .getFp32Contents(0));
  }

  @Test
  void inferenceRunsOnInstanceThreadsNeverOnEventLoops() {
    for (int i = 0; i < 10; i++) {
      client.blocking.modelInfer(request("held", i).build());
    }
    assertEquals(10, backend.runThreads.size());
    for (String thread : backend.runThreads) {
      assertFalse(thread.contains("eventloop"), thread);
    }
  }

  /** Sends the request the backend blocks on, and waits until the instance is running it. */
  private ListenableFuture<ModelInferResponse> holdTheInstance() throws InterruptedException {
    ListenableFuture<ModelInferResponse> held = futures.modelInfer(request("held", TestBackend.HOLD).build());
    assertTrue(backend.holding.await(30, TimeUnit.SECONDS), "the held request reached the backend");
    return held;
  }

  /**
   * Returns once the gateway has read every frame this client sent so far: one connection carries
   * them in order, so the answer to a later call means the earlier calls' requests and resets have
   * been read. A call whose deadline passed on the client may not have reached the gateway yet when
   * the client gives up; after this nothing of it is still on its way.
   */
  private void readEverythingSent() {
    assertTrue(client.blocking.serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
  }

  /** Waits (bounded) until the model has exactly {@code expected} requests queued or running. */
  private void awaitInFlight(int expected) throws InterruptedException {
    IntSupplier inFlight = () -> gateway.repository().find("held", null).inFlight();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (inFlight.getAsInt() != expected && System.nanoTime() < until) {
      Thread.sleep(5);
    }
    assertEquals(expected, inFlight.getAsInt(), "requests in flight on 'held'");
  }

  private static ModelInferRequest.Builder request(String model, float marker) {
    return ModelInferRequest.newBuilder()
        .setModelName(model)
        .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("INPUT0").setDatatype("FP32")
            .addShape(1).addShape(2)
            .setContents(InferTensorContents.newBuilder().addFp32Contents(marker).addFp32Contents(0)));
  }

  /**
   * The client's clock for deadlines: grpc-java reads a deadline's time from its ticker and schedules
   * its expiry on the given scheduler; here time moves, and the expiries run, only in
   * {@link #advance}.
   */
  private static final class ManualClock extends Deadline.Ticker {
    private final AtomicLong now = new AtomicLong();
    private final List<Runnable> pending = new CopyOnWriteArrayList<>();
    final ScheduledThreadPoolExecutor timers = new ScheduledThreadPoolExecutor(1) {
      @Override
      public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        pending.add(task);
        return super.schedule(() -> { }, 1, TimeUnit.DAYS); // a handle to cancel; the task runs in advance()
      }
    };

    @Override
    public long nanoTime() {
      return now.get();
    }

    /** Moves time on by {@code nanos} and runs every expiry scheduled so far. */
    void advance(long nanos) {
      now.addAndGet(nanos);
      for (Runnable task : pending) {
        task.run();
      }
      pending.clear();
    }
  }
}
