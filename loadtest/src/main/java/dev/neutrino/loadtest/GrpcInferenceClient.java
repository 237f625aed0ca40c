package dev.neutrino.loadtest;

import com.google.protobuf.ByteString;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferStatistics;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferResponse;
import dev.neutrino.gateway.grpc.proto.ModelMetadataRequest;
import dev.neutrino.gateway.grpc.proto.ModelMetadataResponse;
import dev.neutrino.gateway.grpc.proto.ModelStatistics;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsRequest;
import dev.neutrino.gateway.grpc.proto.ModelStatisticsResponse;
import dev.neutrino.runtime.DataType;
import dev.neutrino.runtime.TensorSpec;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Open Inference Protocol over gRPC: {@code GRPCInferenceService/ModelInfer} with
 * {@code raw_input_contents}, on grpc-java and its shaded Netty.
 *
 * <p>Requests are built once, when the client connects. Calls run on the client's own event loops
 * ({@code directExecutor}: no hand-off to another pool), whose threads are registered with the
 * {@link CpuMeter}. One HTTP/2 connection (channel) per event loop carries every stream; calls
 * rotate over the channels.
 */
final class GrpcInferenceClient implements InferenceClient {
  private static final int MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
  private static final long BLOCKING_TIMEOUT_SECONDS = 30;
  /** Status names, shared so that counting an error allocates nothing. */
  private static final Map<Status.Code, String> CODES = new EnumMap<>(Status.Code.class);

  static {
    for (Status.Code code : Status.Code.values()) {
      CODES.put(code, code.name());
    }
  }

  private final EventLoopGroup group;
  private final ManagedChannel[] channels;
  private final AtomicInteger next = new AtomicInteger();
  private final ModelInferRequest[] requests;
  private final long timeoutMillis;
  private final ModelStatisticsRequest statsRequest;
  private volatile boolean statsUnsupported;

  private GrpcInferenceClient(EventLoopGroup group, ManagedChannel[] channels, ModelInferRequest[] requests,
      long timeoutMillis, ModelStatisticsRequest statsRequest) {
    this.group = group;
    this.channels = channels;
    this.requests = requests;
    this.timeoutMillis = timeoutMillis;
    this.statsRequest = statsRequest;
  }

  /**
   * Connects, reads the model's metadata, prepares the requests and sends one to check that the
   * server accepts them.
   *
   * @throws IOException when the server cannot be reached, does not know the model, or refuses the
   *     prepared request (the message carries the server's status)
   */
  static GrpcInferenceClient connect(Endpoint endpoint, ClientSettings settings, CpuMeter meter) throws IOException {
    int loops = settings.eventLoops();
    EventLoopGroup group = new NioEventLoopGroup(loops, meter.threadFactory("neutrino-loadtest-grpc"));
    ManagedChannel[] channels = new ManagedChannel[loops];
    try {
      for (int i = 0; i < loops; i++) {
        channels[i] = NettyChannelBuilder.forAddress(endpoint.host(), endpoint.port())
            .usePlaintext()
            .eventLoopGroup(group)
            .channelType(NioSocketChannel.class)
            .directExecutor()
            .maxInboundMessageSize(MAX_MESSAGE_BYTES)
            .build();
      }
      var blocking = GRPCInferenceServiceGrpc.newBlockingStub(channels[0])
          .withDeadlineAfter(BLOCKING_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      ModelMetadataResponse response;
      try {
        response = blocking.modelMetadata(ModelMetadataRequest.newBuilder()
            .setName(settings.model()).setVersion(settings.version()).build());
      } catch (StatusRuntimeException e) {
        throw new IOException("cannot read the model's metadata over gRPC at " + endpoint + ": "
            + e.getStatus().getCode() + " " + e.getStatus().getDescription(), e);
      }
      ModelMetadata metadata = new ModelMetadata(response.getName(), response.getVersionsList(),
          response.getPlatform(), specs(response.getInputsList(), "input"), specs(response.getOutputsList(), "output"));
      List<List<TensorData>> payloads = InputData.prepare(metadata, settings.input(), settings.shapes(),
          settings.batchSize());
      ModelInferRequest[] requests = new ModelInferRequest[payloads.size()];
      for (int i = 0; i < requests.length; i++) {
        ModelInferRequest.Builder request = ModelInferRequest.newBuilder()
            .setModelName(settings.model())
            .setModelVersion(settings.version());
        for (TensorData t : payloads.get(i)) {
          ModelInferRequest.InferInputTensor.Builder input = ModelInferRequest.InferInputTensor.newBuilder()
              .setName(t.name())
              .setDatatype(t.datatype().wireName());
          for (long d : t.shape()) {
            input.addShape(d);
          }
          request.addInputs(input);
          request.addRawInputContents(ByteString.copyFrom(t.data()));
        }
        requests[i] = request.build();
      }
      GrpcInferenceClient client = new GrpcInferenceClient(group, channels, requests, settings.timeout().toMillis(),
          ModelStatisticsRequest.newBuilder().setName(settings.model()).setVersion(settings.version()).build());
      try {
        ModelInferResponse first = blocking.modelInfer(requests[0]);
        if (first.getOutputsCount() == 0) {
          throw new IOException("the server's inference response has no outputs");
        }
      } catch (StatusRuntimeException e) {
        throw new IOException("the server refused the prepared request: " + e.getStatus().getCode() + " "
            + e.getStatus().getDescription(), e);
      }
      return client;
    } catch (IOException | RuntimeException e) {
      shutdown(group, channels);
      throw e;
    }
  }

  private static List<TensorSpec> specs(List<ModelMetadataResponse.TensorMetadata> tensors, String what) {
    List<TensorSpec> specs = new ArrayList<>();
    for (ModelMetadataResponse.TensorMetadata t : tensors) {
      DataType type = DataType.fromName(t.getDatatype());
      if (type == null) {
        throw new IllegalArgumentException(what + " '" + t.getName() + "' has unknown datatype '" + t.getDatatype() + "'");
      }
      long[] shape = new long[t.getShapeCount()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = t.getShape(i);
      }
      specs.add(new TensorSpec(t.getName(), type, shape));
    }
    return specs;
  }

  @Override
  public int payloads() {
    return requests.length;
  }

  @Override
  public void infer(int payload, Outcome outcome) {
    ManagedChannel channel = channels.length == 1 ? channels[0]
        : channels[Math.floorMod(next.getAndIncrement(), channels.length)];
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS);
    try {
      ClientCalls.asyncUnaryCall(channel.newCall(GRPCInferenceServiceGrpc.getModelInferMethod(), options),
          requests[payload], new StreamObserver<ModelInferResponse>() {
            @Override
            public void onNext(ModelInferResponse response) {
              // Only the status counts.
            }

            @Override
            public void onError(Throwable t) {
              outcome.complete(CODES.get(Status.fromThrowable(t).getCode()));
            }

            @Override
            public void onCompleted() {
              outcome.complete(null);
            }
          });
    } catch (RuntimeException e) {
      outcome.complete(CODES.get(Status.fromThrowable(e).getCode()));
    }
  }

  @Override
  public ServerStats.Snapshot stats() {
    if (statsUnsupported) {
      return null;
    }
    try {
      ModelStatisticsResponse response = GRPCInferenceServiceGrpc.newBlockingStub(channels[0])
          .withDeadlineAfter(BLOCKING_TIMEOUT_SECONDS, TimeUnit.SECONDS)
          .modelStatistics(statsRequest);
      if (response.getModelStatsCount() == 0) {
        return null;
      }
      long inference = 0;
      long execution = 0;
      long queueCount = 0;
      long queueNs = 0;
      long computeCount = 0;
      long computeNs = 0;
      for (ModelStatistics m : response.getModelStatsList()) {
        InferStatistics s = m.getInferenceStats();
        inference += m.getInferenceCount();
        execution += m.getExecutionCount();
        queueCount += s.getQueue().getCount();
        queueNs += s.getQueue().getNs();
        computeCount += s.getComputeInfer().getCount();
        computeNs += s.getComputeInput().getNs() + s.getComputeInfer().getNs() + s.getComputeOutput().getNs();
      }
      return new ServerStats.Snapshot(inference, execution, queueCount, queueNs, computeCount, computeNs);
    } catch (StatusRuntimeException e) {
      Status.Code code = e.getStatus().getCode();
      statsUnsupported = code == Status.Code.UNIMPLEMENTED || code == Status.Code.NOT_FOUND;
      return null;
    }
  }

  @Override
  public void close() {
    shutdown(group, channels);
  }

  private static void shutdown(EventLoopGroup group, ManagedChannel[] channels) {
    for (ManagedChannel channel : channels) {
      if (channel != null) {
        channel.shutdownNow();
      }
    }
    for (ManagedChannel channel : channels) {
      if (channel != null) {
        try {
          channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
