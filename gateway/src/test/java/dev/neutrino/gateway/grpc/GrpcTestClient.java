package dev.neutrino.gateway.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.neutrino.gateway.Gateway;
import dev.neutrino.gateway.grpc.proto.GRPCInferenceServiceGrpc;
import dev.neutrino.gateway.grpc.proto.InferParameter;
import dev.neutrino.gateway.grpc.proto.InferTensorContents;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest;
import dev.neutrino.gateway.grpc.proto.ModelInferRequest.InferInputTensor;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.function.Executable;

/**
 * The independent client of the gRPC tests: grpc-java's generated stubs over its Netty transport,
 * plaintext HTTP/2 to the gateway's gRPC port.
 */
final class GrpcTestClient implements AutoCloseable {
  final ManagedChannel channel;
  final GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub blocking;
  final GRPCInferenceServiceGrpc.GRPCInferenceServiceStub async;

  GrpcTestClient(Gateway gateway) {
    channel = Grpc.newChannelBuilderForAddress(gateway.host(), gateway.grpcPort(), InsecureChannelCredentials.create())
        .maxInboundMessageSize(256 * 1024 * 1024)
        .build();
    blocking = GRPCInferenceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
    async = GRPCInferenceServiceGrpc.newStub(channel);
  }

  @Override
  public void close() {
    try {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Asserts that {@code call} fails with {@code code}; returns the status's description. */
  static String assertStatus(Status.Code code, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), String.valueOf(e.getStatus()));
    return String.valueOf(e.getStatus().getDescription());
  }

  /** {@code simple}'s inputs, typed: INPUT0 = base .. base+15, INPUT1 = all ones, shape [1,16]. */
  static ModelInferRequest.Builder simpleRequest(int base) {
    return ModelInferRequest.newBuilder()
        .setModelName("simple")
        .addInputs(int32Input("INPUT0", IntStream.range(base, base + 16).toArray()))
        .addInputs(int32Input("INPUT1", IntStream.generate(() -> 1).limit(16).toArray()));
  }

  static InferInputTensor int32Input(String name, int... values) {
    InferTensorContents.Builder contents = InferTensorContents.newBuilder();
    for (int v : values) {
      contents.addIntContents(v);
    }
    return InferInputTensor.newBuilder()
        .setName(name)
        .setDatatype("INT32")
        .addShape(1)
        .addShape(values.length)
        .setContents(contents)
        .build();
  }

  static InferParameter int64(long value) {
    return InferParameter.newBuilder().setInt64Param(value).build();
  }
}
